"""Several app servers behind a load balancer share one PostgreSQL: the app keeps no state in
memory between requests. Two real servers (scripts/serve: granian) on two ports, a moderator on
one and the notulist on the other: what one saves, the other's poll sees, and the other's open
stream gets it pushed (PostgreSQL's NOTIFY reaches every server's listener)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from .helpers import plan_session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="scaling out is about PostgreSQL (run with DATABASE_URL=postgres://…)",
    ),
]

CSRF = "c" * 32


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def login_cookie(user):
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return f"sessionid={store.session_key}; csrftoken={CSRF}"


@pytest.fixture
def two_servers(tmp_path):
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    # The same SECRET_KEY as this process: login cookies made here are signed with it.
    env.update(DEBUG="0", SECRET_KEY=settings.SECRET_KEY, ALLOWED_HOSTS="127.0.0.1",
               SECURE_SSL_REDIRECT="0", DATABASE_URL=url, LOG_LEVEL="WARNING",
               STATIC_ROOT=str(tmp_path / "static"))
    ports, processes = [free_port(), free_port()], []
    venv = str(Path(sys.executable).parent.parent)
    for port in ports:
        log = open(tmp_path / f"server-{port}.log", "wb")
        processes.append(subprocess.Popen(
            ["bash", "scripts/serve"],
            cwd=settings.BASE_DIR,
            env={**env, "GRANIAN_PORT": str(port), "GRANIAN_WORKERS": "1", "VENV": venv},
            stdout=log, stderr=log,
        ))
    try:
        for port in ports:
            deadline = time.time() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError as error:  # refused, reset or timed out while the server boots
                    if time.time() > deadline:
                        log_text = Path(tmp_path / f"server-{port}.log").read_text()[-2000:]
                        raise AssertionError(log_text) from error
                    time.sleep(0.2)
        yield ports
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


def call(port, path, cookie, data=None):
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=body,
        headers={"Cookie": cookie, "X-CSRFToken": CSRF, "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_two_servers_share_live_sync_through_postgresql(two_servers, initiative, moderator, notulist):
    from sessions import services

    session = plan_session(initiative, moderator, notulist)
    services.start_session(session=session, user=moderator)
    session.refresh_from_db()
    factor = session.factors.order_by("position").first()
    server_a, server_b = two_servers
    mod_cookie, notu_cookie = login_cookie(moderator), login_cookie(notulist)
    since = session.revision

    status, saved = call(server_b, f"/sessies/{session.pk}/opslaan/", notu_cookie,
                         {"field": f"factor:{factor.pk}:minutes", "value": "Getypt op server B", "version": 0})
    assert status == 200 and saved["version"] == 1
    status, changes = call(server_a, f"/sessies/{session.pk}/sync/?since={since}", mod_cookie)
    assert status == 200
    assert changes["fields"][f"factor:{factor.pk}:minutes"]["value"] == "Getypt op server B"

    # The same field saved from the old version on the other server is a conflict, not an overwrite.
    status, conflict = call(server_a, f"/sessies/{session.pk}/opslaan/", mod_cookie,
                            {"field": f"factor:{factor.pk}:minutes", "value": "Getypt op server A", "version": 0})
    assert status == 409 and conflict["value"] == "Getypt op server B"
    status, _ = call(server_b, f"/sessies/{session.pk}/sync/?since={changes['revision']}", notu_cookie)
    assert status == 204


def read_event(response) -> dict:
    fields = {}
    while True:
        line = response.readline().decode().rstrip("\n")
        if not line:
            return fields
        name, _, value = line.partition(":")
        fields[name] = value.strip()


def test_a_save_on_one_server_is_pushed_to_a_stream_on_the_other(two_servers, initiative, moderator, notulist):
    import http.client

    from sessions import services

    session = plan_session(initiative, moderator, notulist)
    services.start_session(session=session, user=moderator)
    session.refresh_from_db()
    factor = session.factors.order_by("position").first()
    server_a, server_b = two_servers
    stream = http.client.HTTPConnection("127.0.0.1", server_b, timeout=10)
    stream.request("GET", f"/sessies/{session.pk}/stream/?since={session.revision}",
                   headers={"Cookie": login_cookie(moderator), "Accept": "text/event-stream"})
    response = stream.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    assert read_event(response).get("event") == "ready"
    started = time.monotonic()
    status, saved = call(server_a, f"/sessies/{session.pk}/opslaan/", login_cookie(notulist),
                         {"field": f"factor:{factor.pk}:minutes", "value": "Via server A", "version": 0})
    assert status == 200
    change = read_event(response)
    elapsed = time.monotonic() - started
    stream.close()
    session.refresh_from_db()
    assert change["id"] == str(session.revision)
    assert json.loads(change["data"])["fields"][f"factor:{factor.pk}:minutes"]["value"] == "Via server A"
    assert elapsed < 2  # pushed through NOTIFY, not found by a poll
