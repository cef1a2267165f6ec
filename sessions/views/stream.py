"""The live stream of a session's changes (server-sent events), for the cockpit, the notulist's
view and the wrap-up: what the 2-s poll (live.sync) answers, pushed the moment it happens. The
poll stays as the fallback (a proxy that buffers, a WSGI server): docs/live-protocol.md."""

import threading

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
    A SQLite connection is kept as the settings say (CONN_MAX_AGE): it holds no server, and the
    stream's work runs in the request's lane (actiescan/asgi.py), whose requests use it too.
    (A connection inside a transaction is left alone: that is a test's, which runs the view in
    its own thread and transaction.)"""

    def run(*args):
        try:
            return work(*args)
        finally:
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:
                    connection.close_if_unusable_or_obsolete()

    return sync_to_async(run)


class SharedChanges:
    """The changes of a session from one revision to the next, made once per process and handed
    to every open stream of that session that needs the same step: a table's screens usually
    stand at the same revision, so one save wakes them all for one look-up, not one each (the
    streams wake together: the first makes it, the others wait for it). The payload names no
    reader; the access check stays per stream, before it is handed out."""

    SIZE = 512

    class Entry:
        def __init__(self):
            self.ready = threading.Event()
            self.payload = None
            self.failed = False

    def __init__(self):
        self.entries = {}
        self.lock = threading.Lock()

    def get(self, session, since):
        key = (session.pk, since, session.revision)
        with self.lock:
            entry = self.entries.get(key)
            maker = entry is None
            if maker:
                if len(self.entries) >= self.SIZE:
                    # Oldest first (dicts keep insertion order): a step once sent is not asked again.
                    for old in list(self.entries)[: self.SIZE // 2]:
                        del self.entries[old]
                entry = self.entries[key] = self.Entry()
        if maker:
            try:
                entry.payload = autosave.changes_since(session, since)
            except BaseException:
                entry.failed = True
                with self.lock:
                    self.entries.pop(key, None)
                raise
            finally:
                entry.ready.set()
            return entry.payload
        if not entry.ready.wait(timeout=10) or entry.failed:
            return autosave.changes_since(session, since)
        return entry.payload


shared_changes = SharedChanges()


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
        return session.revision, shared_changes.get(session, since)

    return stream_response(request, pk, since_of(request), released(changes))
