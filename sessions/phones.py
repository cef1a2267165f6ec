"""Taking part from a phone: everyone at the table follows the moderator on their own phone,
marks privately where they think the initiative stands, and sends ideas for action points.

Joining. The moderator makes a join code (shown once, with a QR code; only its hash is kept). A
table member types it on /mee/ (the QR code fills it in), with a first name or none, and the
browser's Django session remembers the phone (PhoneParticipant); there is no account and no link
that opens the table by itself. A valid code always opens, whoever asks: wrong codes are counted
per client (actiescan.clients), and past the limit a client's wrong codes are refused for a while.
At most ACTIESCAN_PHONES_PER_TABLE phones join one table.

Access. A phone sees only its own session, and only while the code it joined with is usable and
the session is not closed; every request and every pushed event checks that again. What a phone
receives is `phone_state`: the phase, the catalogue texts of the current factor (the
SessionFactor snapshot), and its own mark and proposals. Never the minutes, the rationale, the
action points or anyone's name: the phone page and its live updates are rendered from that one
dict only.

Marks and proposals never move the session's revision: thirty phones marking would otherwise
make every screen of the session reload. The moderator's screens ask for them themselves."""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import segno
from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from actiescan.clients import client_fingerprint
from actiescan.models import Level
from actiescan.tokens import token_hash

from .autosave import Conflict, SessionClosed, bump_revision
from .fields import FieldError
from .models import (
    ActionPoint,
    ActionProposal,
    JoinCode,
    JoinCodeFailure,
    ParticipantMark,
    PhoneParticipant,
    ScanSession,
    SessionFactor,
    Status,
    new_join_code,
)
from .present import looks_like_code, normalise
from .services import add_action_text, stored_action_fields

SESSION_KEY = "actiescan_phones"
# How many tables one browser remembers (a phone joins one, in practice).
MAX_JOINS_PER_BROWSER = 10
FAILURE_WINDOW = timedelta(minutes=15)
FAILURE_RETENTION = timedelta(days=1)
# The spread shows from this many marks on, or earlier when the moderator reveals it: with one
# or two marks it would show what one person thinks.
MIN_MARKS_FOR_SPREAD = 3


def code_hours() -> int:
    return settings.ACTIESCAN_JOIN_CODE_HOURS


def phones_per_table() -> int:
    return settings.ACTIESCAN_PHONES_PER_TABLE


class RateLimited(Exception):
    """This client typed too many wrong join codes lately."""


class JoinRefused(Exception):
    """The code is valid, but the phone cannot join (the table is full, the session ended);
    the message says why, in Dutch."""


# --- Codes (moderator) -------------------------------------------------------------------------

def create_code(*, session: ScanSession, user) -> tuple[JoinCode, str]:
    """A new join code and the code itself, to be shown to its maker now: only its hash is
    stored."""
    expires_at = timezone.now() + timedelta(hours=code_hours())
    for _attempt in range(5):
        plain = new_join_code()
        try:
            with transaction.atomic():
                code = JoinCode.objects.create(
                    session=session, code_hash=token_hash(plain), expires_at=expires_at,
                    created_by=user,
                )
        except IntegrityError:  # the same random code twice: draw again
            continue
        return code, plain
    raise RuntimeError("Could not draw an unused join code.")


def display_code(plain: str) -> str:
    """A code as it is read out and typed: KDTR-7M4P."""
    half = len(plain) // 2
    return f"{plain[:half]}-{plain[half:]}"


def qr_code_uri(*, enter_url: str, plain: str) -> str:
    """A QR code that opens /mee/ with the code filled in, as an SVG data: URI for an <img>
    (the CSP allows images from data:). The code rides in the fragment (#…), which the browser
    never sends: it stays out of server logs, and joining is still a POST."""
    return segno.make(f"{enter_url}#{plain}", error="m").svg_data_uri(scale=5, border=4)


def revoke_code(*, code: JoinCode) -> None:
    """Revoke a code: the phones that joined with it lose access at once (their open streams
    are woken to find out)."""
    with transaction.atomic():
        if JoinCode.objects.filter(pk=code.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        ):
            _wake_phones(code.session)


def remove_phone(*, participant: PhoneParticipant) -> None:
    """The moderator takes a phone off the table (it frees its seat); its marks stay counted."""
    with transaction.atomic():
        if PhoneParticipant.objects.filter(pk=participant.pk, left_at__isnull=True).update(
            left_at=timezone.now()
        ):
            _wake_phones(participant.session)


def _wake_phones(session: ScanSession) -> None:
    try:
        bump_revision(session)
    except SessionClosed:
        pass  # after closing, phones are shut out anyway


# --- Joining (phone) ---------------------------------------------------------------------------

def _count_failure(request) -> None:
    """One wrong code from this client; RateLimited when it already typed too many."""
    now = timezone.now()
    fingerprint = client_fingerprint(request, "join-code")
    failures = JoinCodeFailure.objects.filter(
        fingerprint=fingerprint, at__gte=now - FAILURE_WINDOW
    ).count()
    if failures >= settings.ACTIESCAN_JOIN_CODE_MAX_FAILURES:
        raise RateLimited()
    JoinCodeFailure.objects.create(fingerprint=fingerprint, at=now)
    # Kept a day at most (privacy statement): clear older ones here too.
    JoinCodeFailure.objects.filter(at__lt=now - FAILURE_RETENTION).delete()


def clean_name(raw: str) -> str:
    """A first name as typed, on one line; FieldError for what cannot be a name."""
    name = " ".join((raw or "").split())
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise FieldError(_("De naam bevat een ongeldig teken."))
    if len(name) > PhoneParticipant.NAME_MAX_LENGTH:
        raise FieldError(_("Vul alleen uw voornaam in (hoogstens %(limit)s tekens).")
                         % {"limit": PhoneParticipant.NAME_MAX_LENGTH})
    return name


def join(request, *, raw_code: str, name: str) -> PhoneParticipant | None:
    """Join the table of the code typed, and remember the phone in this browser. The code is
    looked up first: a valid code always opens, however many wrong ones others behind the same
    address typed. None (and one failure counted) for a wrong code; RateLimited instead when this
    client is past the limit; JoinRefused when the table is full or the session ended. A browser
    that already takes part in that session keeps its place (and its marks)."""
    plain = normalise(raw_code)
    found = (
        JoinCode.objects.usable().for_code(plain).select_related("session").first()
        if looks_like_code(plain) else None
    )
    if found is None:
        _count_failure(request)
        return None
    session = found.session
    if session.is_closed:
        raise JoinRefused(_("Dit gesprek is al afgelopen. U kunt niet meer meedoen."))
    with transaction.atomic():
        # The session row locked: two phones joining at once cannot both take the last seat.
        ScanSession.objects.select_for_update().filter(pk=session.pk).values_list("pk").get()
        participant = (
            PhoneParticipant.objects.present()
            .filter(pk__in=stored_ids(request), session=session).first()
        )
        if participant is None:
            seats = PhoneParticipant.objects.present().filter(session=session).count()
            if seats >= phones_per_table():
                raise JoinRefused(
                    _("Aan deze tafel doen al %(count)s telefoons mee; meer kan niet. Kijk mee "
                      "op het scherm of op de telefoon van iemand naast u.")
                    % {"count": phones_per_table()}
                )
            participant = PhoneParticipant.objects.create(
                session=session, join_code=found, name=name
            )
        else:
            participant.join_code = found
            participant.name = name or participant.name
            participant.save(update_fields=["join_code", "name"])
    participant.session = session
    ids = [pk for pk in stored_ids(request) if pk != participant.pk]
    request.session[SESSION_KEY] = ([participant.pk] + ids)[:MAX_JOINS_PER_BROWSER]
    return participant


def stored_ids(request) -> list[int]:
    session = getattr(request, "session", None)
    if session is None:
        return []
    return ids_from(session.get(SESSION_KEY, []))


def ids_from(raw) -> list[int]:
    return [pk for pk in raw if isinstance(pk, int)] if isinstance(raw, list) else []


def leave(request, *, session_pk: int | None = None) -> None:
    """This phone stops taking part (its seat is freed, its marks stay counted). Without a
    session, every table this browser joined."""
    ids = stored_ids(request)
    left = PhoneParticipant.objects.present().filter(pk__in=ids)
    if session_pk is not None:
        left = left.filter(session_id=session_pk)
    left_ids = set(left.values_list("pk", flat=True))
    left.update(left_at=timezone.now())
    if session_pk is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = [pk for pk in ids if pk not in left_ids]


# --- Access ------------------------------------------------------------------------------------

ENDED = "ended"  # the session was closed
NO_ACCESS = "revoked"  # the code was revoked or ran out, or the phone was removed


def participant_for(request, session_pk) -> tuple[PhoneParticipant | None, str]:
    """This browser's phone at the table of `session_pk`, and "" when it may follow the table,
    ENDED when the session was closed, NO_ACCESS otherwise (then the phone may be None)."""
    participant = (
        PhoneParticipant.objects.present()
        .filter(pk__in=stored_ids(request), session_id=session_pk)
        .select_related("join_code", "session__initiative")
        .defer("session__general_minutes", "session__wrap_up_notes", "session__choice_rationale")
        .first()
    )
    return participant, access_of(participant)


def access_of(participant: PhoneParticipant | None, now=None) -> str:
    if participant is None:
        return NO_ACCESS
    if participant.session.is_closed:
        return ENDED
    code = participant.join_code
    if code is None or not code.is_usable(now):
        return NO_ACCESS
    return ""


def latest_table(request) -> PhoneParticipant | None:
    """The table this browser joined last, while it may still follow it."""
    for pk in stored_ids(request):
        participant = (
            PhoneParticipant.objects.present().filter(pk=pk)
            .select_related("join_code", "session").first()
        )
        if participant is not None and access_of(participant) == "":
            return participant
    return None


# --- What a phone sees -------------------------------------------------------------------------

PREPARING = "preparing"  # planned, not started: the 5 minutes of preparation (seed 000)
FACTOR = "factor"  # the moderator's current factor
WRAP_UP = "wrap_up"  # the table looks at the wrap-up together
WAITING = "waiting"  # started, but no factor chosen yet


def factor_texts(session_factor: SessionFactor) -> dict:
    """The catalogue texts of a factor as the session keeps them (its snapshot), in the language
    of the interface."""
    return {
        "title": session_factor.title,
        "definition": session_factor.definition_text,
        "main_question": session_factor.main_question_text,
        "sub_questions": [row["text"] for row in session_factor.sub_question_rows()],
        "levels": [{"value": card["value"], "label": str(card["label"]), "text": card["text"]}
                   for card in session_factor.level_cards()],
    }


def phase_of(session: ScanSession, current: SessionFactor | None) -> str:
    if session.is_closed:
        return ENDED
    if session.status == Status.GEPLAND:
        return PREPARING
    if session.wrap_up_since is not None:
        return WRAP_UP
    return FACTOR if current is not None else WAITING


def phone_state(participant: PhoneParticipant) -> dict:
    """Everything the phone page shows, as one dict: the page is rendered from it and the live
    updates send it as JSON. `key` changes exactly when anything shown changes."""
    session = participant.session
    state = {"revision": session.revision, "phase": ENDED}
    if not session.is_closed:
        factors = list(
            session.factors.select_related(None)
            .only("pk", "position", "snapshot", "factor_id", "session_id", "discussed", "marks_open")
        )
        current = next((sf for sf in factors if sf.pk == session.current_factor_id), None)
        if current is None and session.status == Status.BEZIG and factors:
            current = factors[0]  # as the present screen: the first until the moderator moves
        phase = phase_of(session, current)
        state.update({
            "phase": phase,
            "initiative": session.initiative.name,
            "name": participant.name,
            "factor": None, "preparation": None, "marks": None, "proposals": [],
        })
        if phase == PREPARING:
            state["preparation"] = [factor_texts(sf) for sf in factors]
        elif phase == FACTOR:
            state["factor"] = {"id": current.pk, "position": current.position,
                               "total": len(factors), **factor_texts(current)}
            mark = ParticipantMark.objects.filter(
                participant=participant, session_factor=current
            ).values("current_level", "desired_level").first() or {}
            state["marks"] = {
                "open": current.marks_open,
                "current": mark.get("current_level", ""),
                "desired": mark.get("desired_level", ""),
            }
            state["proposals"] = [
                {"text": text, "adopted_into": adopted_into}
                for text, adopted_into in ActionProposal.objects.filter(
                    participant=participant, session_factor=current
                ).order_by("created_at", "pk").values_list("text", "adopted_into")
            ]
    shown = {name: value for name, value in state.items() if name != "revision"}
    state["key"] = hashlib.sha256(
        json.dumps([translation.get_language(), shown], sort_keys=True).encode()
    ).hexdigest()[:20]
    return state


# --- Live updates ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableSignal:
    """What decides whether a phone at this table may need a new picture: the phase, the current
    factor and whether its marks are open, the last adoption, revocation and removal. Read once
    per process per revision, shared by every phone stream of the table."""

    revision: int
    key: tuple = field(default=())


_signals: dict[int, TableSignal] = {}


def _signal_query(connection) -> str:
    """The table signal in one statement, written from the models' own table and column names.
    Raw SQL on purpose: it runs for every change of every table with phones, and building it
    through the ORM (four subqueries) cost more than running it."""
    quote = connection.ops.quote_name

    def table(model):
        return quote(model._meta.db_table)

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    sf, s = SessionFactor, ScanSession
    return (
        f"SELECT t.revision, t.status, t.shown, t.wrap_up_since, "
        f"(SELECT f.{column(sf, 'marks_open')} FROM {table(sf)} f WHERE f.{column(sf, 'id')} = t.shown), "
        f"(SELECT MAX(p.{column(ActionProposal, 'adopted_at')}) FROM {table(ActionProposal)} p "
        f"JOIN {table(sf)} f ON p.{column(ActionProposal, 'session_factor')} = f.{column(sf, 'id')} "
        f"WHERE f.{column(sf, 'session')} = t.id), "
        f"(SELECT MAX(c.{column(JoinCode, 'revoked_at')}) FROM {table(JoinCode)} c "
        f"WHERE c.{column(JoinCode, 'session')} = t.id), "
        f"(SELECT MAX(ph.{column(PhoneParticipant, 'left_at')}) FROM {table(PhoneParticipant)} ph "
        f"WHERE ph.{column(PhoneParticipant, 'session')} = t.id) "
        f"FROM (SELECT s.{column(s, 'id')} AS id, s.{column(s, 'revision')} AS revision, "
        f"s.{column(s, 'status')} AS status, s.{column(s, 'wrap_up_since')} AS wrap_up_since, "
        # The factor the phones show: the current one, else the first (phone_state).
        f"COALESCE(s.{column(s, 'current_factor')}, (SELECT f.{column(sf, 'id')} FROM {table(sf)} f "
        f"WHERE f.{column(sf, 'session')} = s.{column(s, 'id')} "
        f"ORDER BY f.{column(sf, 'position')}, f.{column(sf, 'id')} LIMIT 1)) AS shown "
        f"FROM {table(s)} s WHERE s.{column(s, 'id')} = %s) t"
    )


def table_signal_read(session_pk: int, *, after: int) -> TableSignal | None:
    """The signal another stream of this process read at a revision newer than `after`, if
    any (no database)."""
    cached = _signals.get(session_pk)
    return cached if cached is not None and cached.revision > after else None


def table_signal(session_pk: int, *, after: int) -> TableSignal | None:
    """The table's signal at a revision newer than `after`: the one another stream of this
    process just read, else read now (None when the session is gone). A stream that is woken
    again for a still newer revision reads again, so nothing is skipped."""
    cached = table_signal_read(session_pk, after=after)
    if cached is not None:
        return cached
    connection = connections[router.db_for_read(ScanSession)]
    with connection.cursor() as cursor:
        cursor.execute(_signal_query(connection), [session_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    signal = TableSignal(revision=row[0], key=tuple(row[1:]))
    if len(_signals) > 5000:  # a long-running process: forget tables of earlier days
        _signals.clear()
    _signals[session_pk] = signal
    return signal


def phone_for_stream(participant_pk: int, session_pk: int) -> PhoneParticipant | None:
    """The phone with what phone_state needs, in one query (None when it is gone)."""
    return (
        PhoneParticipant.objects.present().filter(pk=participant_pk, session_id=session_pk)
        .select_related("join_code", "session__initiative")
        .defer("session__general_minutes", "session__wrap_up_notes", "session__choice_rationale")
        .first()
    )


# --- Marks -------------------------------------------------------------------------------------

MARK_ACTIONS = ("open", "close", "reveal", "show", "hide")


def set_mark_round(*, session: ScanSession, session_factor: SessionFactor, action: str) -> None:
    """The moderator opens or closes "wat denken jullie?" for a factor, reveals its spread
    before three phones marked, or shows it on the present screen (or not). Moves the session's
    revision, so the phones and the present screen follow."""
    changes = {
        "open": {"marks_open": True},
        "close": {"marks_open": False},
        "reveal": {"marks_revealed": True},
        "show": {"marks_on_screen": True},
        "hide": {"marks_on_screen": False},
    }.get(action)
    if changes is None:
        raise FieldError(_("Onbekende keuze."))
    if session.status == Status.GEPLAND:
        raise FieldError(_("Start eerst het gesprek."))
    with transaction.atomic():
        SessionFactor.objects.filter(pk=session_factor.pk).update(**changes)
        bump_revision(session)  # SessionClosed once the session is closed
    for name, value in changes.items():
        setattr(session_factor, name, value)


def save_mark(*, participant: PhoneParticipant, session_factor: SessionFactor, current: str,
              desired: str) -> ParticipantMark:
    """This phone's mark of a factor, while the moderator has its marks open: one per phone and
    factor, changed in place."""
    if current not in ("", *Level.values) or desired not in ("", *Level.values):
        raise FieldError(_("Kies startend, gevorderd of voldragen."))
    if not current and not desired:
        raise FieldError(_("Kies waar het initiatief nu staat, waar het naartoe moet, of allebei."))
    fresh = SessionFactor.objects.filter(pk=session_factor.pk).values_list(
        "marks_open", "session__status").first()
    if fresh is None or not fresh[0] or fresh[1] != Status.BEZIG:
        raise FieldError(_("De moderator heeft de vraag gesloten. Uw inschatting is niet "
                           "bewaard; praat verder aan tafel."))
    mark, _created = ParticipantMark.objects.update_or_create(
        participant=participant, session_factor=session_factor,
        defaults={"current_level": current, "desired_level": desired},
    )
    return mark


@dataclass
class MarkSpread:
    """The counts per level of the marks of one factor: a prompt for the conversation, never a
    vote. `visible` once MIN_MARKS_FOR_SPREAD phones marked or the moderator revealed it."""

    count: int = 0
    current: Counter = field(default_factory=Counter)
    desired: Counter = field(default_factory=Counter)
    revealed: bool = False

    @property
    def visible(self) -> bool:
        return self.count > 0 and (self.count >= MIN_MARKS_FOR_SPREAD or self.revealed)

    @property
    def needed(self) -> int:
        return max(MIN_MARKS_FOR_SPREAD - self.count, 0)

    def rows(self) -> list[dict]:
        top = max([*self.current.values(), *self.desired.values(), 1])
        return [
            {"value": value, "label": label,
             "current": self.current[value], "desired": self.desired[value],
             # Bar lengths in percent of the largest count (drawn as SVG attributes: CSP).
             "current_width": round(100 * self.current[value] / top),
             "desired_width": round(100 * self.desired[value] / top)}
            for value, label in Level.choices
        ]

    def as_text(self) -> str:
        """One sentence, e.g. for the advice editor's sources."""
        def counts(counter):
            return ", ".join(f"{label.lower()} {counter[value]}"
                             for value, label in Level.choices if counter[value]) or "–"

        return _("Eigen inschattingen van %(count)s tafelleden. Nu: %(current)s. Naartoe: "
                 "%(desired)s. Een gespreksstarter, geen stemming.") % {
            "count": self.count, "current": counts(self.current), "desired": counts(self.desired)}


def mark_spreads(factors) -> dict[int, MarkSpread]:
    """The spread of every factor given, in one query."""
    spreads = {sf.pk: MarkSpread(revealed=sf.marks_revealed) for sf in factors}
    rows = ParticipantMark.objects.filter(session_factor__in=list(spreads)).values_list(
        "session_factor_id", "current_level", "desired_level")
    for factor_pk, current, desired in rows:
        spread = spreads[factor_pk]
        spread.count += 1
        if current:
            spread.current[current] += 1
        if desired:
            spread.desired[desired] += 1
    return spreads


def mark_spread(session_factor: SessionFactor) -> MarkSpread:
    return mark_spreads([session_factor])[session_factor.pk]


# --- Proposals ---------------------------------------------------------------------------------

def clean_proposal(raw: str) -> str:
    text = (raw or "").replace("\r\n", "\n").strip()
    if any((ord(ch) < 32 and ch not in "\n\t") or ord(ch) == 127 for ch in text):
        raise FieldError(_("Het voorstel bevat een ongeldig teken."))
    if not text:
        raise FieldError(_("Schrijf eerst uw voorstel."))
    if len(text) > ActionProposal.MAX_LENGTH:
        raise FieldError(_("Uw voorstel is te lang: %(length)s tekens, het maximum is "
                           "%(limit)s. Maak het korter; aan tafel kunt u het toelichten.")
                         % {"length": len(text), "limit": ActionProposal.MAX_LENGTH})
    return text


def add_proposal(*, participant: PhoneParticipant, session_factor: SessionFactor,
                 text: str) -> ActionProposal:
    """A phone's idea for an action point of a factor of its session, while the session runs."""
    text = clean_proposal(text)
    if participant.session.status != Status.BEZIG:
        raise FieldError(_("Voorstellen kunnen alleen tijdens het gesprek."))
    sent = ActionProposal.objects.filter(participant=participant, session_factor=session_factor)
    if sent.count() >= ActionProposal.PER_PHONE_PER_FACTOR:
        raise FieldError(_("U heeft bij deze succesfactor al %(count)s voorstellen gestuurd. "
                           "Vertel de rest aan tafel.")
                         % {"count": ActionProposal.PER_PHONE_PER_FACTOR})
    return ActionProposal.objects.create(
        participant=participant, session_factor=session_factor, text=text
    )


class StillTyping(Exception):
    """The action point kept changing while a proposal was being added: try again."""


def adopt_proposal(*, session: ScanSession, proposal: ActionProposal, position: int, user,
                   on_saved=None) -> ActionPoint:
    """Add a proposal to action point `position` of its factor (services.add_action_text: an
    empty point gets the proposal, a point with text gets it below that text, nothing typed is
    replaced, nothing added twice), in one click. A save that came in between is read again and
    the proposal added to that (StillTyping after a few tries)."""
    action = ActionPoint.objects.filter(
        session_factor_id=proposal.session_factor_id, position=position
    ).first()
    if action is None:
        raise FieldError(_("Dit actiepunt bestaat niet."))
    for _attempt in range(3):
        stored = stored_action_fields(action)
        try:
            with transaction.atomic():
                add_action_text(session=session, action_point=action, text=proposal.text,
                                stored=stored, user=user, on_saved=on_saved)
                # In the save's transaction: the phones woken by it see the adoption.
                ActionProposal.objects.filter(pk=proposal.pk).update(
                    adopted_into=position, adopted_at=timezone.now(), adopted_by=user,
                    dismissed_at=None,
                )
        except Conflict:
            continue
        proposal.refresh_from_db()
        return action
    raise StillTyping()


def dismiss_proposal(*, proposal: ActionProposal) -> None:
    """The moderator puts a proposal aside (off the list); the phone is not told."""
    ActionProposal.objects.filter(pk=proposal.pk, dismissed_at__isnull=True).update(
        dismissed_at=timezone.now()
    )


def open_proposals(session_factor: SessionFactor):
    """The proposals of a factor for the moderator's list, newest first, with the sender's
    first name (if given)."""
    return (
        ActionProposal.objects.filter(session_factor=session_factor, dismissed_at__isnull=True)
        .select_related("participant")
        .only("pk", "text", "created_at", "adopted_into", "session_factor_id",
              "participant__name")
    )
