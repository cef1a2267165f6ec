"""Autosave and live sync: one field saved at a time with optimistic concurrency, every save
appended to the history, and what changed since a revision for the other screens. Contract with
the browser: docs/live-protocol.md."""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from actiescan.users import display_name, name_from_parts

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
from .push.hub import notify_after_commit

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


def saved_payload(saved: SavedField) -> dict:
    value = saved.value
    if isinstance(value, list):
        value = [str(v) for v in value]
    return {
        "field": saved.key,
        "value": value,
        "version": saved.version,
        "saved_at": timezone.localtime(saved.saved_at).strftime("%H:%M") if saved.saved_at else "",
        "saved_by": saved.saved_by,
    }


def _target(session: ScanSession, kind: str, pk: int):
    if kind == "session":
        return ScanSession.objects.filter(pk=pk if pk == session.pk else None)
    if kind == "factor":
        return SessionFactor.objects.filter(session=session, pk=pk)
    if kind == "action":
        return ActionPoint.objects.filter(session_factor__session=session, pk=pk)
    raise FieldError(_("Onbekend veld."))


def bump_revision(session: ScanSession) -> int:
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
    # Every open screen of the session learns of it when this transaction commits.
    notify_after_commit(session.pk, session.revision)
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
        version=version, session=session, user=user, bump=lambda: bump_revision(session),
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


def current_field(session: ScanSession, key: str) -> dict:
    """The stored value of one field (with its version, for text); FieldNotFound when the
    object it belongs to is gone."""
    spec, pk = parse_key(key)
    if spec.kind == "session" and pk != session.pk:
        raise FieldNotFound()
    values = _current_values(session, [key], everything=False)
    if key not in values:
        raise FieldNotFound()
    return values[key]


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
        "wrap_up": session.wrap_up_since is not None,
        "fields": fields,
        "refresh": refresh,
    }


