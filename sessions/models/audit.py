"""The audit log (AVG): who viewed or changed the minutes and the advice of a session."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .session import ScanSession


class AuditAction(models.TextChoices):
    VIEWED_MINUTES = "viewed_minutes", _("notulen bekeken")
    CHANGED_MINUTES = "changed_minutes", _("notulen of scan gewijzigd")
    VIEWED_ADVICE = "viewed_advice", _("advies bekeken")
    CHANGED_ADVICE = "changed_advice", _("advies gewijzigd")
    FINALIZED_ADVICE = "finalized_advice", _("advies definitief gemaakt")
    DOWNLOADED_PDF = "downloaded_pdf", _("PDF gedownload")
    SHARED = "shared", _("deellink gemaakt")
    REVOKED = "revoked", _("deellink ingetrokken")
    SENT_ADVICE = "sent_advice", _("advies gemaild naar het initiatief")


class AuditEvent(models.Model):
    """Who viewed or changed the minutes or the advice of a session, and when (AVG).

    Viewing and autosaving are frequent: for those actions `bucket` numbers the time window
    (ACTIESCAN_AUDIT_THROTTLE_MINUTES) and a unique constraint keeps one row per user, session,
    action and window. Other actions (finalizing, sharing, …) leave `bucket` empty and are all
    kept. Written through sessions.audit.record, read by staff only."""

    session = models.ForeignKey(
        ScanSession, on_delete=models.CASCADE, related_name="audit_events",
        verbose_name=_("sessie"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("gebruiker"),
    )
    action = models.CharField(_("handeling"), max_length=20, choices=AuditAction.choices)
    detail = models.CharField(_("bijzonderheid"), max_length=200, blank=True)
    at = models.DateTimeField(_("tijdstip"), default=timezone.now)
    bucket = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-pk"]
        # Table and index keep the names they had in the reports app, where the model started.
        db_table = "reports_auditevent"
        indexes = [models.Index(fields=["session", "-at"], name="reports_aud_session_12c30e_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user", "action", "bucket"],
                condition=models.Q(bucket__isnull=False),
                name="one_audit_event_per_window",
            ),
        ]
        verbose_name = _("logboekregel")
        verbose_name_plural = _("logboek (wie zag of wijzigde wat)")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action}"
