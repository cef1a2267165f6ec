"""Present codes: short-lived codes that open a session's read-only present screen (projector)
without an account."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actiescan.tokens import token_hash

from .session import ScanSession

PRESENT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen
PRESENT_CODE_LENGTH = 8


def new_present_code() -> str:
    return "".join(secrets.choice(PRESENT_CODE_ALPHABET) for _ in range(PRESENT_CODE_LENGTH))


class PresentCodeQuerySet(models.QuerySet):
    def usable(self, now=None):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def for_code(self, code: str):
        """`code` as typed, normalised (capitals, no dash): see sessions.present.normalise."""
        return self.filter(code_hash=token_hash(code))


class PresentCode(models.Model):
    """A short-lived code that opens the read-only present screen of one session without an
    account, e.g. on the laptop behind a projector. Made by the moderator (or staff), valid
    for a few hours, revocable. The code is entered on /scherm/; there is no link that opens
    the screen by itself. Only its hash is stored: the code is shown once, to its maker."""

    session = models.ForeignKey(
        ScanSession, on_delete=models.CASCADE, related_name="present_codes",
        verbose_name=_("scansessie"),
    )
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("geldig tot"))
    revoked_at = models.DateTimeField(_("ingetrokken op"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("gemaakt door"),
    )
    created_at = models.DateTimeField(_("gemaakt op"), auto_now_add=True)

    objects = PresentCodeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("schermcode")
        verbose_name_plural = _("schermcodes")

    # The plain code: set only on the object that made it, never read from the database.
    code = ""

    def __str__(self):
        return f"{self.session} (#{self.pk})"

    def save(self, *args, **kwargs):
        if not self.code_hash:
            self.code = new_present_code()
            self.code_hash = token_hash(self.code)
        super().save(*args, **kwargs)

    @property
    def display_code(self) -> str:
        """The new code as it is read out and typed: KDTR-7M4P."""
        half = len(self.code) // 2
        return f"{self.code[:half]}-{self.code[half:]}"

    def is_usable(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())


class PresentCodeFailure(models.Model):
    """A wrong present code, per hashed client address: counted to slow down guessing."""

    fingerprint = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("foute schermcode")
        verbose_name_plural = _("foute schermcodes")

    def __str__(self):
        return f"{self.fingerprint[:8]} {self.at:%Y-%m-%d %H:%M}"
