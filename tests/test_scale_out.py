"""Several app servers behind a load balancer share one PostgreSQL: the app keeps no state in
memory between requests. Two real servers (scripts/serve: granian) on two ports, a moderator on
one and the notulist on the other: what one saves, the other's poll sees, and the other's open
stream gets it pushed (PostgreSQL's NOTIFY reaches every server's listener)."""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .helpers import app_server, login_session_key, plan_session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="scaling out is about PostgreSQL (run with DATABASE_URL=postgres://…)",
    ),
]

CSRF = "c" * 32


def login_cookie(user):
    return f"sessionid={login_session_key(user)}; csrftoken={CSRF}"


@pytest.fixture
def two_servers(tmp_path):
    with app_server(tmp_path) as first, app_server(tmp_path) as second:
        yield [int(url.rsplit(":", 1)[1]) for url in (first, second)]


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
