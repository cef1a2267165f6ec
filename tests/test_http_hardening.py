"""HTTP answers that protect the minutes and keep the app reachable: no caching of pages that
carry session data, a Permissions-Policy, /healthz over plain http behind a load balancer, a
favicon, and an autosave that is too big answered as JSON 413 (keep-alive intact)."""

import http.client
import json

import pytest
from django.test import Client
from django.urls import reverse

from .helpers import app_server, client_for, login_session_key

# --- An autosave body over the upload limit ---------------------------------------------------------


def test_an_autosave_over_the_upload_limit_answers_json_413(running_session, moderator_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    factor = running_session.factors.first()
    response = moderator_client.post(
        reverse("sessions:save", args=[running_session.pk]),
        {"field": f"factor:{factor.pk}:minutes", "value": "x" * 30_000, "version": "0"},
        HTTP_ACCEPT="application/json")
    assert response.status_code == 413
    assert response.json()["error"] == "too_large" and "te lang" in response.json()["message"]
    factor.refresh_from_db()
    assert factor.minutes == "" and factor.minutes_version == 0
    # A form post (no JSON asked) gets the Dutch page, with the same status.
    response = moderator_client.post(reverse("sessions:add_participant", args=[running_session.pk]),
                                     {"name": "x" * 30_000, "role": "representant"})
    assert response.status_code == 413 and "Er is niets opgeslagen" in response.content.decode()


CSRF = "c" * 32


@pytest.mark.django_db(transaction=True)
def test_the_production_server_answers_413_and_keeps_the_connection(tmp_path, running_session, moderator):
    """Through granian (scripts/serve), as production runs: the answer is JSON and the browser's
    keep-alive connection stays usable for the next save."""
    factor = running_session.factors.first()
    cookie = f"sessionid={login_session_key(moderator)}; csrftoken={CSRF}"
    headers = {"Cookie": cookie, "X-CSRFToken": CSRF, "Accept": "application/json",
               "Content-Type": "application/x-www-form-urlencoded"}
    path = f"/sessies/{running_session.pk}/opslaan/"
    with app_server(tmp_path) as url:
        connection = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=10)
        body = f"field=factor:{factor.pk}:minutes&version=0&value=" + "x" * 3_000_000
        connection.request("POST", path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        payload = response.read()
        assert response.status == 413, payload[:200]
        assert "te lang" in json.loads(payload)["message"]
        assert response.getheader("Connection", "").lower() != "close"
        # The same connection carries the next (normal) save.
        connection.request("POST", path, body=f"field=factor:{factor.pk}:minutes&version=0&value=kort".encode(),
                           headers=headers)
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["value"] == "kort"
        connection.close()


# --- Cache-Control: nothing with minutes is kept by a cache ---------------------------------------

NO_STORE = "private, no-store"


def no_store(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


@pytest.fixture
def finished(running_session, moderator, notulist):
    """A closed session with an advice, a finalized version and a share link."""
    from reports import services as advice_services
    from sessions import services

    services.close_session(session=running_session, user=moderator)
    advice = advice_services.get_or_draft_advice(session=running_session, user=notulist)
    version = advice_services.finalize(advice=advice, user=notulist)
    _link, token = advice_services.issue_share_link(version=version, user=notulist)
    return running_session, version, token


def test_every_page_and_pdf_for_a_logged_in_user_is_private_and_not_stored(finished, notulist, initiative, moderator):
    from sessions import services

    from .helpers import plan_session

    session, version, _token = finished
    live = plan_session(initiative, moderator, notulist)
    services.start_session(session=live, user=moderator)
    client = client_for(Client, notulist)
    pages = [
        reverse("home"), reverse("sessions:list"), reverse("sessions:detail", args=[session.pk]),
        reverse("sessions:cockpit", args=[live.pk]), reverse("sessions:notulist", args=[live.pk]),
        reverse("sessions:wrap_up", args=[live.pk]), reverse("sessions:history", args=[live.pk]),
        reverse("sessions:present_codes", args=[live.pk]), reverse("sessions:present", args=[live.pk]),
        reverse("reports:advice", args=[session.pk]), reverse("reports:advice_preview", args=[session.pk]),
        reverse("reports:advice_preview_pdf", args=[session.pk]),
        reverse("reports:advice_version_pdf", args=[session.pk, version.number]),
        reverse("account"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert no_store(response), (url, response.get("Cache-Control"))


def test_pages_opened_with_a_token_or_code_are_not_stored(finished, moderator):
    from sessions import present

    session, _version, token = finished
    anonymous = Client()
    for url in (reverse("reports:shared", args=[token]), reverse("reports:shared_pdf", args=[token]),
                reverse("reports:shared", args=["x" * 43])):
        assert no_store(anonymous.get(url)), url
    screen = Client()
    code = present.create_code(session=session, user=moderator)
    assert screen.post(reverse("sessions:present_enter"), {"code": code.code}).status_code == 302
    response = screen.get(reverse("sessions:present", args=[session.pk]))
    assert response.status_code == 200 and no_store(response)
    # Even a page that is the same for everyone is not stored for a browser with a session.
    assert no_store(screen.get(reverse("privacy_statement")))


@pytest.fixture
def static_served(settings):
    """Static files answered by whitenoise from the source folders, as collectstatic would."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def test_a_view_that_sets_its_own_caching_keeps_it_and_static_files_stay_cacheable(static_served, moderator):
    client = client_for(Client, moderator)  # with a session: static files are still cacheable
    response = client.get(reverse("favicon"))
    assert response.status_code == 302 and response["Cache-Control"] == "public, max-age=86400"
    for url in (response.url, "/static/css/actiescan.css"):
        static = client.get(url)
        assert static.status_code == 200, url
        assert "no-store" not in static.get("Cache-Control", "") and "max-age" in static["Cache-Control"]


# --- Smaller: Permissions-Policy, /healthz over http, the favicon ---------------------------------

def test_every_answer_switches_off_camera_microphone_and_location(client, moderator):
    for response in (client.get(reverse("login")), client.get("/healthz"), client.get("/bestaat-niet/"),
                     client_for(Client, moderator).get(reverse("home"))):
        policy = response["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
            assert feature in policy


def test_healthz_answers_over_plain_http_in_production(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
    assert client.get(reverse("login")).status_code == 301  # everything else goes to https


def test_the_favicon_is_served_and_linked(static_served, client, db):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:4] == b"\x00\x00\x01\x00"
    html = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html
