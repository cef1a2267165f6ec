"""Writes that touch a session and more than one row. Small keyword-only functions; views call
these and never update several models themselves."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from actiescan.models import SuccessFactor
from actiescan.users import display_name

from .autosave import SESSION_KEY_PATTERN, Conflict, bump_revision, save_field
from .fields import FieldError, key_for
from .models import (
    ActionPoint,
    ActionStatus,
    FieldRevision,
    RevisionKind,
    ScanSession,
    SessionFactor,
    Status,
    UnsavedText,
)


def factors_with_actions(session: ScanSession):
    return session.factors.select_related(None).prefetch_related(
        Prefetch("action_points", queryset=ActionPoint.objects.order_by("position"))
    )


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
    bump_revision(session)
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
        bump_revision(session)


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
    # The table starts at the factor the moderator took it to while preparing, else at the
    # first; its clock starts now.
    if session.current_factor_id is None:
        session.current_factor = session.factors.order_by("position", "pk").first()
    session.current_factor_since = session.started_at if session.current_factor_id else None
    session.save(update_fields=["status", "started_at", "current_factor", "current_factor_since"])
    bump_revision(session)


@transaction.atomic
def set_current_factor(*, session: ScanSession, session_factor: SessionFactor):
    """The moderator moved the table to a factor (also back from the wrap-up): stop the clock
    on the old one and start it on the new one (only while the session runs), so the screens
    that follow the moderator can follow."""
    at_factor = session.current_factor_id == session_factor.pk and session.wrap_up_since is None
    if at_factor or session.is_closed:
        return
    now = timezone.now()
    if session.status == Status.BEZIG and session.wrap_up_since is None:
        _stop_clock(session, now)
    session.current_factor = session_factor
    session.current_factor_since = now if session.status == Status.BEZIG else None
    session.wrap_up_since = None
    ScanSession.objects.filter(pk=session.pk).update(
        current_factor=session_factor, current_factor_since=session.current_factor_since,
        wrap_up_since=None,
    )
    bump_revision(session)


@transaction.atomic
def open_wrap_up(*, session: ScanSession):
    """The moderator took the table to the wrap-up (totaaloverzicht): the factor clock stops
    and every following screen shows the overview. The last factor stays `current_factor`, so
    going back resumes there."""
    if session.wrap_up_since is not None or session.is_closed:
        return
    now = timezone.now()
    if session.status == Status.BEZIG:
        _stop_clock(session, now)
    session.current_factor_since = None
    session.wrap_up_since = now
    ScanSession.objects.filter(pk=session.pk).update(current_factor_since=None, wrap_up_since=now)
    bump_revision(session)


@transaction.atomic
def close_session(*, session: ScanSession, user):
    """Close the session: from now on only text typed before a screen showed "closed" is still
    stored (autosave.save_field). Callers ask others_with_unsaved_text first (the handshake)."""
    if session.is_closed:
        return
    now = timezone.now()
    _stop_clock(session, now)
    session.closed_revision = bump_revision(session)
    session.status = Status.AFGEROND
    session.closed_at = now
    session.closed_by = user
    session.current_factor_since = None
    session.save(update_fields=["status", "closed_at", "closed_by", "closed_revision",
                                "current_factor_since"])


# --- Unsaved text on open screens (the closing handshake) ------------------------------------

UNSAVED_TEXT_KEPT = timedelta(minutes=1)


def report_unsaved_text(*, session: ScanSession, user, screen: str, fields: int):
    """A screen of the session says how many of its fields hold text the server does not have
    yet; 0 means everything is saved."""
    now = timezone.now()
    if fields:
        UnsavedText.objects.bulk_create(
            [UnsavedText(session=session, user=user, screen=screen, fields=fields, reported_at=now)],
            update_conflicts=True, unique_fields=["session", "screen"],
            update_fields=["user", "fields", "reported_at"],
        )
    else:
        UnsavedText.objects.filter(session=session, screen=screen).delete()
        # Reports of screens that went away (closed, offline) are of no use after a while (they
        # are not believed after UnsavedText.LIFETIME anyway). Swept when a screen is done
        # typing, not on each heartbeat, which comes every 2 s from every typing screen.
        UnsavedText.objects.filter(reported_at__lt=now - UNSAVED_TEXT_KEPT).delete()


def others_with_unsaved_text(*, session: ScanSession, user) -> list[str]:
    """Who else, on a screen of this session, holds text that is not saved yet: "Fatima
    (notulist)", once per person, the longest waiting first."""
    rows = (
        UnsavedText.objects.current().filter(session=session).exclude(user=user)
        .select_related("user").order_by("reported_at")
    )
    roles = {"moderator": _("moderator"), "notulist": _("notulist"), "staff": _("SER-medewerker")}
    names = []
    for row in rows:
        name = f"{display_name(row.user)} ({roles[session.role_of(row.user)]})"
        if name not in names:
            names.append(name)
    return names


@transaction.atomic
def reopen_session(*, session: ScanSession, user):
    if not session.is_closed:
        return
    session.status = Status.BEZIG
    session.closed_at = None
    session.closed_by = None
    at_factor = session.current_factor_id and session.wrap_up_since is None
    session.current_factor_since = timezone.now() if at_factor else None
    session.save(update_fields=["status", "closed_at", "closed_by", "current_factor_since"])
    bump_revision(session)


# --- Follow-up sessions -----------------------------------------------------------------------

@transaction.atomic
def plan_session(*, session: ScanSession, user) -> ScanSession:
    """Save a newly planned session. When its initiative held a session before, that one
    becomes `previous_session`: the new session opens with a review of its action points and
    shows its levels while scoring. Only when the planner may see that session already, or is
    staff (ScanSession.may_follow_up): otherwise planning would be a way into a session of
    another moderator, and the session starts without a review of earlier action points."""
    session.created_by = user
    previous = session.find_previous_session()
    session.previous_session = previous if previous and session.may_follow_up(previous, user) else None
    session.save()
    return session


def set_action_status(*, action_point: ActionPoint, status: str, comment: str, user) -> ActionPoint:
    """Record how an action point stands (the follow-up review). Allowed on closed sessions:
    this is follow-up data, not the content of the conversation. Raises FieldError with a
    Dutch message for a status that does not exist or a comment that is too long."""
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


# --- Inspiration: taking an example over into an action point ---------------------------------

class NeedsConfirmation(Exception):
    """The action point already has text: the example goes in only when the user confirms that
    it may be added below that text."""


@dataclass
class TakenOver:
    action_point: ActionPoint
    appended: bool = False
    filled: list[str] = field(default_factory=list)  # owner, timeframe: the empty ones filled
    already_there: bool = False  # a second click: the text holds the example already


def stored_action_fields(action_point: ActionPoint) -> dict:
    """The action point's texts and versions as stored now (not as loaded earlier)."""
    return ActionPoint.objects.filter(pk=action_point.pk).values(
        "text", "text_version", "owner", "owner_version", "timeframe", "timeframe_version"
    ).get()


def add_action_text(*, session: ScanSession, action_point: ActionPoint, text: str, stored: dict,
                    user, on_saved=None) -> bool:
    """Add `text` to an action point's text as `stored` (stored_action_fields): the text itself
    when the point is empty, below what is there otherwise (a blank line between), nothing when
    it is there already. Through the same conflict-safe save as typing (autosave.save_field with
    the stored version): autosave.Conflict when someone saved in between. Whether it wrote."""
    if text in stored["text"]:
        return False
    value = f"{stored['text'].rstrip()}\n\n{text}" if stored["text"].strip() else text
    save_field(session=session, key=key_for("action", action_point.pk, "text"), values=[value],
               version=stored["text_version"], user=user, on_saved=on_saved)
    return True


def take_over_example(*, session: ScanSession, action_point: ActionPoint, example, user,
                      append: bool = False, on_saved=None) -> TakenOver:
    """Use an example action point (actiescan.ActionExample) as the starting text of
    `action_point`, through the same conflict-safe save as typing (autosave.save_field, with
    the versions stored now). Typed text is never lost: an empty text gets the example; a text
    that is there only gets the example added below it, when `append` says the user agreed
    (else NeedsConfirmation). Owner and timeframe are filled only when they are empty. All or
    nothing: a save that came in between raises autosave.Conflict and nothing is written —
    except for an owner or timeframe that someone just typed, which stays as typed."""
    stored = stored_action_fields(action_point)
    text = example.shown_text.strip()
    if text in stored["text"]:
        return TakenOver(action_point=action_point, already_there=True)
    appended = bool(stored["text"].strip())
    if appended and not append:
        raise NeedsConfirmation()
    filled = []
    with transaction.atomic():
        add_action_text(session=session, action_point=action_point, text=text, stored=stored,
                        user=user, on_saved=on_saved)
        for name, value in (("owner", example.shown_owner), ("timeframe", example.shown_timeframe)):
            if stored[name].strip() or not value.strip():
                continue
            try:
                save_field(
                    session=session, key=key_for("action", action_point.pk, name),
                    values=[value.strip()], version=stored[f"{name}_version"], user=user,
                )
            except Conflict:
                continue  # typed a moment ago by someone at the table: theirs stays
            filled.append(name)
    action_point.refresh_from_db()
    return TakenOver(action_point=action_point, appended=appended, filled=filled)


# --- Texts that lost a conflict --------------------------------------------------------------

def unmerged_conflicts(*, session: ScanSession):
    """Texts that lost a conflict and that their author has not saved into the field since
    (say the browser was closed before choosing), oldest first: the wrap-up shows them, so
    that the table sees them before closing."""
    later_save = FieldRevision.objects.filter(
        session=OuterRef("session"), field=OuterRef("field"), author=OuterRef("author"),
        pk__gt=OuterRef("pk"),
    ).exclude(kind=RevisionKind.CONFLICT)
    return (
        FieldRevision.objects.filter(session=session, kind=RevisionKind.CONFLICT)
        .filter(field__regex=SESSION_KEY_PATTERN)
        .exclude(Exists(later_save))
        .select_related("author").order_by("pk")
    )
