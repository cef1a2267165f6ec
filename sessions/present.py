"""The present screen: a read-only, large-type view of the moderator's current factor for a
projector or a second monitor at the table.

Who may open it: the session's moderator and notulist and SER staff (as for every screen of the
session), or whoever entered a valid present code on /scherm/. A code is short-lived (hours),
revocable and made by the moderator; entering it stores the code's id in this browser's Django
session (a database row, so every worker sees it), never in a public link. Every request checks
the code again, so a revoked or expired code stops working at once. Wrong codes are counted per
hashed client address, as for share links, so guessing is slowed down to a crawl.
"""

from datetime import timedelta

import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from actiescan.clients import client_fingerprint
from actiescan.roles import is_ser_staff

from .autosave import SESSION_KEY_PATTERN
from .fields import SUMMARY_KINDS, FieldError, parse_key
from .models import (
    PRESENT_CODE_ALPHABET,
    PRESENT_CODE_LENGTH,
    FieldRevision,
    PresentCode,
    PresentCodeFailure,
    ScanSession,
    Status,
)

SESSION_KEY = "actiescan_present_codes"
FAILURE_WINDOW = timedelta(minutes=15)
FAILURE_RETENTION = timedelta(days=1)
# How many codes one browser keeps (one per table it has shown, in practice).
MAX_CODES_PER_BROWSER = 10


def code_hours() -> int:
    return getattr(settings, "ACTIESCAN_PRESENT_CODE_HOURS", 12)


def max_failures() -> int:
    return getattr(settings, "ACTIESCAN_PRESENT_CODE_MAX_FAILURES", 20)


# --- Codes -------------------------------------------------------------------------------------

def create_code(*, session: ScanSession, user) -> PresentCode:
    """A new code; its plain text (`code.code`) exists only on the object returned, to be shown
    to its maker now: only the hash is stored."""
    expires_at = timezone.now() + timedelta(hours=code_hours())
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return PresentCode.objects.create(
                    session=session, expires_at=expires_at, created_by=user
                )
        except IntegrityError:  # the same random code twice: draw again
            continue
    raise RuntimeError("Could not draw an unused present code.")


def qr_code_uri(*, enter_url: str, code: PresentCode) -> str:
    """For a code just made (its plain text is known only then)."""
    """A QR code that opens /scherm/ with this code filled in, as an SVG data: URI for an
    <img> (the CSP allows images from data:). The code rides in the fragment (#…), which the
    browser never sends: it stays out of server logs, and entering it is still a POST."""
    return segno.make(f"{enter_url}#{code.code}", error="m").svg_data_uri(scale=4, border=4)


def revoke_code(*, code: PresentCode) -> None:
    if code.revoked_at is None:
        code.revoked_at = timezone.now()
        code.save(update_fields=["revoked_at"])


def normalise(raw: str) -> str:
    """What was typed, as stored: capitals, without spaces or dashes."""
    return "".join(ch for ch in (raw or "").upper() if ch not in " -\t\r\n")[:32]


def looks_like_code(code: str) -> bool:
    return len(code) == PRESENT_CODE_LENGTH and all(ch in PRESENT_CODE_ALPHABET for ch in code)


class RateLimited(Exception):
    """This client typed too many wrong present codes lately."""


def redeem(request, raw: str) -> PresentCode | None:
    """The usable code for what was typed, remembered in this browser; None (and one failure
    counted) when there is none. The code is looked up first: a valid code always opens, however
    many wrong ones this client or others behind the same address typed. RateLimited instead of
    None when this client is past the limit."""
    code = normalise(raw)
    found = (
        PresentCode.objects.usable().select_related("session").for_code(code).first()
        if looks_like_code(code) else None
    )
    if found is None:
        _count_failure(request)
        return None
    ids = [pk for pk in stored_code_ids(request) if pk != found.pk]
    request.session[SESSION_KEY] = ([found.pk] + ids)[:MAX_CODES_PER_BROWSER]
    return found


def _count_failure(request) -> None:
    """One wrong code from this client; RateLimited when it already typed too many."""
    now = timezone.now()
    fingerprint = client_fingerprint(request, "present-code")
    failures = PresentCodeFailure.objects.filter(
        fingerprint=fingerprint, at__gte=now - FAILURE_WINDOW
    ).count()
    if failures >= max_failures():
        raise RateLimited()
    PresentCodeFailure.objects.create(fingerprint=fingerprint, at=now)
    # Kept a day at most, as for share links (privacy statement): clear older ones here.
    PresentCodeFailure.objects.filter(at__lt=now - FAILURE_RETENTION).delete()


def stored_code_ids(request) -> list[int]:
    session = getattr(request, "session", None)
    if session is None:
        return []
    raw = session.get(SESSION_KEY, [])
    return [pk for pk in raw if isinstance(pk, int)] if isinstance(raw, list) else []


def forget_codes(request) -> None:
    request.session.pop(SESSION_KEY, None)


# --- Access ------------------------------------------------------------------------------------

def presentable(request, queryset=None):
    """The sessions whose present screen this request may open: members and staff as for the
    session itself, plus the sessions of the usable codes entered in this browser. Filters in
    the database, so fetching the session checks access in the same query."""
    queryset = ScanSession.objects.all() if queryset is None else queryset
    user = request.user
    if is_ser_staff(user):
        return queryset
    allowed = Q(pk__in=[])
    if user.is_authenticated:
        allowed |= Q(moderator=user) | Q(notulist=user)
    code_ids = stored_code_ids(request)
    if code_ids:
        allowed |= Q(
            pk__in=PresentCode.objects.usable().filter(pk__in=code_ids).values("session_id")
        )
    return queryset.filter(allowed)


# --- Live updates ------------------------------------------------------------------------------

def shows_on_screen(key: str, *, wrap_up: bool = False) -> bool:
    """Whether a saved field changes what the screen shows: levels and discussed
    sub-questions always; the action points only while the screen shows the wrap-up."""
    try:
        spec = parse_key(key)[0]
    except FieldError:
        return True
    return spec.type in SUMMARY_KINDS or (wrap_up and spec.kind == "action")


def screen_changes(session: ScanSession, since: int) -> dict | None:
    """What the present screen needs to know after revision `since`: None when nothing changed;
    otherwise the new revision and whether the screen must reload (`refresh`): when the
    moderator moved (to a factor or to the wrap-up), a level or discussed sub-question changed,
    or anything structural (start, close, factors chosen), and, at the wrap-up, an action point.
    Other typed text (minutes, rationale) never shows on the screen and only moves the revision
    on."""
    if 0 <= since == session.revision:
        return None
    refresh = since < 0 or since > session.revision
    # The screen shows the wrap-up while the moderator has it open, and after closing.
    shows_wrap_up = session.wrap_up_since is not None or session.status == Status.AFGEROND
    if not refresh:
        entries = list(
            FieldRevision.objects.filter(session=session, revision__gt=since)
            .filter(field__regex=SESSION_KEY_PATTERN)
            .values_list("field", "revision")
        )
        covered = {revision for _field, revision in entries}
        # A revision without a saved field is a structural change (moved, started, closed …).
        refresh = len(covered) < session.revision - since or any(
            shows_on_screen(key, wrap_up=shows_wrap_up) for key, _revision in entries
        )
    return {
        "revision": session.revision,
        "status": session.status,
        "current_factor": session.current_factor_id,
        "wrap_up": session.wrap_up_since is not None,
        "fields": {},
        "refresh": refresh,
    }
