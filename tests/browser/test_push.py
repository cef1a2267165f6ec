"""Live updates pushed to real browsers by the production server (granian, ASGI): what one person
saves shows on the other screen well under a second after the save, carried by the stream (no
polls while it runs); a server that cannot stream (WSGI) leaves the page polling."""

import time

import pytest
from playwright.sync_api import expect

from ..helpers import app_server, login_session_key, plan_session
from .helpers import all_saved

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pushed_table(browser, tmp_path, moderator, notulist, initiative):
    """The session's two screens, each logged in, against the app as production serves it."""
    session = plan_session(initiative, moderator, notulist)
    with app_server(tmp_path, debug=True) as url:
        pages, requests = [], {}
        for user in (moderator, notulist):
            context = browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
            context.add_cookies([{"name": "sessionid", "value": login_session_key(user), "url": url}])
            page = context.new_page()
            log = requests[page] = []
            page.on("request", lambda request, log=log: log.append(request.url))
            pages.append(page)
        yield url, session, pages, requests
        for page in pages:
            page.context.close()


def test_a_save_is_pushed_to_the_other_screen_without_polling(pushed_table):
    url, session, (mod, notu), requests = pushed_table
    mod.goto(f"{url}/sessies/{session.pk}/")
    mod.get_by_role("button", name="Sessie starten").click()
    first = session.factors.order_by("position").first()
    key = f"factor:{first.pk}:minutes"
    notu.goto(f"{url}/sessies/{session.pk}/notulist/?factor={first.pk}")
    notu_field = notu.locator(f'[data-field="{key}"]')
    expect(notu_field).to_be_visible()
    mod.goto(f"{url}/sessies/{session.pk}/cockpit/?factor={first.pk}")
    mod.locator("summary", has_text="Notulen bij deze succesfactor").click()
    # Both screens hold their stream open before anything is typed.
    deadline = time.monotonic() + 10
    while not all(any("/stream/" in r for r in requests[page]) for page in (mod, notu)):
        assert time.monotonic() < deadline, requests
        mod.wait_for_timeout(100)
    mod.wait_for_timeout(500)  # past the 300-ms first look of a page that was just loaded
    for log in requests.values():
        log.clear()
    mod.locator(f'[data-field="{key}"]').fill("Gepusht naar de notulist")
    all_saved(mod)
    saved_at = time.monotonic()
    expect(notu_field).to_have_value("Gepusht naar de notulist", timeout=8000)
    print(f"\n[push] seen on the other screen {time.monotonic() - saved_at:.3f} s after the save")
    # Pushed, not polled: the speed itself is measured in bench/load.py, not asserted here.
    polls = [r for log in requests.values() for r in log if "/sync/" in r]
    assert not polls, f"the screens polled while the stream ran: {polls}"
