"""The advice: the notulist merges minutes and action points into one document for the
initiative. Drafted from the session, edited section by section (with the same optimistic
concurrency as the session fields), and frozen into numbered versions with their PDF."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actiescan.tokens import token_hash
from sessions.models import ScanSession, SessionFactor


class Advice(models.Model):
    session = models.OneToOneField(ScanSession, on_delete=models.CASCADE, related_name="advice")
    introduction = models.TextField(_("inleiding"), blank=True)
    introduction_version = models.PositiveIntegerField(default=0)
    closing = models.TextField(_("afsluiting"), blank=True)
    closing_version = models.PositiveIntegerField(default=0)
    # Bumped on every change, like ScanSession.revision, for the editor's live sync.
    revision = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("advies")
        verbose_name_plural = _("adviezen")

    def __str__(self):
        return str(_("Advies voor %(session)s") % {"session": self.session})

    @property
    def latest_version(self):
        return self.versions.order_by("-number").first()


class AdviceSection(models.Model):
    """The advice text for one chosen factor: the gist of the minutes, edited by the notulist."""

    advice = models.ForeignKey(Advice, on_delete=models.CASCADE, related_name="sections")
    session_factor = models.OneToOneField(
        SessionFactor, on_delete=models.CASCADE, related_name="advice_section"
    )
    text = models.TextField(_("tekst"), blank=True)
    text_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["session_factor__position"]
        verbose_name = _("adviesonderdeel")
        verbose_name_plural = _("adviesonderdelen")

    def __str__(self):
        return str(self.session_factor)


class AdviceVersion(models.Model):
    """A finalized, numbered version. `content` is everything the document shows, frozen, and
    `pdf` the document itself; neither changes after finalizing."""

    advice = models.ForeignKey(Advice, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("versie"))
    content = models.JSONField(_("inhoud"))
    pdf = models.BinaryField(_("PDF"))
    pdf_size = models.PositiveIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("definitief gemaakt door"),
    )
    finalized_at = models.DateTimeField(_("definitief gemaakt op"), default=timezone.now)

    class Meta:
        ordering = ["advice", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["advice", "number"], name="unique_advice_version"),
        ]
        verbose_name = _("adviesversie")
        verbose_name_plural = _("adviesversies")

    def __str__(self):
        return f"v{self.number}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def default_expiry():
    return timezone.now() + timedelta(days=settings.ACTIESCAN_SHARE_LINK_DAYS)


class ShareLinkQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)

    def for_token(self, token: str):
        return self.filter(token_hash=token_hash(token))


class ShareLink(models.Model):
    """The deellink: an unguessable address through which the initiative opens one finalized
    version without an account. Only the token's hash is stored (actiescan/tokens.py): the
    address is shown once, to whoever made the link, and mailed right away when it is sent."""

    version = models.ForeignKey(AdviceVersion, on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("verloopt op"), default=default_expiry)
    revoked_at = models.DateTimeField(_("ingetrokken op"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("deellink")
        verbose_name_plural = _("deellinks")

    # The plain token: set only on the object that made the link, never read from the database.
    token = ""

    def __str__(self):
        return f"{self.version} (#{self.pk})"

    def save(self, *args, **kwargs):
        if not self.token_hash:
            self.token = new_token()
            self.token_hash = token_hash(self.token)
        super().save(*args, **kwargs)

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class ShareLinkAccess(models.Model):
    """Every opening of a share link (page or PDF)."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="accesses")
    opened_at = models.DateTimeField(default=timezone.now)
    what = models.CharField(max_length=10, default="page")  # "page" or "pdf"
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("opening van een deellink")
        verbose_name_plural = _("openingen van deellinks")

    def __str__(self):
        return f"{self.link} {self.what} {self.opened_at:%Y-%m-%d %H:%M}"


class ShareLinkFailure(models.Model):
    """A wrong share-link token, per hashed client address: counted to slow down guessing."""

    fingerprint = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.fingerprint[:8]} {self.at:%Y-%m-%d %H:%M}"


class AdviceDelivery(models.Model):
    """One sending of a finalized version to the initiative by e-mail: who sent it, to whom,
    when, with which share link, and whether the mail server took it (`error` empty). A failed
    sending keeps its row (what happened) but no share link: that is removed with the failure."""

    version = models.ForeignKey(AdviceVersion, on_delete=models.CASCADE, related_name="deliveries")
    share_link = models.ForeignKey(
        ShareLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    recipients = models.JSONField(_("aan"), default=list)
    message = models.TextField(_("bericht"), blank=True)
    with_pdf = models.BooleanField(_("met PDF als bijlage"), default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("verstuurd door"),
    )
    sent_at = models.DateTimeField(_("verstuurd op"), default=timezone.now)
    error = models.CharField(_("foutmelding"), max_length=500, blank=True)
    # Addresses the mail server refused while it took the others: sent, but not to these.
    refused = models.JSONField(_("geweigerde adressen"), default=list, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("verzending van het advies")
        verbose_name_plural = _("verzendingen van het advies")

    def __str__(self):
        return f"{self.version} {self.sent_at:%Y-%m-%d %H:%M} {', '.join(self.recipients)}"

    @property
    def delivered(self) -> bool:
        return not self.error


class SentReminder(models.Model):
    """A reminder that manage.py send_reminders sent (or is sending): one row per kind and
    subject, claimed before the mail goes out, so a second or simultaneous run sends nothing
    twice (the unique constraint decides who claimed it)."""

    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=100)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="one_reminder_per_subject")]
        verbose_name = _("verstuurde herinnering")
        verbose_name_plural = _("verstuurde herinneringen")

    def __str__(self):
        return f"{self.kind} {self.key}"
