"""The history of saved text as a person reads it (which field of what: a factor's title, an
action point; values in words: level names, the ticked sub-questions), and putting an old
version back through the normal, conflict-safe save (autosave.save_field)."""

import json
from dataclasses import dataclass

from django.utils.translation import gettext as _

from actiescan.models import Level

from . import autosave
from .fields import BOOL, DISCUSSED, LEVEL, SESSION_KINDS, FieldError, FieldSpec, parse_key
from .models import ActionPoint, FieldRevision, RevisionKind, ScanSession, SessionFactor


@dataclass
class HistoryRow:
    revision: FieldRevision
    place: str  # what the field belongs to: the session, a factor, an action point, the advice
    label: str  # the field itself
    text: str = ""  # the value as text …
    items: tuple[str, ...] = ()  # … or as a list (ticked sub-questions)
    restorable: bool = False

    @property
    def name(self) -> str:
        """The field as a person names it on its own: "Notulen – Maatwerk"."""
        return self.label if self.revision.field.startswith("session:") else f"{self.label} – {self.place}"


def _stored(spec: FieldSpec, raw: str):
    """A history entry's value as the field holds it (see autosave._revision_text)."""
    if spec.type == DISCUSSED:
        try:
            indexes = json.loads(raw or "[]")
        except ValueError:
            return []
        return [i for i in indexes if isinstance(i, int)]
    if spec.type == BOOL:
        return raw == "1"
    return raw


def readable_rows(session: ScanSession, revisions) -> list[HistoryRow]:
    factors = {
        sf.pk: sf for sf in SessionFactor.objects.filter(session=session).defer("minutes", "rationale")
    }
    actions = {
        action.pk: action
        for action in ActionPoint.objects.filter(session_factor__session=session)
        .only("pk", "position", "session_factor_id")
    }
    levels = dict(Level.choices)
    newest_seen = set()
    rows = []
    for revision in revisions:  # newest first
        try:
            spec, pk = parse_key(revision.field)
        except FieldError:
            rows.append(HistoryRow(revision, "–", revision.field, text=revision.value))
            continue
        factor = None
        if spec.kind == "session":
            place = _("Sessie")
        elif spec.kind == "factor":
            factor = factors.get(pk)
            place = factor.title if factor else _("succesfactor (verwijderd)")
        elif spec.kind == "action":
            action = actions.get(pk)
            factor = factors.get(action.session_factor_id) if action else None
            place = _("%(factor)s – actiepunt %(n)s") % {
                "factor": factor.title, "n": action.position,
            } if factor else _("actiepunt (verwijderd)")
        else:
            place = _("Advies")
        value = _stored(spec, revision.value)
        row = HistoryRow(revision, place, str(spec.label or spec.name))
        if spec.type == LEVEL:
            row.text = levels.get(value, _("geen niveau"))
        elif spec.type == BOOL:
            row.text = _("ja") if value else _("nee")
        elif spec.type == DISCUSSED:
            questions = factor.sub_question_rows() if factor else []
            row.items = tuple(
                f"{i + 1}. {questions[i]['text']}" if i < len(questions) else str(i + 1)
                for i in value
            )
            row.text = "" if row.items else _("geen")
        else:
            row.text = value
        # Every older version of a session field can be put back; the newest saved one is what
        # it holds. A text that lost a conflict was never in the field: it can always go back.
        refused = revision.kind == RevisionKind.CONFLICT
        row.restorable = (
            spec.kind in SESSION_KINDS and not session.is_closed
            and (refused or revision.field in newest_seen)
        )
        if not refused:
            newest_seen.add(revision.field)
        rows.append(row)
    return rows


def restore(*, session: ScanSession, revision: FieldRevision, user, on_saved=None):
    """Save an old version of a field again, as a new version, through autosave.save_field
    with the version stored now: someone saving in between gives a Conflict, nothing is
    overwritten unseen. A text that lost a conflict is merged in instead. Raises what save_field raises (SessionClosed, Conflict, FieldNotFound,
    FieldError)."""
    spec, _pk = parse_key(revision.field)
    if spec.kind not in SESSION_KINDS:
        raise FieldError(_("Dit veld hoort bij het advies; zet het daar terug."))
    value = _stored(spec, revision.value)
    if spec.type == DISCUSSED:
        values = [str(i) for i in value]
    elif spec.type == BOOL:
        values = ["1" if value else ""]
    else:
        values = [value]
    if revision.kind == RevisionKind.CONFLICT:
        # A text that lost a conflict goes in merged with what the field holds now, three-way
        # from the version it was written on: nothing of either is dropped.
        return autosave.save_field(
            session=session, key=revision.field, values=values, version=revision.version,
            user=user, merge=True, on_saved=on_saved,
        )
    current = autosave.current_field(session, revision.field)
    return autosave.save_field(
        session=session, key=revision.field, values=values, version=current.get("version"),
        user=user, on_saved=on_saved,
    )


def field_name(session: ScanSession, key: str) -> str:
    """How a person names one field of the session: "Notulen – Maatwerk"."""
    return readable_rows(session, [FieldRevision(session=session, field=key)])[0].name
