from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Adviezen en overzichten")

    def ready(self):
        from sessions.autosave import text_after_close

        from . import checks, fields  # noqa: F401 - registers the system checks, the advice's fields
        from .services import carry_text_after_close

        text_after_close.connect(carry_text_after_close, dispatch_uid="reports.carry_text_after_close")
