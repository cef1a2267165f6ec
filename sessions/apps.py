from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScanSessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions owns the label "sessions".
    label = "scan_sessions"
    verbose_name = _("Scansessies")

    def ready(self):
        from django.db.models.signals import post_delete

        from . import invitations

        post_delete.connect(invitations.cancel_when_removed, sender="scan_sessions.ScanSession",
                            dispatch_uid="cancel-invitations")
