"""Autosave and live sync: one field saved at a time with optimistic concurrency, every save
appended to the history, and what changed since a revision for the other screens. Contract with
the browser: docs/live-protocol.md.

Nothing typed is refused into nothing:
- a save that lost a conflict is kept in the history (kind CONFLICT) at that moment, and the
  answer carries a three-way merge (sessions.merge) for the person to confirm;
- a save from a screen that had not yet shown the closed session (it names the revision it had
  seen) is stored all the same, marked AFTER_CLOSE; an app that builds on the session (the
  advice) hears of it through `text_after_close`."""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.dispatch import Signal
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
    whole_number,
)
from .fields import SPECS as FIELD_SPECS
from .merge import merge_texts
from .models import (
    ActionPoint,
    FieldRevision,
    RevisionKind,
    ScanSession,
    SessionFactor,
    Status,
)
from .push.hub import notify_after_commit

# History keys of the session itself; the advice (reports app) keeps its history in the same
# table under its own keys and revision numbers.
SESSION_KEY_PATTERN = r"^(session|factor|action):"


# Sent after a save stored as AFTER_CLOSE, outside its transaction, with session, key, before
# (the value before), after (the stored value) and user. A receiver that carried the text on
# (the advice) returns True, so the screen can say where it went.
text_after_close = Signal()


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
    after_close: bool = False
    # Set for an AFTER_CLOSE save: whether a receiver of text_after_close carried it on.
    carried_on: bool = False
    before: object = None


class Conflict(Exception):
    """Someone saved the field since the version a save started from. `saved` is what is
    stored; `merged` the three-way merge of the refused text into it, `clean` whether no place
    was changed by both."""

    def __init__(self, saved: SavedField, merged: str, clean: bool):
        super().__init__(saved.key)
        self.saved = saved
        self.merged = merged
        self.clean = clean


def saved_payload(saved: SavedField) -> dict:
    value = saved.value
    if isinstance(value, list):
        value = [str(v) for v in value]
    payload = {
        "field": saved.key,
        "value": value,
        "version": saved.version,
        "saved_at": timezone.localtime(saved.saved_at).strftime("%H:%M") if saved.saved_at else "",
        "saved_by": saved.saved_by,
    }
    if saved.after_close:
        payload["after_close"] = True
        payload["carried_on"] = saved.carried_on
    return payload


def conflict_payload(conflict: Conflict) -> dict:
    """The 409 answer: the stored text and version, and the merge for the person to confirm."""
    return {
        "error": "conflict",
        "message": _("Iemand anders heeft dit veld intussen gewijzigd."),
        **saved_payload(conflict.saved),
        "merged": conflict.merged,
        "merge_clean": conflict.clean,
    }


def _target(session: ScanSession, kind: str, pk: int):
    if kind == "session":
        return ScanSession.objects.filter(pk=pk if pk == session.pk else None)
    if kind == "factor":
        return SessionFactor.objects.filter(session=session, pk=pk)
    if kind == "action":
        return ActionPoint.objects.filter(session_factor__session=session, pk=pk)
    raise FieldError(_("Onbekend veld."))


def bump_revision(session: ScanSession, *, after_close: bool = False) -> int:
    """Count one change on the session, refused once it is closed (unless it is text that was
    typed before the screen showed "closed"). Must run inside the transaction of the change
    itself, so a closed session never takes a write it should not."""
    # One statement that counts and reads back (RETURNING: SQLite >= 3.35 and PostgreSQL):
    # this runs on every autosave.
    table = ScanSession._meta.db_table
    open_only = "" if after_close else " AND status <> %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET revision = revision + 1 WHERE id = %s{open_only} "
            "RETURNING revision",
            [session.pk] if after_close else [session.pk, Status.AFGEROND],
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
        .exclude(kind=RevisionKind.CONFLICT)
        .select_related("author")
        .order_by("-pk")
        .first()
    )


def base_text(session: ScanSession, key: str, version: int) -> str | None:
    """The text of a field at `version`, the common base of a three-way merge; None when the
    history no longer has it."""
    if version == 0:
        return ""  # every text field starts empty
    return (
        FieldRevision.objects.filter(session=session, field=key, version=version)
        .exclude(kind=RevisionKind.CONFLICT)
        .order_by("-pk")
        .values_list("value", flat=True)
        .first()
    )


def merge_into_stored(session: ScanSession, key: str, version: int, mine: str,
                      stored: str) -> tuple[str, bool]:
    base = base_text(session, key, version)
    if base is None:
        # No common base: keep every part of both, the stored text first.
        return merge_texts("", mine, stored)[0], False
    return merge_texts(base, mine, stored)


def typed_before_closing(session: ScanSession, seen_revision) -> bool:
    """Whether a screen that names `seen_revision` as the newest revision it had seen when the
    text was typed had not yet been told that the session closed."""
    seen = whole_number(seen_revision)
    closed = session.closed_revision
    return session.is_closed and seen is not None and closed is not None and seen < closed


def save_field(*, session: ScanSession, key: str, values: list[str], version, user,
               seen_revision=None, merge=False, on_saved=None) -> SavedField:
    """Save one field of a session (see store_field). A closed session takes a save only when
    the screen had not yet shown it closed (`seen_revision`); then it is stored AFTER_CLOSE,
    merged into what is stored when needed, and text_after_close is sent."""
    spec, pk = parse_key(key)
    value = clean_value(spec, values)
    target = _target(session, spec.kind, pk)
    for attempt in range(2):
        after_close = session.is_closed
        if after_close and not typed_before_closing(session, seen_revision):
            raise SessionClosed()
        try:
            saved = store_field(
                spec=spec, target=target, key=key, value=value, version=version,
                session=session, user=user, merge=merge or after_close, after_close=after_close,
                bump=lambda after_close=after_close: bump_revision(session, after_close=after_close),
                on_saved=on_saved,
            )
            break
        except SessionClosed:
            if attempt:
                raise
            # Closed while this save was on its way: decide again with the closing revision.
            session.refresh_from_db(fields=["status", "closed_revision"])
    if saved.after_close:
        answers = text_after_close.send(
            sender=ScanSession, session=session, key=key, before=saved.before,
            after=saved.value, user=user,
        )
        saved.carried_on = any(answer for _receiver, answer in answers)
    return saved


def store_field(*, spec: FieldSpec, target, key: str, value, version, session, user, bump,
                merge=False, after_close=False, on_saved=None) -> SavedField:
    """Store a checked value in the one row `target` selects, and append it to the history.

    Text fields only go through when `version` is the stored version (optimistic concurrency,
    the row locked while it is decided). Otherwise the text is merged three-way into the stored
    one (base: the history's text at `version`): with `merge` the merge is stored; without,
    Conflict carries the stored text and the merge, and the refused text is kept in the history
    (CONFLICT) before the answer goes out. Re-sending text that is already stored succeeds, so a
    retry after a lost response never turns into a conflict or a duplicate. `bump` counts the
    change on the document and returns its new revision, inside the same transaction; so does
    `on_saved` (the audit line), when a change was stored: one write transaction per save, no
    savepoint."""
    name = spec.name
    before, refused = None, None
    with transaction.atomic():
        if spec.versioned:
            version = _version_number(version)
            version_field = f"{name}_version"
            if after_close:  # text_after_close's receivers are told what it replaced
                before = target.values_list(name, flat=True).first()
            updated = target.filter(**{version_field: version}).update(
                **{name: value, version_field: F(version_field) + 1}
            )
            new_version = version + 1
            if not updated:
                # Locked, so that a merge is stored onto exactly the text it was made from.
                row = target.select_for_update().values(name, version_field).first()
                if row is None:
                    raise FieldNotFound()
                stored, stored_version = row[name], row[version_field]
                if stored == value:
                    return _stored(session, key, stored, stored_version)
                merged, clean = merge_into_stored(session, key, version, value, stored)
                if not merge:
                    refused = Conflict(_stored(session, key, stored, stored_version), merged, clean)
                else:
                    target.filter(**{version_field: stored_version}).update(
                        **{name: merged, version_field: stored_version + 1}
                    )
                    before, value, new_version = stored, merged, stored_version + 1
        else:
            if not target.update(**{name: value}):
                raise FieldNotFound()
            new_version = 0
        if refused is None:
            entry = FieldRevision.objects.create(
                session=session, field=key, value=_revision_text(spec, value),
                version=new_version, revision=bump(), author=user,
                kind=RevisionKind.AFTER_CLOSE if after_close else RevisionKind.SAVED,
            )
            if on_saved is not None:
                on_saved()
    if refused is not None:
        keep_refused_text(session=session, key=key, value=value, version=version, user=user)
        raise refused
    return SavedField(
        key=key, value=value, version=new_version, saved_at=entry.created_at,
        saved_by=display_name(user), after_close=after_close, before=before,
    )


def _version_number(version) -> int:
    try:
        return int(version)
    except (TypeError, ValueError):
        raise FieldError(_("De versie van dit veld ontbreekt of is ongeldig.")) from None


def _stored(session: ScanSession, key: str, value, version: int) -> SavedField:
    """What is stored in a field, with who saved it last."""
    stored = last_saved(session, key)
    return SavedField(
        key=key, value=value, version=version,
        saved_at=stored.created_at if stored else None,
        saved_by=display_name(stored.author) if stored else "",
    )


MAX_VERSION = 2**31 - 1


def keep_refused_text(*, session: ScanSession, key: str, value: str, version: int, user) -> None:
    """Keep the text of a save that lost a conflict in the history, once per author and text
    (the screen may send it again), so it is on the server even if that browser closes."""
    latest = (
        FieldRevision.objects.filter(session=session, field=key, author=user)
        .order_by("-pk").values_list("kind", "value").first()
    )
    if latest != (RevisionKind.CONFLICT, value):
        FieldRevision.objects.create(
            session=session, field=key, value=value, revision=0, author=user,
            # The version it was based on, when it is one a field can have.
            version=version if 0 <= version <= MAX_VERSION else 0, kind=RevisionKind.CONFLICT,
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
    """What changed on the session after revision `since`, for the other screens. None when
    nothing changed. `refresh` tells a screen to reload its summary parts (progress,
    completeness): set for anything but typed text. `structural`: something changed that is
    not a saved field (started, moved, closed, reopened, factors chosen): the clocks reload.
    since < 0 (or ahead of the session) asks for everything."""
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
        "structural": structural,
    }


