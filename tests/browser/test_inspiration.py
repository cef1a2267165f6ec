"""Inspiration for action points in the browser: the notulist takes an example over from the
inspiration list, the moderator's cockpit shows it within seconds; text that is already there
is kept and the example only goes below it after the question is answered."""

import pytest
from playwright.sync_api import expect

from actiescan.models import ActionExample
from sessions import services
from sessions.models import SessionFactor

from ..helpers import plan_session
from .helpers import SYNC_TIMEOUT, all_saved, axe_violations, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def table(browser, live_server, moderator, notulist, initiative):
    session = plan_session(initiative, moderator, notulist)
    services.start_session(session=session, user=moderator)
    first = session.factors.order_by("position").first()
    SessionFactor.objects.filter(pk=first.pk).update(current_level="startend", desired_level="gevorderd")
    contexts = [browser.new_context(locale="nl-NL", viewport=viewport)
                for viewport in ({"width": 1366, "height": 768}, {"width": 360, "height": 740})]
    mod_page, not_page = (context.new_page() for context in contexts)
    log_in(mod_page, live_server, "jeroen")
    log_in(not_page, live_server, "fatima")
    yield session, first, mod_page, not_page
    for context in contexts:
        context.close()


def test_the_inspiration_list_fills_an_action_point_and_keeps_typed_text(table, live_server):
    session, first, mod, notu = table
    one, two = first.action_points.order_by("position")
    mod.goto(f"{live_server.url}/sessies/{session.pk}/cockpit/?factor={first.pk}")
    # The moderator already wrote action point 2.
    mod.locator(f'[data-field="action:{two.pk}:text"]').fill("Ons eigen idee")
    all_saved(mod)
    # A field keeps what its user sees while it has focus; the moderator is done typing.
    mod.locator(f'[data-field="action:{two.pk}:text"]').blur()

    notu.goto(f"{live_server.url}/sessies/{session.pk}/factoren/{first.pk}/inspiratie/")
    expect(notu.get_by_text("Voorbeelden voor de stap van startend naar gevorderd.")).to_be_visible()
    found = axe_violations(notu)
    example = ActionExample.objects.get(key="maatwerk-sg-2")
    item = notu.locator(".example", has_text=example.text[:40])
    item.get_by_role("button", name="Neem over in actiepunt 1").click()
    expect(notu.locator("#inspiration-notice")).to_contain_text("Het voorbeeld staat nu in actiepunt 1.")

    # The cockpit follows by the ordinary live sync: text, owner and timeframe.
    expect(mod.locator(f'[data-field="action:{one.pk}:text"]')).to_have_value(example.text, timeout=SYNC_TIMEOUT)
    expect(mod.locator(f'[data-field="action:{one.pk}:owner"]')).to_have_value(example.owner, timeout=SYNC_TIMEOUT)
    expect(mod.locator(f'[data-field="action:{one.pk}:timeframe"]')).to_have_value(example.timeframe)

    # Action point 2 has text: first a question, nothing changes until it is answered.
    other = ActionExample.objects.get(key="maatwerk-sg-3")
    notu.locator(".example", has_text=other.text[:40]).get_by_role("button", name="Neem over in actiepunt 2").click()
    notice = notu.locator("#inspiration-notice")
    expect(notice).to_contain_text("Actiepunt 2 heeft al tekst:")
    expect(notice).to_contain_text("Ons eigen idee")
    found += axe_violations(notu)
    two.refresh_from_db()
    assert two.text == "Ons eigen idee"
    notice.get_by_role("button", name="Ja, zet het onder actiepunt 2").click()
    expect(notice).to_contain_text("Het voorbeeld staat nu onder de tekst die al in actiepunt 2 stond.")
    expect(mod.locator(f'[data-field="action:{two.pk}:text"]')).to_have_value(
        f"Ons eigen idee\n\n{other.text}", timeout=SYNC_TIMEOUT)
    # The moderator's screen also knows it is complete now.
    expect(mod.locator("#factor-status")).to_contain_text("compleet", timeout=SYNC_TIMEOUT)
    assert not found, "\n".join(found)
