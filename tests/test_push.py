"""The live stream (server-sent events) through Django's real ASGI application: a change reaches an
open screen at once, a reconnecting screen catches up from its Last-Event-ID, logging out ends
the stream, a closed tab frees its place, and a WSGI server answers 204 so the page polls."""

import asyncio
import json
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from sessions.models import ScanSession
from sessions.push.hub import get_hub

from .helpers import EventStream, client_for, elsewhere, in_thread, run_async, save

pytestmark = pytest.mark.django_db(transaction=True)


def Stream(session, cookie, **kwargs) -> EventStream:
    """The open stream of a session screen (cockpit, notulist, wrap-up)."""
    return EventStream(reverse("sessions:stream", args=[session.pk]), cookie, **kwargs)


def cookie_of(client) -> str:
    return client.cookies["sessionid"].value


@pytest.fixture
def people(running_session, moderator, notulist):
    return client_for(Client, moderator), client_for(Client, notulist)


def test_a_change_reaches_an_open_screen_at_once(running_session, people):
    moderator, notulist = people
    factor = running_session.factors.first()
    running_session.refresh_from_db()

    async def scenario():
        stream = await Stream(running_session, cookie_of(notulist), since=running_session.revision).start()
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["x-accel-buffering"] == "no"
        ready = await stream.next_event()
        assert ready["event"] == "ready"
        assert json.loads(ready["data"]) == {"revision": running_session.revision}
        started = time.monotonic()
        await elsewhere(save, moderator, running_session, f"factor:{factor.pk}:minutes", "Nu!", 0)
        change = await stream.next_event()
        elapsed = time.monotonic() - started
        await stream.close()
        return change, elapsed

    change, elapsed = run_async(scenario)
    running_session.refresh_from_db()
    assert change["event"] == "message" and change["id"] == str(running_session.revision)
    data = json.loads(change["data"])
    assert data["fields"][f"factor:{factor.pk}:minutes"]["value"] == "Nu!"
    assert data["revision"] == running_session.revision
    assert elapsed < 2  # pushed, not found by the next 2-s poll


def test_the_screens_of_a_table_share_one_look_up_per_change(running_session, people, monkeypatch):
    """Both screens get the same change; the process looks it up once (stream.SharedChanges),
    and the look-up still runs for each new change."""
    from sessions import autosave
    from sessions.views import stream as stream_view

    moderator, notulist = people
    factor = running_session.factors.first()
    running_session.refresh_from_db()
    calls = []
    real = autosave.changes_since
    monkeypatch.setattr(autosave, "changes_since", lambda session, since: calls.append(since) or real(session, since))
    monkeypatch.setattr(stream_view, "shared_changes", stream_view.SharedChanges())

    async def scenario():
        streams = [await Stream(running_session, cookie_of(c), since=running_session.revision).start()
                   for c in (moderator, notulist)]
        for stream in streams:
            assert (await stream.next_event())["event"] == "ready"
        changes = []
        for n, text in enumerate(["Eerste zin.", "Tweede zin."]):
            await elsewhere(save, moderator, running_session, f"factor:{factor.pk}:minutes", text, n)
            changes.append([json.loads((await stream.next_event())["data"]) for stream in streams])
        for stream in streams:
            await stream.close()
        return changes

    changes = run_async(scenario)
    key = f"factor:{factor.pk}:minutes"
    assert [[c["fields"][key]["value"] for c in pair] for pair in changes] == [["Eerste zin."] * 2, ["Tweede zin."] * 2]
    # One look-up at opening (both screens stand at the same revision: nothing to catch up),
    # then one per change: not one per screen (that was [2, 2, 2, 2, 3, 3]).
    start = running_session.revision  # as read before the saves
    assert calls == [start, start, start + 1]


def test_a_reconnecting_screen_gets_what_it_missed(running_session, people):
    moderator, notulist = people
    factor = running_session.factors.first()
    running_session.refresh_from_db()
    seen = running_session.revision
    save(moderator, running_session, f"factor:{factor.pk}:minutes", "Gemist 1", 0)
    save(moderator, running_session, f"factor:{factor.pk}:rationale", "Gemist 2", 0)

    async def scenario():
        # The browser's reconnect: Last-Event-ID wins over the page's ?since=.
        stream = await Stream(running_session, cookie_of(notulist), since=0, last_event_id=seen).start()
        ready = await stream.next_event()
        catch_up = await stream.next_event()
        await stream.close()
        return ready, catch_up

    ready, catch_up = run_async(scenario)
    running_session.refresh_from_db()
    assert ready["event"] == "ready"
    fields = json.loads(catch_up["data"])["fields"]
    assert fields[f"factor:{factor.pk}:minutes"]["value"] == "Gemist 1"
    assert fields[f"factor:{factor.pk}:rationale"]["value"] == "Gemist 2"
    assert catch_up["id"] == str(running_session.revision)


def test_a_change_committed_by_another_process_is_found(running_session, people):
    """Another server process's change comes without this process's own wake-up: the hub's
    revisions query (SQLite) or LISTEN (PostgreSQL) finds it."""
    _, notulist = people
    running_session.refresh_from_db()

    def change_elsewhere():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ScanSession._meta.db_table} SET revision = revision + 1 WHERE id = %s",
                [running_session.pk],
            )
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_notify('actiescan_push', %s)",
                               [f"{running_session.pk}:{running_session.revision + 1}"])

    async def scenario():
        stream = await Stream(running_session, cookie_of(notulist), since=running_session.revision).start()
        await stream.next_event()  # ready
        await elsewhere(change_elsewhere)
        change = await stream.next_event(timeout=3)
        await stream.close()
        return change

    change = run_async(scenario)
    assert change["id"] == str(running_session.revision + 1)


def test_logging_out_ends_the_stream(running_session, people):
    moderator, notulist = people
    factor = running_session.factors.first()
    running_session.refresh_from_db()

    async def scenario():
        stream = await Stream(running_session, cookie_of(notulist), since=running_session.revision).start()
        await stream.next_event()
        await elsewhere(notulist.post, reverse("logout"))
        await elsewhere(save, moderator, running_session, f"factor:{factor.pk}:minutes", "Geheim", 0)
        denied = await stream.next_event()
        end = await stream.next_event(timeout=2)
        return denied, end

    denied, end = run_async(scenario)
    assert denied["event"] == "denied" and "Geheim" not in denied["data"]
    assert end == {}


def test_a_closed_tab_frees_its_place(running_session, people):
    _, notulist = people

    async def scenario():
        stream = await Stream(running_session, cookie_of(notulist), since=0).start()
        await stream.next_event()
        open_now = get_hub().stream_count()
        await stream.close()
        await asyncio.sleep(0.1)
        return open_now, get_hub().stream_count()

    open_now, after = run_async(scenario)
    assert open_now == 1 and after == 0


def test_an_idle_stream_sends_a_heartbeat(running_session, people, settings):
    settings.ACTIESCAN_PUSH_HEARTBEAT = 0.3
    _, notulist = people

    async def scenario():
        stream = await Stream(running_session, cookie_of(notulist), since=0).start()
        await stream.next_event()  # ready
        await stream.next_event()  # catch-up from revision 0
        ping = await stream.next_event(timeout=3)
        await stream.close()
        return ping

    assert run_async(scenario)["event"] == "ping"


def test_who_may_not_see_the_session_gets_no_stream(running_session, outsider):
    async def scenario(cookie):
        stream = await Stream(running_session, cookie, since=0).start()
        body = await stream.communicator.receive_output(5)
        return stream.status, body

    status, _ = run_async(scenario, cookie_of(client_for(Client, outsider)))
    assert status == 404
    status, body = run_async(scenario, "none")
    assert status == 401 and b"uitgelogd" in body["body"]


def test_under_wsgi_the_stream_answers_204_and_the_page_polls(running_session, notulist):
    client = client_for(Client, notulist)
    thread, outcome = in_thread(lambda: client.get(reverse("sessions:stream", args=[running_session.pk])))
    thread.join(30)
    assert outcome["value"].status_code == 204
