from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScanSessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions owns the label "sessions".
    label = "scan_sessions"
    verbose_name = _("Scansessies")
