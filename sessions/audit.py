"""The audit log (AVG): who viewed or changed the minutes and the advice of a session.

Views call `record(request, session, action)` in one line. Viewing and changing happen often
(every page load, every autosave), so those are written at most once per user, session and action
per ACTIESCAN_AUDIT_THROTTLE_MINUTES window: one INSERT that the database ignores when the window
already has its row (see sessions.models.AuditEvent). Finalizing, downloading and sharing are
always written.

What counts as a view of the minutes (or of the advice): every answer that hands their text to a
person — a screen that shows them (preparation, cockpit, notulist, wrap-up, history, inspiration,
the advice editor and preview), as a whole page or as an htmx fragment, and every full live sync
(`/sync/` through the login: it answers with the field values, everything for since=-1, and hands
out the sync token with which the screen reads the changes of the next two minutes without a
login lookup; so each token is covered by a view logged when it was issued). What the request
says about itself (HX-Request, HX-Boosted: headers the client controls) changes nothing: a
fragment of a page already logged costs one ignored INSERT, and a request that merely claims to
be a fragment is logged like any other."""

import time

from django.conf import settings

from .models import AuditAction, AuditEvent

VIEWED_MINUTES = AuditAction.VIEWED_MINUTES
CHANGED_MINUTES = AuditAction.CHANGED_MINUTES
VIEWED_ADVICE = AuditAction.VIEWED_ADVICE
CHANGED_ADVICE = AuditAction.CHANGED_ADVICE
FINALIZED_ADVICE = AuditAction.FINALIZED_ADVICE
DOWNLOADED_PDF = AuditAction.DOWNLOADED_PDF
SHARED = AuditAction.SHARED
REVOKED = AuditAction.REVOKED
SENT_ADVICE = AuditAction.SENT_ADVICE

THROTTLED = {VIEWED_MINUTES, CHANGED_MINUTES, VIEWED_ADVICE, CHANGED_ADVICE}


def window_number(now: float | None = None) -> int:
    minutes = max(settings.ACTIESCAN_AUDIT_THROTTLE_MINUTES, 1)
    return int(now if now is not None else time.time()) // (minutes * 60)


def record(request, session, action, *, detail: str = "") -> None:
    """Write one audit event for the logged-in user of `request` about `session`."""
    user = getattr(request, "user", None)
    if session is None or user is None or not user.is_authenticated:
        return
    event = AuditEvent(session_id=session.pk, user=user, action=action, detail=detail[:200])
    if action in THROTTLED:
        event.bucket = window_number(event.at.timestamp())
        AuditEvent.objects.bulk_create([event], ignore_conflicts=True)
    else:
        event.save()
