"""Writes that touch a session and more than one row. Small keyword-only functions; views call
these and never update several models themselves."""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from actiescan.models import SuccessFactor

from .fields import (
    BOOL,
    DISCUSSED,
    SUMMARY_KINDS,
    FieldError,
    FieldSpec,
    clean_value,
    key_for,
    parse_key,
)
from .fields import SPECS as FIELD_SPECS
from .models import ActionPoint, FieldRevision, ScanSession, SessionFactor, Status

# History keys of the session itself; the advice (reports app) keeps its history in the same
# table under its own keys and revision numbers.
SESSION_KEY_PATTERN = r"^(session|factor|action):"


class SessionClosed(Exception):
    pass


class FieldNotFound(Exception):
    pass


@dataclass
class SavedField:
    key: str
    value: object
    version: int
    saved_at: datetime | None
    saved_by: str


class Conflict(Exception):
    def __init__(self, saved: SavedField):
        super().__init__(saved.key)
        self.saved = saved


def display_name(user) -> str:
    if user is None:
        return ""
    return name_from_parts(user.first_name, user.last_name, user.username)


def name_from_parts(first_name, last_name, username) -> str:
    """The full name as User.get_full_name() makes it, else the username."""
    return f"{first_name or ''} {last_name or ''}".strip() or username or ""


def _target(session: ScanSession, kind: str, pk: int):
    if kind == "session":
        return ScanSession.objects.filter(pk=pk if pk == session.pk else None)
    if kind == "factor":
        return SessionFactor.objects.filter(session=session, pk=pk)
    if kind == "action":
        return ActionPoint.objects.filter(session_factor__session=session, pk=pk)
    raise FieldError(_("Onbekend veld."))


def _bump_revision(session: ScanSession) -> int:
    """Count one change on the session, refused once it is closed. Must run inside the
    transaction of the change itself, so a closed session never takes a write."""
    # One statement that counts and reads back (RETURNING: SQLite >= 3.35 and PostgreSQL):
    # this runs on every autosave.
    table = ScanSession._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET revision = revision + 1 WHERE id = %s AND status <> %s "
            "RETURNING revision",
            [session.pk, Status.AFGEROND],
        )
        row = cursor.fetchone()
    if row is None:
        raise SessionClosed()
    session.revision = row[0]
    return session.revision


def _revision_text(spec: FieldSpec, value) -> str:
    if spec.type == DISCUSSED:
        return json.dumps(value)
    if spec.type == BOOL:
        return "1" if value else ""
    return value


def last_saved(session: ScanSession, key: str) -> FieldRevision | None:
    return (
        FieldRevision.objects.filter(session=session, field=key)
        .select_related("author")
        .order_by("-pk")
        .first()
    )


def save_field(*, session: ScanSession, key: str, values: list[str], version, user,
               on_saved=None) -> SavedField:
    """Save one field of a session (see store_field)."""
    spec, pk = parse_key(key)
    value = clean_value(spec, values)
    if session.is_closed:
        raise SessionClosed()
    return store_field(
        spec=spec, target=_target(session, spec.kind, pk), key=key, value=value,
        version=version, session=session, user=user, bump=lambda: _bump_revision(session),
        on_saved=on_saved,
    )


def store_field(*, spec: FieldSpec, target, key: str, value, version, session, user, bump,
                on_saved=None) -> SavedField:
    """Store a checked value in the one row `target` selects, and append it to the history.

    Text fields only go through when `version` is the stored version (a conditional UPDATE:
    optimistic concurrency); otherwise Conflict carries the stored text so that both can be
    shown. Re-sending text that is already stored succeeds, so a retry after a lost response
    never turns into a conflict or a duplicate. `bump` counts the change on the document and
    returns its new revision, inside the same transaction; so does `on_saved` (the audit line),
    when a change was stored: one write transaction per save, no savepoint."""
    name = spec.name
    with transaction.atomic():
        if spec.versioned:
            try:
                version = int(version)
            except (TypeError, ValueError):
                raise FieldError(_("De versie van dit veld ontbreekt of is ongeldig.")) from None
            version_field = f"{name}_version"
            updated = target.filter(**{version_field: version}).update(
                **{name: value, version_field: F(version_field) + 1}
            )
            if not updated:
                row = target.values(name, version_field).first()
                if row is None:
                    raise FieldNotFound()
                stored = last_saved(session, key)
                saved = SavedField(
                    key=key,
                    value=row[name],
                    version=row[version_field],
                    saved_at=stored.created_at if stored else None,
                    saved_by=display_name(stored.author) if stored else "",
                )
                if row[name] == value:
                    return saved
                raise Conflict(saved)
            new_version = version + 1
        else:
            if not target.update(**{name: value}):
                raise FieldNotFound()
            new_version = 0
        revision = bump()
        entry = FieldRevision.objects.create(
            session=session, field=key, value=_revision_text(spec, value),
            version=new_version, revision=revision, author=user,
        )
        if on_saved is not None:
            on_saved()
    return SavedField(
        key=key, value=value, version=new_version, saved_at=entry.created_at,
        saved_by=display_name(user),
    )


def factors_with_actions(session: ScanSession):
    return session.factors.select_related(None).prefetch_related(
        Prefetch("action_points", queryset=ActionPoint.objects.order_by("position"))
    )


def _value_fields(kind: str) -> list[str]:
    """The columns that hold the editable fields of `kind` and their versions."""
    return [name for spec_kind, name in FIELD_SPECS if spec_kind == kind] + [
        f"{name}_version" for (spec_kind, name), spec in FIELD_SPECS.items()
        if spec_kind == kind and spec.versioned
    ]


SESSION_VALUE_FIELDS = _value_fields("session")
FACTOR_VALUE_FIELDS = _value_fields("factor")
ACTION_VALUE_FIELDS = _value_fields("action")


def field_values(*, session=None, factors=(), actions=()) -> dict[str, dict]:
    """The editable fields of the given objects with their value (and version for text)."""
    values = {}
    for kind, objects in (("session", [session] if session else []), ("factor", factors),
                          ("action", actions)):
        for obj in objects:
            for (spec_kind, name), spec in FIELD_SPECS.items():
                if spec_kind != kind:
                    continue
                item = {"value": getattr(obj, name)}
                if spec.versioned:
                    item["version"] = getattr(obj, f"{name}_version")
                if spec.type == DISCUSSED:
                    item["value"] = [str(i) for i in item["value"]]
                values[key_for(kind, obj.pk, name)] = item
    return values


def _current_values(session: ScanSession, keys, *, everything: bool) -> dict[str, dict]:
    """Current values for `keys`, loading only the rows they belong to (a poll mostly asks for
    the one field the other person is typing in), or for the whole session."""
    wanted = {"session": set(), "factor": set(), "action": set()}
    for key in keys:
        spec, pk = parse_key(key)
        wanted[spec.kind].add(pk)
    # Only the rows and columns asked for: this runs for every poll that sees a change.
    factors = actions = ()
    if everything or wanted["factor"]:
        factors = SessionFactor.objects.filter(session=session).only(*FACTOR_VALUE_FIELDS)
        if not everything:
            factors = factors.filter(pk__in=wanted["factor"])
    if everything or wanted["action"]:
        actions = ActionPoint.objects.filter(session_factor__session=session).only(*ACTION_VALUE_FIELDS)
        if not everything:
            actions = actions.filter(pk__in=wanted["action"])
    load_session = everything or bool(wanted["session"])
    if load_session:
        # The poll loaded only what the 204 answer needs.
        session.refresh_from_db(fields=SESSION_VALUE_FIELDS)
    return field_values(session=session if load_session else None, factors=factors, actions=actions)


def changes_since(session: ScanSession, since: int) -> dict | None:
    """What changed on the session after revision `since`, for the other screen's poll.
    None when nothing changed. `refresh` tells the screen to reload its summary parts
    (progress, completeness): set for anything but typed text."""
    if 0 <= since == session.revision:
        return None
    stale_client = since < 0 or since > session.revision
    # Plain tuples rather than model instances: this runs for every poll that sees a change.
    history = list(
        FieldRevision.objects.filter(session=session, revision__gt=max(since, 0))
        .filter(field__regex=SESSION_KEY_PATTERN)
        .order_by("pk")
        .values_list("field", "revision", "created_at", "author__first_name", "author__last_name",
                     "author__username")
    )
    last_by_key = {entry[0]: entry for entry in history}
    values = _current_values(session, last_by_key, everything=stale_client)
    fields = {}
    for key, item in values.items():
        if not stale_client and key not in last_by_key:
            continue  # another field of a row that was loaded for a changed one
        entry = last_by_key.get(key)
        if entry:
            _, _, created_at, first_name, last_name, username = entry
            item["saved_by"] = name_from_parts(first_name, last_name, username)
            item["saved_at"] = timezone.localtime(created_at).strftime("%H:%M")
        fields[key] = item
    covered = {entry[1] for entry in history}
    structural = stale_client or len(covered) < session.revision - since
    refresh = structural or any(
        parse_key(key)[0].type in SUMMARY_KINDS or key.startswith("action:") for key in last_by_key
    )
    return {
        "revision": session.revision,
        "status": session.status,
        "current_factor": session.current_factor_id,
        "fields": fields,
        "refresh": refresh,
    }


# --- Structure of a session -------------------------------------------------------------------

def _new_session_factor(*, session, factor, position) -> SessionFactor:
    session_factor = SessionFactor.objects.create(
        session=session, factor=factor, position=position, snapshot=factor.snapshot()
    )
    ActionPoint.objects.bulk_create(
        ActionPoint(session_factor=session_factor, position=n)
        for n in range(1, ActionPoint.ACTIONS_PER_FACTOR + 1)
    )
    return session_factor


def catalogue_with_texts():
    return SuccessFactor.objects.prefetch_related("sub_questions", "descriptors")


@transaction.atomic
def choose_factors(*, session: ScanSession, factor_ids: list[int], user) -> list[str]:
    """Make the session's chosen factors equal to `factor_ids` (new ones go to the end).
    A factor that already has notes, levels or action points is kept, never deleted with its
    text; the returned messages say which."""
    wanted = set(factor_ids)
    chosen = list(factors_with_actions(session).select_related("factor"))
    kept_messages = []
    for session_factor in chosen:
        if session_factor.factor_id in wanted:
            continue
        if session_factor.has_content():
            kept_messages.append(
                _("%(factor)s heeft al notities of actiepunten en blijft daarom gekozen.")
                % {"factor": session_factor.title}
            )
            continue
        if session.current_factor_id == session_factor.pk:
            ScanSession.objects.filter(pk=session.pk).update(current_factor=None)
            session.current_factor = None
        session_factor.delete()
    present = {sf.factor_id for sf in chosen}
    position = max((sf.position for sf in chosen), default=0)
    for factor in catalogue_with_texts().filter(pk__in=wanted - present, is_active=True):
        position += 1
        _new_session_factor(session=session, factor=factor, position=position)
    _renumber(session)
    _bump_revision(session)
    return kept_messages


def _renumber(session: ScanSession):
    for n, session_factor in enumerate(session.factors.order_by("position", "pk"), start=1):
        if session_factor.position != n:
            SessionFactor.objects.filter(pk=session_factor.pk).update(position=n)


@transaction.atomic
def move_factor(*, session: ScanSession, session_factor: SessionFactor, step: int):
    ordered = list(session.factors.order_by("position", "pk"))
    index = next(i for i, sf in enumerate(ordered) if sf.pk == session_factor.pk)
    other = index + step
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for n, sf in enumerate(ordered, start=1):
            SessionFactor.objects.filter(pk=sf.pk).update(position=n)
        _bump_revision(session)


def _stop_clock(session: ScanSession, now):
    if session.current_factor_id and session.current_factor_since:
        spent = int((now - session.current_factor_since).total_seconds())
        SessionFactor.objects.filter(pk=session.current_factor_id).update(
            seconds_spent=F("seconds_spent") + max(spent, 0)
        )


@transaction.atomic
def start_session(*, session: ScanSession, user):
    """Start the conversation. The catalogue texts are copied again for factors nobody has
    written anything for yet, so the table sees the catalogue as it is today."""
    if session.status != Status.GEPLAND:
        return
    texts = {f.pk: f for f in catalogue_with_texts()}
    for session_factor in factors_with_actions(session):
        if not session_factor.has_content():
            SessionFactor.objects.filter(pk=session_factor.pk).update(
                snapshot=texts[session_factor.factor_id].snapshot()
            )
    session.status = Status.BEZIG
    session.started_at = timezone.now()
    # A moderator who opened the cockpit before starting already has a current factor: its
    # clock starts now.
    session.current_factor_since = session.started_at if session.current_factor_id else None
    session.save(update_fields=["status", "started_at", "current_factor_since"])
    _bump_revision(session)


@transaction.atomic
def set_current_factor(*, session: ScanSession, session_factor: SessionFactor):
    """The moderator moved to another factor: stop its clock on the old one and start it on
    the new one (only while the session runs), so the notulist's screen can follow."""
    if session.current_factor_id == session_factor.pk or session.is_closed:
        return
    now = timezone.now()
    if session.status == Status.BEZIG:
        _stop_clock(session, now)
    session.current_factor = session_factor
    session.current_factor_since = now if session.status == Status.BEZIG else None
    ScanSession.objects.filter(pk=session.pk).update(
        current_factor=session_factor, current_factor_since=session.current_factor_since
    )
    _bump_revision(session)


@transaction.atomic
def close_session(*, session: ScanSession, user):
    if session.is_closed:
        return
    now = timezone.now()
    _stop_clock(session, now)
    _bump_revision(session)
    session.status = Status.AFGEROND
    session.closed_at = now
    session.closed_by = user
    session.current_factor_since = None
    session.save(update_fields=["status", "closed_at", "closed_by", "current_factor_since"])


@transaction.atomic
def reopen_session(*, session: ScanSession, user):
    if not session.is_closed:
        return
    session.status = Status.BEZIG
    session.closed_at = None
    session.closed_by = None
    session.current_factor_since = timezone.now() if session.current_factor_id else None
    session.save(update_fields=["status", "closed_at", "closed_by", "current_factor_since"])
    _bump_revision(session)


# --- Follow-up sessions -----------------------------------------------------------------------

@transaction.atomic
def plan_session(*, session: ScanSession, user) -> ScanSession:
    """Save a newly planned session. When its initiative held a session before, that one
    becomes `previous_session`: the new session opens with a review of its action points and
    shows its levels while scoring."""
    session.created_by = user
    session.previous_session = session.find_previous_session()
    session.save()
    return session


def set_action_status(*, action_point: ActionPoint, status: str, comment: str, user) -> ActionPoint:
    """Record how an action point stands (the follow-up review). Allowed on closed sessions:
    this is follow-up data, not the content of the conversation. Raises FieldError with a
    Dutch message for a status that does not exist or a comment that is too long."""
    from .models import ActionStatus

    if status not in ActionStatus.values:
        raise FieldError(_("Kies: niet gestart, bezig, gedaan of vervallen."))
    comment = (comment or "").replace("\r\n", "\n").strip()
    if "\x00" in comment:
        raise FieldError(_("De toelichting bevat een ongeldig teken."))
    limit = ActionPoint.STATUS_COMMENT_MAX_LENGTH
    if len(comment) > limit:
        raise FieldError(
            _("De toelichting is te lang: %(length)s tekens, het maximum is %(limit)s.")
            % {"length": len(comment), "limit": limit}
        )
    now = timezone.now()
    ActionPoint.objects.filter(pk=action_point.pk).update(
        status=status, status_comment=comment, status_updated_at=now, status_updated_by=user
    )
    action_point.status = status
    action_point.status_comment = comment
    action_point.status_updated_at = now
    action_point.status_updated_by = user
    return action_point
