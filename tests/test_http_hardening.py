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
