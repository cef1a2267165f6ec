"""The live stream of a session's changes (server-sent events), for the cockpit, the notulist's
view and the wrap-up: what the 2-s poll (live.sync) answers, pushed the moment it happens. The
poll stays as the fallback (a proxy that buffers, a WSGI server): docs/live-protocol.md."""

from asgiref.sync import sync_to_async
from django.db import connections
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from actiescan.http import json_error

from .. import autosave, sync_tokens
from ..models import ScanSession
from ..push.sse import Denied, since_of, stream_response


def released(work):
    """Run database work from the stream in a thread and give its connection back right after
    (to the pool on PostgreSQL): a stream lasts hours and must not hold one while it waits.
    (A connection inside a transaction is left alone: that is a test's, which runs the view in
    its own thread and transaction.)"""

    def run(*args):
        try:
            return work(*args)
        finally:
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:
                    connection.close()

    return sync_to_async(run)


@require_GET
async def stream(request, pk):
    user = await request.auser()
    if not user.is_authenticated:
        return json_error("login", _("U bent uitgelogd. Log opnieuw in."), 401)
    login_key = request.session.session_key or ""
    mark = sync_tokens.password_mark(user)

    def first_look():
        return ScanSession.objects.visible_to(user).filter(pk=pk).exists()

    if not await released(first_look)():
        return json_error("not_found", _("Deze sessie bestaat niet of u heeft er geen toegang toe."), 404)

    def changes(since):
        # Asked again before every event: logging out, a password change, deactivation or
        # losing access end the stream, as they end a poll.
        session = sync_tokens.still_allowed(
            login_key=login_key, user_id=user.pk, mark=mark, session_pk=pk
        )
        if session is None:
            raise Denied("login")
        return session.revision, autosave.changes_since(session, since)

    return stream_response(request, pk, since_of(request), released(changes))
