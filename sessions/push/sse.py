"""Server-sent events: the wire format and the stream loop (WHATWG HTML, "Server-sent events").

    retry: 2000                      once, first: the browser's reconnect delay (ms)
    event: ready                     once, first: the stream really flows (a buffering proxy
    data: {"revision": 17}           would hold it back: the client's cue to poll instead)

    id: 18                           one per change; the id is the session's revision, which the
    data: {…}                        browser sends back as Last-Event-ID when it reconnects; the
                                     data is exactly the poll's 200 answer

    event: ping                      after ACTIESCAN_PUSH_HEARTBEAT seconds without a change:
    data:                            keeps proxies from timing out, finds dead connections

    event: denied                    the login ended or access was lost: the stream ends and the
    data: {"error": "login"}         page says so (the poll would answer 401/404)
"""

import json
from collections.abc import Awaitable, Callable

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse

from .hub import get_hub

RETRY_MS = 2000
PING = "event: ping\ndata:\n\n"


class Denied(Exception):
    """Raised by a stream's loader when its reader may no longer see the session."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def event(data: dict, *, id: int | None = None, name: str | None = None) -> str:
    lines = [f"id: {id}"] if id is not None else []
    if name:
        lines.append(f"event: {name}")
    # json.dumps never writes a raw line break, so one data line holds it all.
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def since_of(request) -> int:
    """The revision the screen already has: Last-Event-ID of a reconnecting EventSource, else
    ?since= of the first connection (the page's data-revision); -1: send everything."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("since", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else -1


def stream_response(request, key: int, since: int,
                    load: Callable[[int], Awaitable[tuple[int, dict | None]]]) -> HttpResponse:
    """An event stream that sends `await load(sent)` whenever the session's revision moves past
    what was sent. `load(since)` returns (revision, payload or None when nothing changed) or
    raises Denied; it must hold no database connection when it returns, because a stream lasts
    hours and waits without one."""
    if not isinstance(request, ASGIRequest):
        # Under WSGI (manage.py runserver, the test server) Django would read the endless stream
        # into memory before sending a byte. 204 stops the EventSource; the page polls instead.
        return HttpResponse(status=204)

    async def events():
        sent = since
        # Subscribe BEFORE reading the current state: a change committed in between is then
        # either in what is read or wakes the subscription afterwards – never lost.
        async with get_hub().subscribe(key) as subscription:
            try:
                revision, payload = await load(sent)
            except Denied as denied:
                yield event({"error": denied.reason}, name="denied")
                return
            yield f"retry: {RETRY_MS}\n" + event({"revision": revision}, name="ready")
            if payload is not None:  # catch-up: the screen missed something
                yield event(payload, id=revision)
            sent = revision
            while True:
                new = await subscription.wait(after=sent, timeout=settings.ACTIESCAN_PUSH_HEARTBEAT)
                if new is None:
                    yield PING
                    continue
                try:
                    revision, payload = await load(sent)
                except Denied as denied:
                    yield event({"error": denied.reason}, name="denied")
                    return
                if payload is not None:
                    yield event(payload, id=revision)
                sent = max(sent, revision)

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "private, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
