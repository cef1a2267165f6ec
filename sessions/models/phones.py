"""Taking part from a phone (meedoen met de telefoon): the table members follow the moderator on
their own phone, without an account, mark privately where they think the initiative stands and
send ideas for action points.

A phone joins with a join code that the moderator shows (typed or scanned as a QR code); the
code is short-lived, revocable and stored only as a hash. What a phone may see and do is decided
in sessions/phones.py."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actiescan.models import Level
from actiescan.tokens import token_hash

from .present import PRESENT_CODE_ALPHABET, PRESENT_CODE_LENGTH
from .session import ScanSession, SessionFactor

# Read off a screen and typed on a phone, like a present code: no 0/O, no 1/I.
JOIN_CODE_ALPHABET = PRESENT_CODE_ALPHABET
JOIN_CODE_LENGTH = PRESENT_CODE_LENGTH


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class JoinCodeQuerySet(models.QuerySet):
    def usable(self, now=None):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def for_code(self, code: str):
        """`code` as typed, normalised (capitals, no dash): see sessions.phones.normalise."""
        return self.filter(code_hash=token_hash(code))


class JoinCode(models.Model):
    """A code with which table members join a session from their phone. Made by the moderator
    (or staff), valid for a few hours, revocable; only its hash is kept, the code itself is
    shown once, to its maker. A phone's access lasts as long as the code it joined with."""

    session = models.ForeignKey(
        ScanSession, on_delete=models.CASCADE, related_name="join_codes",
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

    objects = JoinCodeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("meedoecode")
        verbose_name_plural = _("meedoecodes")

    def __str__(self):
        return f"{self.session} (#{self.pk})"

    def is_usable(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())


class JoinCodeFailure(models.Model):
    """A wrong join code, per hashed client address: counted to slow down guessing."""

    fingerprint = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("foute meedoecode")
        verbose_name_plural = _("foute meedoecodes")

    def __str__(self):
        return f"{self.fingerprint[:8]} {self.at:%Y-%m-%d %H:%M}"


class PhoneParticipantQuerySet(models.QuerySet):
    def present(self):
        """Phones that take part now: joined and neither left nor removed (a code that ran
        out or was revoked ends their access, but they still hold their seat until then)."""
        return self.filter(left_at__isnull=True)


class PhoneParticipant(models.Model):
    """One phone at the table. Its browser remembers it (the Django session); the first name is
    optional and shown to the moderator only next to the phone's proposals."""

    NAME_MAX_LENGTH = 40

    session = models.ForeignKey(
        ScanSession, on_delete=models.CASCADE, related_name="phones",
        verbose_name=_("scansessie"),
    )
    # Access lasts as long as this code is usable. SET_NULL: purging codes keeps the marks.
    join_code = models.ForeignKey(
        JoinCode, on_delete=models.SET_NULL, null=True, related_name="phones",
        verbose_name=_("meedoecode"),
    )
    name = models.CharField(_("voornaam"), max_length=NAME_MAX_LENGTH, blank=True)
    joined_at = models.DateTimeField(_("meegedaan vanaf"), auto_now_add=True)
    left_at = models.DateTimeField(_("gestopt op"), null=True, blank=True)

    objects = PhoneParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at", "pk"]
        verbose_name = _("telefoon aan tafel")
        verbose_name_plural = _("telefoons aan tafel")

    def __str__(self):
        return self.name or str(_("anoniem"))


class ParticipantMark(models.Model):
    """A table member's own, private view of one factor: where the initiative stands now and
    where it should go. Never shown with a name: only counted into the spread (mark_spread)."""

    participant = models.ForeignKey(
        PhoneParticipant, on_delete=models.CASCADE, related_name="marks"
    )
    session_factor = models.ForeignKey(
        SessionFactor, on_delete=models.CASCADE, related_name="participant_marks"
    )
    current_level = models.CharField(
        _("huidig niveau"), max_length=20, choices=Level.choices, blank=True
    )
    desired_level = models.CharField(
        _("gewenst niveau"), max_length=20, choices=Level.choices, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "session_factor"], name="one_mark_per_phone_per_factor"
            ),
        ]
        verbose_name = _("eigen inschatting")
        verbose_name_plural = _("eigen inschattingen")

    def __str__(self):
        return f"{self.session_factor}: {self.current_level} → {self.desired_level}"


class ActionProposal(models.Model):
    """A table member's short idea for an action point of one factor. The moderator may adopt
    it into action point 1 or 2 (it is then added to that point's text through the autosave),
    or put it aside."""

    MAX_LENGTH = 280
    PER_PHONE_PER_FACTOR = 5

    participant = models.ForeignKey(
        PhoneParticipant, on_delete=models.CASCADE, related_name="proposals"
    )
    session_factor = models.ForeignKey(
        SessionFactor, on_delete=models.CASCADE, related_name="proposals"
    )
    text = models.CharField(_("voorstel"), max_length=MAX_LENGTH)
    created_at = models.DateTimeField(_("verstuurd op"), default=timezone.now)
    adopted_into = models.PositiveSmallIntegerField(_("overgenomen in actiepunt"), null=True, blank=True)
    adopted_at = models.DateTimeField(_("overgenomen op"), null=True, blank=True)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    dismissed_at = models.DateTimeField(_("weggelegd op"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("voorstel voor een actiepunt")
        verbose_name_plural = _("voorstellen voor actiepunten")

    def __str__(self):
        return self.text[:60]
