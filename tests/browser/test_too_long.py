"""A text over the upload limit: the server (or the proxy in front of it) answers 413. The field
says "te lang", and the text stays in the field and in this browser's local backup."""

import json

import pytest
from playwright.sync_api import expect

from sessions.models import SessionFactor

pytestmark = pytest.mark.django_db(transaction=True)


def draft_value(page, session, key):
    raw = page.evaluate(f"window.localStorage.getItem('actiescan:draft:{session.pk}:{key}')")
    return json.loads(raw)["value"] if raw else None


@pytest.mark.parametrize("answered_by", ["app", "proxy"])
def test_a_text_that_is_too_long_says_so_and_stays(answered_by, table, live_server, settings):
    session, _mod, notu, _ = table
    first = session.factors.order_by("position").first()
    key = f"factor:{first.pk}:minutes"
    if answered_by == "app":
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 8_000
    else:  # nginx's client_max_body_size: its own HTML page, no JSON
        notu.route("**/opslaan/", lambda route: route.fulfill(
            status=413, content_type="text/html",
            body="<html><body><h1>413 Request Entity Too Large</h1></body></html>"))
    notu.goto(f"{live_server.url}/sessies/{session.pk}/notulist/?factor={first.pk}")
    text = "Een lange zin over de doelgroep. " * 300  # about 10 000 characters
    field = notu.locator(f'[data-field="{key}"]')
    field.fill(text)
    field.blur()
    expect(notu.locator(f'[data-status-for="{key}"]')).to_contain_text("te lang", timeout=10_000)
    expect(field).to_have_value(text)
    assert draft_value(notu, session, key) == text
    assert SessionFactor.objects.get(pk=first.pk).minutes == ""
