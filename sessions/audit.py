"""The audit log (AVG): who viewed or changed the minutes and the advice of a session.

Views call `record(request, session, action)` in one line. Viewing and changing happen often
(every page load, every autosave), so those are written at most once per user, session and action
per ACTIESCAN_AUDIT_THROTTLE_MINUTES window: one INSERT that the database ignores when the window
already has its row (see sessions.models.AuditEvent). htmx fragment refreshes of a page that was
already logged are not counted again. Finalizing, downloading and sharing are always written."""

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
VIEWS = {VIEWED_MINUTES, VIEWED_ADVICE}


def window_number(now: float | None = None) -> int:
    minutes = max(settings.ACTIESCAN_AUDIT_THROTTLE_MINUTES, 1)
    return int(now if now is not None else time.time()) // (minutes * 60)


def record(request, session, action, *, detail: str = "") -> None:
    """Write one audit event for the logged-in user of `request` about `session`."""
    user = getattr(request, "user", None)
    if session is None or user is None or not user.is_authenticated:
        return
    htmx = getattr(request, "htmx", None)
    if action in VIEWS and htmx and not htmx.boosted:
        return  # a fragment of a page whose load was logged already
    event = AuditEvent(session_id=session.pk, user=user, action=action, detail=detail[:200])
    if action in THROTTLED:
        event.bucket = window_number(event.at.timestamp())
        AuditEvent.objects.bulk_create([event], ignore_conflicts=True)
    else:
        event.save()
