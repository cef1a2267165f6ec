"""The ASGI application production serves (actiescan/asgi.py): sync views run in a few long-lived
lanes per process, not in a thread started and stopped for every request; a request that waits
holds up only its own lane."""

import asyncio
import threading
import time

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.signals import request_started

from actiescan.asgi import LaneASGIHandler

from .helpers import run_async

pytestmark = pytest.mark.django_db(transaction=True)


def scope(path="/healthz"):
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": b"", "query_string": b"", "root_path": "",
            "headers": [], "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}


async def get(app, path="/healthz"):
    communicator = ApplicationCommunicator(app, scope(path))
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(10)
    await communicator.receive_output(10)  # the body
    await communicator.wait(5)
    return start["status"]


def test_sync_views_run_in_a_few_long_lived_lanes():
    app = LaneASGIHandler(2)
    threads = []

    def seen(**kwargs):
        threads.append(threading.current_thread())

    request_started.connect(seen)
    try:
        async def scenario():
            for _ in range(6):  # one after the other: always the same, least busy lane
                assert await get(app) == 200
            return await asyncio.gather(*(get(app) for _ in range(6)))

        statuses = run_async(scenario)
    finally:
        request_started.disconnect(seen)
    assert statuses == [200] * 6
    names = {thread.name for thread in threads}
    # Django's own handler starts a new thread for each of the 12 requests.
    assert len({id(thread) for thread in threads}) <= 2 and all(n.startswith("django-lane-") for n in names)
    assert all(thread.is_alive() for thread in threads)


def test_a_waiting_request_holds_up_only_its_own_lane(monkeypatch):
    """One request blocks in its thread (a slow database, a lock); the next goes to the other
    lane and is answered meanwhile."""
    app = LaneASGIHandler(2)
    release = threading.Event()
    blocked = threading.Event()

    def hold_the_first(**kwargs):
        if not blocked.is_set():
            blocked.set()
            release.wait(10)

    request_started.connect(hold_the_first)
    try:
        async def scenario():
            slow = asyncio.create_task(get(app))
            while not blocked.is_set():
                await asyncio.sleep(0.01)
            started = time.monotonic()
            quick = await get(app)
            elapsed = time.monotonic() - started
            release.set()
            return quick, elapsed, await slow

        quick, elapsed, slow = run_async(scenario)
    finally:
        release.set()
        request_started.disconnect(hold_the_first)
    assert (quick, slow) == (200, 200)
    assert elapsed < 5  # not behind the blocked one (which waits up to 10 s)
