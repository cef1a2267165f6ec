"""Everyone at the table takes part from a phone: three phones (360 × 740) join with the code the
moderator shows, follow the moderator, mark privately, and send an idea that the moderator adopts
into an action point; after closing the phones show only that the conversation ended."""

import os
import re

import pytest
from playwright.sync_api import expect

from sessions import services
from sessions.models import ActionPoint

from ..helpers import plan_session
from .helpers import axe_violations, log_in

pytestmark = pytest.mark.django_db(transaction=True)

# ms: the page polls every 2 s under the test server (no streams under WSGI), then fetches its
# fragment; the moderator's fragment refreshes every 3 s. Generous for a loaded CI machine.
FOLLOW_TIMEOUT = 12000
PHONE = {"width": 360, "height": 740}
SHOTS = os.environ.get("ACTIESCAN_SCREENSHOTS", "")


def shot(page, name):
    """Screenshots for looking at the pages (ACTIESCAN_SCREENSHOTS=folder), not for asserting."""
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def post_as(page, url):
    """A POST from the moderator's page, as the session's screens send one (CSRF header)."""
    status = page.evaluate(
        """async (url) => {
            const token = document.body.dataset.csrfToken;
            const response = await fetch(url, {method: "POST", headers: {"X-CSRFToken": token},
                                               credentials: "same-origin", redirect: "manual"});
            return response.type === "opaqueredirect" ? 302 : response.status;
        }""",
        url,
    )
    assert status in (200, 302), (url, status)


@pytest.fixture
def table(browser, live_server, moderator, notulist, initiative):
    session = plan_session(initiative, moderator, notulist)
    services.start_session(session=session, user=moderator)
    mod_context = browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 768})
    phone_contexts = [
        browser.new_context(locale="nl-NL", viewport=PHONE, is_mobile=True, has_touch=True,
                            device_scale_factor=2)
        for _ in range(3)
    ]
    mod = mod_context.new_page()
    phones = [context.new_page() for context in phone_contexts]
    log_in(mod, live_server, "jeroen")
    yield session, mod, phones
    for context in (mod_context, *phone_contexts):
        context.close()


def test_three_phones_follow_mark_and_propose_and_the_moderator_adopts(table, live_server):
    session, mod, phones = table
    base = f"{live_server.url}/sessies/{session.pk}"
    first, second, _third = session.factors.order_by("position")
    problems = []

    # The moderator shows a code and its QR code.
    mod.goto(f"{base}/meedoen/")
    mod.get_by_role("button", name="Code maken").click()
    code = mod.locator(".join-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    expect(mod.get_by_role("img", name=re.compile("QR-code die meedoen opent"))).to_be_visible()
    shot(mod, "moderator-join-code")
    problems += axe_violations(mod)

    # Three phones join: the QR code's address fills the code in; two give a first name.
    for phone, name in zip(phones, ("Anna", "Bram", ""), strict=True):
        phone.goto(f"{live_server.url}/mee/#{code.replace('-', '')}")
        expect(phone.get_by_label("Code")).to_have_value(code.replace("-", ""))
        if name:
            phone.get_by_label("Uw voornaam").fill(name)
        phone.get_by_role("button", name="Meedoen").click()
        expect(phone.locator("h1")).to_have_text(first.title)
    problems += axe_violations(phones[0])
    expect(phones[2].locator(".phone-header__step")).to_contain_text("u doet anoniem mee")
    # Large and readable at 360 px: nothing wider than the screen, body text of 18 px.
    assert phones[0].evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phones[0].evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18
    shot(phones[0], "phone-factor")

    # The moderator takes the table to the next factor; every phone follows.
    post_as(mod, f"{base}/naar/{second.pk}/")
    for phone in phones:
        expect(phone.locator("h1")).to_have_text(second.title, timeout=FOLLOW_TIMEOUT)
    expect(phones[0].locator(".phone-question")).to_have_text(second.snapshot["main_question"])
    expect(phones[0].get_by_role("status").first).to_contain_text(second.title)

    # "Wat denkt de tafel?" (the "wat denken jullie?"): the moderator opens the question.
    mod.goto(f"{base}/tafel/?factor={second.pk}")
    mod.get_by_role("button", name="Vraag openen: wat denkt de tafel?").click()
    expect(mod.get_by_role("button", name="Vraag sluiten")).to_be_visible()
    for phone, (current, desired) in zip(phones, (("Startend", "Gevorderd"), ("Gevorderd", "Voldragen"),
                                                  ("Gevorderd", "Voldragen")), strict=True):
        form = phone.locator("form[data-phone-form='mark']")
        expect(form).to_be_visible(timeout=FOLLOW_TIMEOUT)
        form.get_by_role("group", name="Waar staat het initiatief nu?").get_by_label(current).check()
        form.get_by_role("group", name="Waar moet het naartoe?").get_by_label(desired).check()
        form.get_by_role("button", name="Inschatting bewaren").click()
        expect(form.locator("[data-form-status]")).to_contain_text("bewaard")
    shot(phones[1], "phone-marks")
    problems += axe_violations(phones[1])

    # Three marks: the spread shows on the moderator's fragment, with the reminder, no names.
    spread = mod.locator("table.spread")
    expect(spread).to_be_visible(timeout=FOLLOW_TIMEOUT)
    expect(spread.locator("caption")).to_have_text("Eigen inschattingen van 3 tafelleden")
    expect(spread.locator("tbody tr").nth(1)).to_contain_text("2")
    expect(mod.locator(".table-voices__reminder")).to_contain_text("De tafel kiest samen één niveau")
    assert "Anna" not in spread.inner_text() and "Bram" not in spread.inner_text()

    # A phone sends an idea; the moderator adopts it into action point 1 with one click.
    idea = "De coördinator belt elke werkgever uit het netwerk voor 1 april."
    phones[0].get_by_label("Uw idee").fill(idea)
    phones[0].get_by_role("button", name="Versturen").click()
    expect(phones[0].locator(".phone-proposals")).to_contain_text(idea)
    proposal = mod.locator(".proposal", has_text=idea)
    expect(proposal).to_be_visible(timeout=FOLLOW_TIMEOUT)
    expect(proposal).to_contain_text("Anna")
    shot(mod, "moderator-table-voices")
    problems += axe_violations(mod)
    proposal.get_by_role("button", name=re.compile("Naar actiepunt 1")).click()
    expect(mod.locator(".proposal", has_text=idea)).to_contain_text("in actiepunt 1")
    assert ActionPoint.objects.get(session_factor=second, position=1).text == idea
    expect(phones[0].locator(".phone-badge")).to_have_text("overgenomen in actiepunt 1",
                                                          timeout=FOLLOW_TIMEOUT)
    # In the cockpit, action point 1 holds the idea (the normal autosave field).
    mod.goto(f"{base}/cockpit/?factor={second.pk}")
    point = ActionPoint.objects.get(session_factor=second, position=1)
    expect(mod.locator(f'[data-field="action:{point.pk}:text"]')).to_have_value(idea)

    # Closing: the phones show that it ended, and nothing more.
    post_as(mod, f"{base}/afsluiten/")
    for phone in phones:
        expect(phone.locator("h1")).to_have_text("Het gesprek is afgelopen", timeout=FOLLOW_TIMEOUT)
        assert second.title not in phone.locator("main").inner_text()
    shot(phones[0], "phone-ended")
    assert not problems, "\n".join(problems)


def test_a_typed_idea_is_kept_when_the_table_moves_on(table, live_server):
    session, mod, phones = table
    first, second, _third = session.factors.order_by("position")
    phone = phones[0]
    mod.goto(f"{live_server.url}/sessies/{session.pk}/meedoen/")
    mod.get_by_role("button", name="Code maken").click()
    code = mod.locator(".join-code").inner_text()
    phone.goto(f"{live_server.url}/mee/")
    phone.get_by_label("Code").fill(code)
    phone.get_by_role("button", name="Meedoen").click()
    expect(phone.locator("h1")).to_have_text(first.title)

    phone.get_by_label("Uw idee").fill("Half getypt idee")
    services.set_current_factor(session=session, session_factor=second)
    # The page waits and says why; the text stays.
    expect(phone.get_by_role("status").first).to_contain_text("nog niet verstuurd", timeout=FOLLOW_TIMEOUT)
    expect(phone.get_by_label("Uw idee")).to_have_value("Half getypt idee")
    expect(phone.locator("h1")).to_have_text(first.title)
    shot(phone, "phone-held")
    # Sent: it belongs to the factor it was typed for, and the phone catches up.
    phone.get_by_role("button", name="Versturen").click()
    expect(phone.locator("h1")).to_have_text(second.title, timeout=FOLLOW_TIMEOUT)
    assert list(first.proposals.values_list("text", flat=True)) == ["Half getypt idee"]
