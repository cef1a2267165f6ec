"""Scan sessions: one facilitated conversation with one initiative about the factors it chose.

Text fields that two people may edit at once carry a version number next to them
(`<field>_version`). A save names the version it started from and is applied with a conditional
UPDATE, so a second save from the same version is refused instead of overwriting (see
autosave.save_field). Every save is also appended to FieldRevision, so nothing typed is lost.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
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
    # Switched on by staff: the contact gets one short note with the action points and their
    # status when a follow-up is due (manage.py send_reminders).
    remind_contact = models.BooleanField(
        _("contactpersoon herinneren"), default=False,
        help_text=_("Stuur de contactpersoon één keer een korte e-mail met de actiepunten en hoe "
                    "ze ervoor staan, als een vervolggesprek aan de beurt is."),
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
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(Q(moderator=user) | Q(notulist=user))


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
    # Set while the moderator has the table at the wrap-up (totaaloverzicht): every screen that
    # follows the moderator (notulist, present screen, phones) shows the overview, clocks stop.
    wrap_up_since = models.DateTimeField(null=True, blank=True)
    # Bumped on every change; the live-sync poll compares it to answer "nothing changed" cheaply.
    revision = models.PositiveIntegerField(default=0)
    # The revision that closed the session. A screen that had only seen earlier revisions had
    # not yet shown "closed": what it typed is still stored (autosave.save_field, after_close).
    closed_revision = models.PositiveIntegerField(null=True, blank=True)

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

    # The SEQUENCE of the calendar invitation (sessions.invitations): raised on every change, so
    # calendars replace the earlier invitation instead of adding a second one.
    invitation_sequence = models.PositiveIntegerField(default=0, editable=False)

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

    # Who may do what with a session: the table "Wie mag wat" in README.md, which
    # tests/test_security.py::test_the_role_table_of_the_readme_is_what_the_app_does walks.

    def can_see(self, user) -> bool:
        """Its moderator, its notulist and staff (ScanSessionQuerySet.visible_to)."""
        return is_ser_staff(user) or (
            user.is_authenticated and user.is_active and user.pk in (self.moderator_id, self.notulist_id)
        )

    def can_manage(self, user) -> bool:
        """Running the session — planning, choosing the factors and their order, starting,
        moving the table to a factor, closing and reopening, screen and join codes, the
        table's marks and proposals — is the moderator's call (or staff's), not the
        notulist's. The one rule for it: views ask through sessions.access.get_managed_session."""
        return is_ser_staff(user) or (
            user.is_authenticated and user.is_active and user.pk == self.moderator_id
        )

    def can_edit_advice(self, user) -> bool:
        """Writing the advice and making a version final: the notulist merges the minutes
        into the advice, the moderator and staff may do so too."""
        return self.can_see(user)

    def can_share(self, user) -> bool:
        """Sharing the advice with the initiative (share links, sending it by e-mail): the
        notulist, who wrote it, as well as the moderator and staff."""
        return self.can_edit_advice(user)

    def role_of(self, user) -> str:
        if user.pk == self.moderator_id:
            return "moderator"
        if user.pk == self.notulist_id:
            return "notulist"
        return "staff"

    @property
    def held_at(self):
        """When the conversation took place: when it started (or, if never started, was
        closed); the planned moment only while neither happened."""
        return self.started_at or self.closed_at or self.starts_at

    def find_previous_session(self):
        """The latest session of the same initiative that starts before this one and was
        held (status bezig or afgerond); None for a first session."""
        earlier = ScanSession.objects.filter(
            initiative_id=self.initiative_id, starts_at__lt=self.starts_at
        ).exclude(status=Status.GEPLAND)
        if self.pk:
            earlier = earlier.exclude(pk=self.pk)
        return earlier.order_by("-starts_at", "-pk").first()

    def may_follow_up(self, previous, user) -> bool:
        """Whether `user`, planning this session, may make it a follow-up of `previous`. A
        follow-up shows the previous session's levels and action points (with owners and
        timeframes) to this session's moderator and notulist and lets them update those
        action points' status (ActionPointQuerySet.follow_up_editable_by): a link is a grant
        of access. So only someone who may see `previous` already, or staff, makes one."""
        return is_ser_staff(user) or ScanSession.objects.visible_to(user).filter(pk=previous.pk).exists()

    def previous_chain_ids(self, limit: int = 50) -> list[int]:
        """This session's earlier sessions through `previous_session`, latest first. Every
        link was made by someone who could see that session (may_follow_up)."""
        ids, previous_id = [], self.previous_session_id
        while previous_id and previous_id not in ids and previous_id != self.pk and len(ids) < limit:
            ids.append(previous_id)
            previous_id = (ScanSession.objects.filter(pk=previous_id)
                           .values_list("previous_session_id", flat=True).first())
        return ids

    def path_sessions(self):
        """The sessions of this initiative up to this one that its advice may show in the path
        over time: the earlier sessions it follows up (previous_chain_ids) and those that each
        of its people (moderator, notulist) may see already. The advice is read and written by
        them, so it never carries the levels of a session led by others that nobody linked."""
        mine = ScanSession.objects.filter(initiative_id=self.initiative_id).filter(
            Q(starts_at__lte=self.starts_at) | Q(pk=self.pk))
        seen_by_all = Q()
        for person in (self.moderator, self.notulist):
            if person is not None and not is_ser_staff(person):
                seen_by_all &= Q(moderator=person) | Q(notulist=person)
        return mine.filter(seen_by_all | Q(pk=self.pk) | Q(pk__in=self.previous_chain_ids()))

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
    # "Wat denken jullie?": while open, the phones at the table mark their own view of this
    # factor (sessions.phones). The spread of those marks shows once enough phones marked, or
    # when the moderator reveals it; on the present screen only when the moderator chooses so.
    marks_open = models.BooleanField(_("eigen inschattingen open"), default=False)
    marks_revealed = models.BooleanField(_("spreiding vrijgegeven"), default=False)
    marks_on_screen = models.BooleanField(_("spreiding op het presentatiescherm"), default=False)

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
        data, not session content. The link through `follow_ups` is only made by someone who
        could see the previous session, or by staff (ScanSession.may_follow_up)."""
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


class RevisionKind(models.TextChoices):
    SAVED = "saved", _("opgeslagen")
    # Typed on a screen that had not yet shown the closed session; stored all the same.
    AFTER_CLOSE = "after_close", _("na het afsluiten opgeslagen")
    # The text of a save that lost a conflict: kept here the moment the conflict happened, so
    # it survives even when that browser is closed before the person chose.
    CONFLICT = "conflict", _("botste met een andere versie")


class FieldRevision(models.Model):
    """Append-only history of every saved field value: any overwrite can be recovered.

    Rows of kind CONFLICT changed nothing: they carry revision 0, so the queries that ask what
    changed after a revision (revision > since >= 0) never see them."""

    session = models.ForeignKey(ScanSession, on_delete=models.CASCADE, related_name="revisions")
    field = models.CharField(_("veld"), max_length=80)
    value = models.TextField(_("waarde"), blank=True)
    version = models.PositiveIntegerField(_("versie"), default=0)
    revision = models.PositiveIntegerField(_("sessieversie"), default=0)
    kind = models.CharField(
        _("soort"), max_length=20, choices=RevisionKind.choices, default=RevisionKind.SAVED
    )
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


class UnsavedTextQuerySet(models.QuerySet):
    def current(self, now=None):
        """Reports recent enough to believe: a screen with unsaved text reports every few
        seconds; one that stopped (closed, offline) is no longer waited for."""
        return self.filter(reported_at__gte=(now or timezone.now()) - UnsavedText.LIFETIME)


class UnsavedText(models.Model):
    """One open screen of a session that holds typed text the server does not have yet, as the
    screen last reported it. Closing the session waits for these (the close view asks
    services.others_with_unsaved_text); rows go once the screen has saved everything, or when they are old.

    In the database, not in memory: several app servers may run, and the screen that types and
    the one that closes may be served by different ones."""

    LIFETIME = timedelta(seconds=6)

    session = models.ForeignKey(ScanSession, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    screen = models.CharField(max_length=40)
    fields = models.PositiveSmallIntegerField(default=1)
    reported_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = UnsavedTextQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "screen"], name="unique_unsaved_text_screen"),
        ]

    def __str__(self):
        return f"{self.screen}: {self.fields}"
