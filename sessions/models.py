"""Scan sessions: one facilitated conversation with one initiative about the factors it chose.

Text fields that two people may edit at once carry a version number next to them
(`<field>_version`). A save names the version it started from and is applied with a conditional
UPDATE, so a second save from the same version is refused instead of overwriting (see
services.save_field). Every save is also appended to FieldRevision, so nothing typed is lost.
"""

import calendar
import secrets

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from actiescan.models import Level, SuccessFactor
from actiescan.roles import is_ser_staff

# Time budget per factor from the workshop design (seed 000): 5–10 minutes of questions, then
# 5 minutes to name steps and score.
QUESTIONING_SECONDS = 10 * 60
FACTOR_BUDGET_SECONDS = 15 * 60


class Initiative(models.Model):
    code = models.SlugField(
        _("code"), max_length=80, unique=True,
        help_text=_("Vaste korte naam, gebruikt bij importeren en exporteren."),
    )
    name = models.CharField(_("naam"), max_length=200)
    organisations = models.TextField(_("organisatie(s)"), blank=True)
    sector = models.CharField(_("sector"), max_length=120, blank=True)
    region = models.CharField(_("regio"), max_length=120, blank=True)
    description = models.TextField(_("korte beschrijving"), blank=True)
    contact_name = models.CharField(_("contactpersoon"), max_length=150, blank=True)
    contact_email = models.EmailField(_("e-mail contactpersoon"), blank=True)
    is_case = models.BooleanField(
        _("casus"), default=False,
        help_text=_("Een beschreven oefeninitiatief, voor tafels zonder eigen initiatief."),
    )
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("LLO-initiatief")
        verbose_name_plural = _("LLO-initiatieven")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = self.unique_code_for(self.name)
        super().save(*args, **kwargs)

    @classmethod
    def unique_code_for(cls, name: str) -> str:
        base = slugify(name)[:70] or "initiatief"
        code, n = base, 1
        while cls.objects.filter(code=code).exists():
            n += 1
            code = f"{base}-{n}"
        return code


class Status(models.TextChoices):
    GEPLAND = "gepland", _("Gepland")
    BEZIG = "bezig", _("Bezig")
    AFGEROND = "afgerond", _("Afgerond")


class ScanSessionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Sessions this user may open: staff see all, others only the sessions they moderate
        or take minutes for."""
        if is_ser_staff(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(moderator=user) | Q(notulist=user))

    def with_pipeline(self, now=None):
        """Annotate where each session stands (see PipelineStage for the exact definitions):
        `pipeline_stage`, `advice_finalized_at` (latest finalized advice version),
        `advice_shared`, `has_newer_session` and `follow_up_due`."""
        advice_version = apps.get_model("reports", "AdviceVersion")
        share_link = apps.get_model("reports", "ShareLink")
        versions = advice_version.objects.filter(advice__session=OuterRef("pk"))
        newer = ScanSession.objects.filter(
            initiative=OuterRef("initiative"), starts_at__gt=OuterRef("starts_at")
        )
        cutoff = follow_up_cutoff(now)
        return self.annotate(
            advice_finalized_at=Subquery(
                versions.order_by("-finalized_at").values("finalized_at")[:1]
            ),
            advice_shared=Exists(share_link.objects.filter(version__advice__session=OuterRef("pk"))),
            has_newer_session=Exists(newer),
        ).annotate(
            pipeline_stage=Case(
                When(status=Status.GEPLAND, then=Value(PipelineStage.GEPLAND.value)),
                When(advice_shared=True, then=Value(PipelineStage.GEDEELD.value)),
                When(advice_finalized_at__isnull=False,
                     then=Value(PipelineStage.ADVIES_DEFINITIEF.value)),
                default=Value(PipelineStage.GEHOUDEN.value),
                output_field=CharField(),
            ),
            follow_up_due=Case(
                When(
                    Q(advice_finalized_at__lt=cutoff, has_newer_session=False,
                      initiative__is_case=False),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )


def months_before(moment, months: int):
    """The same moment `months` calendar months earlier (31 March minus one month is
    28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def follow_up_cutoff(now=None):
    """Advice finalized before this moment is due for a follow-up session."""
    return months_before(now or timezone.now(), settings.ACTIESCAN_FOLLOW_UP_MONTHS)


class PipelineStage(models.TextChoices):
    """Where a session stands, for the staff overview. Exactly one stage per session:

    - gepland: status *gepland*;
    - gehouden: status *bezig* or *afgerond*, and its advice has no finalized version yet;
    - advies definitief: the advice has at least one finalized version (AdviceVersion), and no
      share link was ever created for any of its versions;
    - gedeeld: a share link was created for one of its versions (also when that link has been
      revoked or has expired since: the advice did reach the initiative).

    *Follow-up nodig* is not a stage but a flag on top (`follow_up_due`): the session's latest
    finalized advice version is older than ACTIESCAN_FOLLOW_UP_MONTHS months, no other session
    of the same initiative starts later (whatever its status), and the initiative is no casus.
    """

    GEPLAND = "gepland", _("gepland")
    GEHOUDEN = "gehouden", _("gehouden")
    ADVIES_DEFINITIEF = "advies_definitief", _("advies definitief")
    GEDEELD = "gedeeld", _("gedeeld")


class ScanSession(models.Model):
    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="sessions",
        verbose_name=_("LLO-initiatief"),
    )
    starts_at = models.DateTimeField(_("datum en tijd"))
    location = models.CharField(_("locatie"), max_length=200, blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
        related_name="moderated_sessions", verbose_name=_("moderator"),
    )
    notulist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="minuted_sessions", verbose_name=_("notulist"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.GEPLAND
    )

    choice_rationale = models.TextField(_("waarom deze succesfactoren"), blank=True)
    choice_rationale_version = models.PositiveIntegerField(default=0)
    general_minutes = models.TextField(_("algemene notulen"), blank=True)
    general_minutes_version = models.PositiveIntegerField(default=0)
    wrap_up_notes = models.TextField(_("aanvullende vragen van de notulist"), blank=True)
    wrap_up_notes_version = models.PositiveIntegerField(default=0)
    notulist_checked = models.BooleanField(_("notulist heeft geen vragen meer"), default=False)

    # Where the moderator is, so the notulist's screen can follow and the timer can run.
    current_factor = models.ForeignKey(
        "SessionFactor", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    current_factor_since = models.DateTimeField(null=True, blank=True)
    # Bumped on every change; the live-sync poll compares it to answer "nothing changed" cheaply.
    revision = models.PositiveIntegerField(default=0)

    started_at = models.DateTimeField(_("gestart op"), null=True, blank=True)
    closed_at = models.DateTimeField(_("afgesloten op"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The initiative's session before this one, set when this one is planned: a follow-up
    # session opens with a review of its action points and shows its levels while scoring.
    previous_session = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups",
        verbose_name=_("vorige sessie"),
    )
    # A table at a workshop (bijeenkomst) with several tables; None for a session of its own.
    event = models.ForeignKey(
        "Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="tables",
        verbose_name=_("bijeenkomst"),
    )
    # The language of the advice document (PDF); the interface language is each user's own.
    language = models.CharField(
        _("taal van het advies"), max_length=8, choices=settings.LANGUAGES, default="nl",
        help_text=_("Het advies en de PDF worden in deze taal opgesteld."),
    )

    objects = ScanSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("scansessie")
        verbose_name_plural = _("scansessies")
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.initiative} – {local:%d-%m-%Y}"

    def get_absolute_url(self):
        return reverse("sessions:detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status == Status.AFGEROND

    def can_close(self, user) -> bool:
        """Closing and reopening are the moderator's call (or staff's), not the notulist's."""
        return is_ser_staff(user) or (user.is_authenticated and user.pk == self.moderator_id)

    def role_of(self, user) -> str:
        if user.pk == self.moderator_id:
            return "moderator"
        if user.pk == self.notulist_id:
            return "notulist"
        return "staff"

    def find_previous_session(self):
        """The latest session of the same initiative that starts before this one and was
        held (status bezig or afgerond); None for a first session."""
        earlier = ScanSession.objects.filter(
            initiative_id=self.initiative_id, starts_at__lt=self.starts_at
        ).exclude(status=Status.GEPLAND)
        if self.pk:
            earlier = earlier.exclude(pk=self.pk)
        return earlier.order_by("-starts_at", "-pk").first()

    def previous_action_points(self):
        """The action points of the previous session that were filled in, for the follow-up
        review, in the order of that conversation."""
        if not self.previous_session_id:
            return []
        return list(
            ActionPoint.objects.filter(session_factor__session_id=self.previous_session_id)
            .exclude(text="")
            .select_related("session_factor", "session_factor__session", "status_updated_by")
            .order_by("session_factor__position", "position")
        )


class ParticipantRole(models.TextChoices):
    REPRESENTATIVE = "representant", _("Representant")
    OBSERVER = "observator", _("Observator")
    QUESTIONER = "vragensteller", _("Vragensteller")
    OTHER = "anders", _("Anders")


class Participant(models.Model):
    session = models.ForeignKey(
        ScanSession, on_delete=models.CASCADE, related_name="participants"
    )
    name = models.CharField(_("naam"), max_length=150)
    role = models.CharField(
        _("rol"), max_length=20, choices=ParticipantRole.choices,
        default=ParticipantRole.REPRESENTATIVE,
    )
    organisation = models.CharField(_("organisatie"), max_length=150, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("deelnemer")
        verbose_name_plural = _("deelnemers")

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"


class SessionFactor(models.Model):
    """A factor chosen for a session, with its levels, notes and two action points.

    `snapshot` holds the catalogue texts as they were when the factor was chosen (refreshed when
    the session starts), so later catalogue edits never change a past session."""

    session = models.ForeignKey(ScanSession, on_delete=models.CASCADE, related_name="factors")
    factor = models.ForeignKey(SuccessFactor, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    snapshot = models.JSONField(default=dict)

    current_level = models.CharField(
        _("huidig niveau"), max_length=20, choices=Level.choices, blank=True
    )
    desired_level = models.CharField(
        _("gewenst niveau"), max_length=20, choices=Level.choices, blank=True
    )
    # Indexes into snapshot["sub_questions"] of the sub-questions the table discussed.
    discussed = models.JSONField(_("besproken subvragen"), default=list, blank=True)
    rationale = models.TextField(_("toelichting"), blank=True)
    rationale_version = models.PositiveIntegerField(default=0)
    minutes = models.TextField(_("notulen"), blank=True)
    minutes_version = models.PositiveIntegerField(default=0)
    seconds_spent = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "factor"], name="unique_factor_per_session"),
        ]
        verbose_name = _("gekozen succesfactor")
        verbose_name_plural = _("gekozen succesfactoren")

    def __str__(self):
        return self.title

    def _english(self) -> dict:
        """The English catalogue texts kept with the snapshot, when the interface is English
        and the admin filled them in; {} otherwise (then every text is the Dutch one)."""
        english = self.snapshot.get("en")
        if english and (translation.get_language() or "").startswith("en"):
            return english
        return {}

    def _text(self, name: str) -> str:
        return self._english().get(name) or self.snapshot.get(name, "")

    @property
    def title(self) -> str:
        return self._text("title") or self.factor.title

    @property
    def definition_text(self) -> str:
        return self._text("definition")

    @property
    def main_question_text(self) -> str:
        return self._text("main_question")

    def level_cards(self):
        levels = self.snapshot.get("levels", {})
        english = self._english().get("levels", {})
        return [
            {"value": value, "label": label, "text": english.get(value) or levels.get(value, "")}
            for value, label in Level.choices
        ]

    def sub_question_rows(self):
        discussed = {int(i) for i in self.discussed}
        english = self._english().get("sub_questions", [])
        return [
            {
                "index": i,
                "text": (english[i] if i < len(english) else "") or text,
                "discussed": i in discussed,
            }
            for i, text in enumerate(self.snapshot.get("sub_questions", []))
        ]

    def missing_parts(self) -> list[str]:
        """What this factor still needs to be complete, in words for the table. Uses the
        prefetched action points."""
        missing = []
        if not self.current_level:
            missing.append(str(_("het huidige niveau")))
        for action in self.action_points.all():
            if not action.text.strip():
                missing.append(str(_("actiepunt %(n)s") % {"n": action.position}))
        return missing

    @property
    def is_complete(self) -> bool:
        return not self.missing_parts()

    def has_content(self) -> bool:
        return bool(
            self.current_level or self.desired_level or self.rationale.strip()
            or self.minutes.strip() or self.discussed
            or any(a.text.strip() or a.owner.strip() for a in self.action_points.all())
        )

    @property
    def factor_code(self) -> str:
        return self.snapshot.get("code") or self.factor.code

    def previous_result(self):
        """The same catalogue factor (by code) in the previous session of this session's
        initiative, or None when there is no previous session or it did not choose it."""
        previous_id = self.session.previous_session_id
        if not previous_id:
            return None
        return (
            SessionFactor.objects.filter(session_id=previous_id, factor__code=self.factor_code)
            .select_related("session")
            .defer("snapshot", "minutes", "rationale")
            .first()
        )


class ActionStatus(models.TextChoices):
    """How an action point stands, reviewed at the initiative's next session."""

    NIET_GESTART = "niet_gestart", _("niet gestart")
    BEZIG = "bezig", _("bezig")
    GEDAAN = "gedaan", _("gedaan")
    VERVALLEN = "vervallen", _("vervallen")


class ActionPointQuerySet(models.QuerySet):
    def follow_up_editable_by(self, user):
        """Action points whose status this user may update: staff all; others those of the
        sessions they moderate or take minutes for, and those of the previous session of such
        a session (the follow-up review). Closed sessions included: the status is follow-up
        data, not session content."""
        if is_ser_staff(user):
            return self
        if not user.is_authenticated:
            return self.none()
        session = "session_factor__session__"
        return self.filter(
            Q(**{f"{session}moderator": user}) | Q(**{f"{session}notulist": user})
            | Q(**{f"{session}follow_ups__moderator": user})
            | Q(**{f"{session}follow_ups__notulist": user})
        ).distinct()


class ActionPoint(models.Model):
    ACTIONS_PER_FACTOR = 2
    STATUS_COMMENT_MAX_LENGTH = 2000
    STATUSES = ActionStatus.choices  # for templates

    session_factor = models.ForeignKey(
        SessionFactor, on_delete=models.CASCADE, related_name="action_points"
    )
    position = models.PositiveSmallIntegerField()
    text = models.TextField(_("actiepunt"), blank=True)
    text_version = models.PositiveIntegerField(default=0)
    owner = models.CharField(_("trekker"), max_length=200, blank=True)
    owner_version = models.PositiveIntegerField(default=0)
    timeframe = models.CharField(_("termijn"), max_length=200, blank=True)
    timeframe_version = models.PositiveIntegerField(default=0)

    status = models.CharField(
        _("stand van zaken"), max_length=20, choices=ActionStatus.choices,
        default=ActionStatus.NIET_GESTART,
    )
    status_comment = models.TextField(_("toelichting op de stand van zaken"), blank=True)
    status_updated_at = models.DateTimeField(_("stand bijgewerkt op"), null=True, blank=True)
    status_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("stand bijgewerkt door"),
    )

    objects = ActionPointQuerySet.as_manager()

    class Meta:
        ordering = ["session_factor", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["session_factor", "position"], name="unique_action_position"
            ),
        ]
        verbose_name = _("actiepunt")
        verbose_name_plural = _("actiepunten")

    def __str__(self):
        return self.text[:80] or f"Actiepunt {self.position}"


class FieldRevision(models.Model):
    """Append-only history of every saved field value: any overwrite can be recovered."""

    session = models.ForeignKey(ScanSession, on_delete=models.CASCADE, related_name="revisions")
    field = models.CharField(_("veld"), max_length=80)
    value = models.TextField(_("waarde"), blank=True)
    version = models.PositiveIntegerField(_("versie"), default=0)
    revision = models.PositiveIntegerField(_("sessieversie"), default=0)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("door"),
    )
    created_at = models.DateTimeField(_("tijdstip"), default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["session", "revision"]),
            models.Index(fields=["session", "field", "-id"]),
        ]
        verbose_name = _("opgeslagen versie")
        verbose_name_plural = _("opgeslagen versies")

    def __str__(self):
        return f"{self.field} v{self.version}"


# --- Workshops (bijeenkomsten), reflection and the present screen ------------------------------

class EventQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Events whose overview this user may open: staff all, others the ones they organise.
        A table's session keeps its own access (moderator, notulist, staff)."""
        if is_ser_staff(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(organiser=user)


class Event(models.Model):
    """A bijeenkomst: a workshop with several tables at once (seed 000). Every table is a
    ScanSession (`tables`) with its own moderator and notulist, on a real initiative or on a
    casus; the organiser follows all tables on one screen."""

    name = models.CharField(_("naam"), max_length=200)
    starts_at = models.DateTimeField(_("datum en tijd"))
    location = models.CharField(_("plaats"), max_length=200, blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
        related_name="organised_events", verbose_name=_("organisator"),
    )
    description = models.TextField(_("programma en toelichting"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("bijeenkomst")
        verbose_name_plural = _("bijeenkomsten")

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.name} – {local:%d-%m-%Y}"

    def get_absolute_url(self):
        return reverse("sessions:event", args=[self.pk])

    def can_manage(self, user) -> bool:
        """Adding tables, editing the event and its reflection: the organiser and staff."""
        return is_ser_staff(user) or (user.is_authenticated and user.pk == self.organiser_id)


class ReflectionQuestion(models.TextChoices):
    """The closing reflection of the workshop, verbatim from seed 000."""

    INSIGHTS = "insights", _(
        "Heeft de toepassing van dit instrument je nieuwe inzichten opgeleverd?"
    )
    LEVELS = "levels", _(
        "Heeft het werken met de beschrijving van de verschillende niveaus (startend, "
        "gevorderd, voldragen), geholpen met het in kaart brengen van interventies voor het "
        "verduurzamen van het betreffende LLO initiatief?"
    )
    POSSIBILITIES = "possibilities", _(
        "Welke mogelijkheden zien jullie voor de inzet van de LLO-actiescan?"
    )


class Reflection(models.Model):
    """The answers to the three reflection questions, for one table (session) or for a whole
    event. Saved with a version number: a save based on an older version is refused, so two
    people at one table never overwrite each other's answers unseen."""

    session = models.OneToOneField(
        ScanSession, on_delete=models.CASCADE, null=True, blank=True, related_name="reflection",
        verbose_name=_("scansessie"),
    )
    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="reflection",
        verbose_name=_("bijeenkomst"),
    )
    insights = models.TextField(ReflectionQuestion.INSIGHTS.label, blank=True)
    levels = models.TextField(ReflectionQuestion.LEVELS.label, blank=True)
    possibilities = models.TextField(ReflectionQuestion.POSSIBILITIES.label, blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(_("bijgewerkt op"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("bijgewerkt door"),
    )

    ANSWER_FIELDS = tuple(ReflectionQuestion.values)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(session__isnull=False, event__isnull=True)
                | Q(session__isnull=True, event__isnull=False),
                name="reflection_of_session_or_event",
            ),
        ]
        verbose_name = _("reflectie")
        verbose_name_plural = _("reflecties")

    def __str__(self):
        return str(_("Reflectie: %(what)s") % {"what": self.session or self.event})

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name).strip() for name in self.ANSWER_FIELDS)


PRESENT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen
PRESENT_CODE_LENGTH = 8


def new_present_code() -> str:
    return "".join(secrets.choice(PRESENT_CODE_ALPHABET) for _ in range(PRESENT_CODE_LENGTH))


class PresentCodeQuerySet(models.QuerySet):
    def usable(self, now=None):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class PresentCode(models.Model):
    """A short-lived code that opens the read-only present screen of one session without an
    account, e.g. on the laptop behind a projector. Made by the moderator (or staff), valid
    for a few hours, revocable. The code is entered on /scherm/; there is no link that opens
    the screen by itself."""

    session = models.ForeignKey(
        ScanSession, on_delete=models.CASCADE, related_name="present_codes",
        verbose_name=_("scansessie"),
    )
    code = models.CharField(
        _("code"), max_length=16, unique=True, default=new_present_code, editable=False
    )
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

    def __str__(self):
        return f"{self.session} ({self.display_code})"

    @property
    def display_code(self) -> str:
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
