"""Temporary: screenshots of the live screens (not committed)."""
import re
import pytest
from playwright.sync_api import expect
from sessions import services
from sessions.models import SessionFactor
from .helpers import all_saved

pytestmark = pytest.mark.django_db(transaction=True)
OUT = "/tmp/i12/shots"


@pytest.mark.parametrize("width,height", [(1366, 768), (768, 1024)])
def test_shots(table, live_server, moderator, width, height):
    session, mod, notu, contexts = table
    for page in (mod, notu):
        page.set_viewport_size({"width": width, "height": height})
    tag = f"{width}x{height}"
    services.start_session(session=session, user=moderator)
    factors = list(session.factors.order_by("position"))
    base = f"{live_server.url}/sessies/{session.pk}"
    mod.goto(f"{base}/cockpit/")
    notu.goto(f"{base}/notulist/")
    key = f"factor:{factors[0].pk}:minutes"
    box = notu.locator(f'[data-field="{key}"]')
    box.click()
    box.press_sequentially("De representant vertelt over de doelgroep.")
    all_saved(notu)
    # 1. The moderator moves on; her cursor stays in the box: the notice and the two markers.
    mod.get_by_role("button", name=re.compile(factors[1].title)).first.click()
    expect(notu.locator("#follow-notice")).to_be_visible(timeout=4000)
    notu.screenshot(path=f"{OUT}/{tag}-1-follow-notice.png")
    notu.mouse.wheel(0, 700)
    notu.wait_for_timeout(400)
    notu.screenshot(path=f"{OUT}/{tag}-2-follow-notice-scrolled.png")
    # 2. The moderator's cockpit after the move (POST nav) and when looking elsewhere.
    mod.screenshot(path=f"{OUT}/{tag}-3-cockpit.png")
    mod.goto(f"{base}/cockpit/?factor={factors[2].pk}")
    mod.screenshot(path=f"{OUT}/{tag}-4-cockpit-table-elsewhere.png")
    mod.goto(f"{base}/cockpit/?factor={factors[1].pk}")
    # 3. Conflict panel.
    notu.get_by_role("button", name="Ga mee").click()
    k2 = f"factor:{factors[1].pk}:minutes"
    mod.locator("summary", has_text="Notulen bij deze succesfactor").click()
    mod.locator(f'[data-field="{k2}"]').fill("Gedeelde tekst over werkgevers.")
    all_saved(mod)
    expect(notu.locator(f'[data-field="{k2}"]')).to_have_value("Gedeelde tekst over werkgevers.", timeout=4000)
    nbox = notu.locator(f'[data-field="{k2}"]')
    nbox.click()
    mod.locator(f'[data-field="{k2}"]').press("End")
    mod.locator(f'[data-field="{k2}"]').press_sequentially(" De moderator vult aan.")
    all_saved(mod)
    mod.locator(f'[data-field="{k2}"]').blur()
    nbox.press("End")
    nbox.press_sequentially(" De notulist vult ook aan.")
    panel = notu.locator(f'[data-conflict-for="{k2}"]')
    expect(panel).to_be_visible(timeout=4000)
    panel.scroll_into_view_if_needed()
    notu.screenshot(path=f"{OUT}/{tag}-5-merge-panel.png")
    panel.get_by_role("button", name="Samengevoegde tekst opslaan").click()
    all_saved(notu)
    # 4. Offline banner for an idle notulist.
    notu.locator("h1").first.click()
    notu.evaluate("window.scrollTo(0, 0)")
    contexts[1].set_offline(True)
    expect(notu.locator("#connection-banner")).to_be_visible(timeout=6000)
    notu.screenshot(path=f"{OUT}/{tag}-6-offline-banner.png")
    contexts[1].set_offline(False)
    expect(notu.locator("#connection-banner")).to_be_hidden(timeout=6000)
    # 5. The close handshake: she types (saves held back), he presses close.
    mod.goto(f"{base}/totaaloverzicht/")
    held = []
    notu.route("**/opslaan/", lambda route: held.append(route))
    general = notu.locator(f'[data-field="session:{session.pk}:general_minutes"]')
    general.click()
    general.press_sequentially("Afspraak: volgende keer in Tiel.")
    notu.wait_for_timeout(300)
    mod.get_by_role("button", name="Sessie afsluiten").click()
    expect(mod.locator(".closing-wait")).to_be_visible()
    mod.locator("#close-section").scroll_into_view_if_needed()
    mod.screenshot(path=f"{OUT}/{tag}-7-close-waiting.png")
    expect(mod.get_by_text("Na 10 seconden")).to_be_visible(timeout=15000)
    mod.locator("#close-section").scroll_into_view_if_needed()
    mod.screenshot(path=f"{OUT}/{tag}-8-close-gave-up.png")
    mod.get_by_role("button", name="Toch afsluiten").click()
    expect(mod.get_by_text("De sessie is afgesloten.").first).to_be_visible()
    for route in held:
        route.abort()
    notu.unroute("**/opslaan/")
    # Her screen: closed within a sync; her text is sent and stored after closing.
    expect(notu.locator("[data-late-note]").first).to_be_visible(timeout=12000)
    notu.evaluate("window.scrollTo(0, 0)")
    notu.screenshot(path=f"{OUT}/{tag}-9-notulist-closed.png")
    mod.screenshot(path=f"{OUT}/{tag}-10-moderator-closed.png")
