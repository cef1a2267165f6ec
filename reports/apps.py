from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Adviezen en overzichten")

    def ready(self):
        from . import checks, fields  # noqa: F401 - registers the system checks, the advice's fields
