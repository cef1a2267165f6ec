"""Workshops (bijeenkomsten) with several tables, and the reflection at the end (seed 000).

The organiser's overview reads every table in a fixed number of queries, however many tables
there are: the sessions, their chosen factors, their action points and their reflections are
each fetched in one query and joined here. `tables_fingerprint` answers "did anything change?"
in one query, so the overview's poll costs almost nothing while the tables are quiet."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from actiescan.models import Level
from actiescan.roles import is_ser_staff

from . import services
from .models import (
    ActionPoint,
    Event,
    Initiative,
    Reflection,
    ReflectionQuestion,
    ScanSession,
    SessionFactor,
    Status,
)

LEVEL_LABELS = dict(Level.choices)


# --- Tables ------------------------------------------------------------------------------------

@transaction.atomic
def add_table(*, event: Event, initiative: Initiative, moderator, notulist, location: str,
              factor_ids: list[int], language: str, user) -> ScanSession:
    """Plan one table of the event: a session at the event's time, with its own moderator and
    notulist, and (optionally) the factors chosen already. A table on a casus never counts as
    a follow-up of another table that practised on the same casus."""
    session = ScanSession(
        initiative=initiative, starts_at=event.starts_at, location=location,
        moderator=moderator, notulist=notulist, event=event, language=language,
    )
    if initiative.is_case:
        session.created_by = user
        session.save()
    else:
        services.plan_session(session=session, user=user)
    if factor_ids:
        services.choose_factors(session=session, factor_ids=factor_ids, user=user)
    return session


def next_table_name(event: Event) -> str:
    return _("Tafel %(n)s") % {"n": event.tables.count() + 1}


@dataclass
class FactorState:
    pk: int
    title: str
    current_level: str
    desired_level: str
    complete: bool
    seconds_spent: int

    @property
    def current_label(self) -> str:
        return str(LEVEL_LABELS.get(self.current_level, ""))

    @property
    def desired_label(self) -> str:
        return str(LEVEL_LABELS.get(self.desired_level, ""))


@dataclass
class TableState:
    """What the organiser sees of one table."""

    session: ScanSession
    number: int
    can_open: bool
    factors: list[FactorState] = field(default_factory=list)
    has_reflection: bool = False
    # The clock: seconds stored on the factors, plus the running time of the current factor.
    running_since: datetime | None = None

    @property
    def total(self) -> int:
        return len(self.factors)

    @property
    def done(self) -> int:
        return sum(1 for f in self.factors if f.complete)

    @property
    def levels_set(self) -> int:
        return sum(1 for f in self.factors if f.current_level)

    @property
    def current(self) -> FactorState | None:
        for factor in self.factors:
            if factor.pk == self.session.current_factor_id:
                return factor
        return None

    @property
    def stored_seconds(self) -> int:
        return sum(f.seconds_spent for f in self.factors)

    def seconds_spent(self, now=None) -> int:
        running = 0
        if self.running_since:
            running = max(int(((now or timezone.now()) - self.running_since).total_seconds()), 0)
        return self.stored_seconds + running

    def current_seconds(self, now=None) -> int:
        current = self.current
        if current is None:
            return 0
        running = 0
        if self.running_since:
            running = max(int(((now or timezone.now()) - self.running_since).total_seconds()), 0)
        return current.seconds_spent + running


def table_sessions(event: Event):
    return ScanSession.objects.filter(event=event).order_by("pk")


def event_tables(event: Event, user) -> list[TableState]:
    """Every table of the event with its live state. Four queries, whatever the number of
    tables or factors."""
    sessions = list(
        table_sessions(event)
        .select_related("initiative", "moderator", "notulist")
        .defer("general_minutes", "wrap_up_notes", "choice_rationale", "initiative__description",
               "initiative__organisations")
    )
    english = (translation.get_language() or "").startswith("en")
    factors = list(
        SessionFactor.objects.filter(session__event=event)
        .annotate(
            title_nl=KeyTextTransform("title", "snapshot"),
            title_en=KeyTextTransform("title", KeyTransform("en", "snapshot")),
        )
        .only("pk", "session_id", "position", "current_level", "desired_level", "seconds_spent")
        .order_by("session_id", "position", "pk")
    )
    missing_action = set(
        ActionPoint.objects.filter(session_factor__session__event=event, text__regex=r"^\s*$")
        .values_list("session_factor_id", flat=True)
    )
    answered = Q()
    for name in Reflection.ANSWER_FIELDS:
        answered |= ~Q(**{name: ""})
    reflected = set(
        Reflection.objects.filter(session__event=event).filter(answered)
        .values_list("session_id", flat=True)
    )
    staff = is_ser_staff(user)
    tables = {}
    for number, session in enumerate(sessions, start=1):
        running = (
            session.current_factor_since
            if session.status == Status.BEZIG and session.current_factor_id
            else None
        )
        tables[session.pk] = TableState(
            session=session,
            number=number,
            can_open=staff or user.pk in (session.moderator_id, session.notulist_id),
            has_reflection=session.pk in reflected,
            running_since=running,
        )
    for factor in factors:
        table = tables.get(factor.session_id)
        if table is None:
            continue
        table.factors.append(
            FactorState(
                pk=factor.pk,
                title=(english and factor.title_en) or factor.title_nl or "",
                current_level=factor.current_level,
                desired_level=factor.desired_level,
                complete=bool(factor.current_level) and factor.pk not in missing_action,
                seconds_spent=factor.seconds_spent,
            )
        )
    return list(tables.values())


def tables_fingerprint(event: Event) -> str:
    """Changes whenever anything the overview shows changes: a table added or removed, any
    change on a table's session (its revision counts every change), a reflection saved. One
    query."""
    row = table_sessions(event).order_by().aggregate(
        n=Count("pk"), ids=Sum("pk"), revisions=Sum("revision"),
        reflections=Sum("reflection__version"),
    )
    return "{}-{}-{}-{}".format(
        row["n"] or 0, row["ids"] or 0, row["revisions"] or 0, row["reflections"] or 0
    )


def case_initiatives(tables: list[TableState]) -> list[Initiative]:
    seen = {}
    for table in tables:
        initiative = table.session.initiative
        if initiative.is_case:
            seen.setdefault(initiative.pk, initiative)
    return list(seen.values())


# --- Reflection --------------------------------------------------------------------------------

QUESTIONS = list(ReflectionQuestion.choices)


class ReflectionConflict(Exception):
    """Someone else saved the reflection since the version the form started from."""

    def __init__(self, stored: Reflection):
        super().__init__("reflection conflict")
        self.stored = stored


def reflection_lookup(*, session=None, event=None) -> dict:
    if (session is None) == (event is None):
        raise ValueError("A reflection belongs to a session or to an event.")
    return {"session": session} if session is not None else {"event": event}


def reflection_for(*, session=None, event=None) -> Reflection:
    """The stored reflection, or a new empty one (not saved)."""
    lookup = reflection_lookup(session=session, event=event)
    return Reflection.objects.filter(**lookup).first() or Reflection(**lookup)


@transaction.atomic
def save_reflection(*, answers: dict, version: int, user, session=None, event=None) -> Reflection:
    """Store the three answers when `version` is still the stored version (a conditional
    UPDATE); otherwise raise ReflectionConflict with what is stored, unless it holds exactly
    these answers already (a re-sent form)."""
    lookup = reflection_lookup(session=session, event=event)
    Reflection.objects.get_or_create(**lookup)
    values = {name: answers.get(name, "") for name in Reflection.ANSWER_FIELDS}
    updated = Reflection.objects.filter(**lookup, version=version).update(
        **values, version=F("version") + 1, updated_at=timezone.now(), updated_by=user,
    )
    stored = Reflection.objects.select_related("updated_by").get(**lookup)
    if not updated and any(getattr(stored, name) != value for name, value in values.items()):
        raise ReflectionConflict(stored)
    return stored


def event_reflections(event: Event):
    """The event's own reflection and those of its tables, for the export."""
    return Reflection.objects.filter(Q(event=event) | Q(session__event=event))
