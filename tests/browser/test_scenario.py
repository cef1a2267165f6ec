"""One whole scan, end to end, in real browsers: staff plans it, the moderator and the notulist
work at the same time in two browsers (live sync, a conflict, a dropped connection, a reload),
the session is closed, the advice is finalized and the initiative downloads it through the share
link without an account. The separate pieces are tested in test_live_session.py; this is the
connected story, as it happens at a table."""

import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from actiescan.models import SuccessFactor
from reports.models import AdviceVersion, ShareLink
from sessions.models import ActionPoint, FieldRevision, ScanSession, SessionFactor

from .helpers import SYNC_TIMEOUT, all_saved, log_in

pytestmark = pytest.mark.django_db(transaction=True)

CODES = ("maatwerk", "digitale-tools", "leren-monitoring")
SCORES = [("Startend", "Gevorderd"), ("Gevorderd", "Voldragen"), ("Startend", "Voldragen")]


def field(page, key):
    return page.locator(f'[data-field="{key}"]')


@pytest.fixture
def four_browsers(browser):
    """Staff, moderator, notulist and the initiative's reader, each in their own browser context
    (own cookies, own local storage). A tuple of pages: a failing test leaves a screenshot of
    each in test-artifacts/ (tests/browser/conftest.py)."""
    contexts = [browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
                for _ in range(4)]
    yield tuple(context.new_page() for context in contexts)
    for context in contexts:
        context.close()


@pytest.mark.pdf
def test_a_whole_scan_from_planning_to_the_initiatives_pdf(four_browsers, live_server, staff, moderator, notulist, initiative):
    base = live_server.url
    titles = [SuccessFactor.objects.get(code=code).title for code in CODES]
    office, mod, notu, reader = four_browsers
    # --- Staff plans the session in the plan form and chooses three factors ------------------
    log_in(office, live_server, "sanne")
    office.goto(f"{base}/sessies/nieuw/")
    office.get_by_label("LLO-initiatief").select_option(label=initiative.name)
    office.get_by_label("Datum en tijd").fill("2026-12-01T14:00")
    office.get_by_label("Locatie").fill("Tiel, gemeentehuis")
    office.get_by_label("Moderator").select_option(label="Jeroen")
    office.get_by_label(re.compile("^Notulist")).select_option(label="Fatima")
    office.get_by_role("button", name="Sessie plannen").click()
    expect(office.get_by_text("De sessie is gepland.")).to_be_visible()
    session = ScanSession.objects.get()
    assert (session.moderator, session.notulist, session.created_by) == (moderator, notulist, staff)
    for title in titles:
        office.locator("label.factor-option", has_text=title).locator("input").check()
    office.get_by_role("button", name="Keuze opslaan").click()
    order = office.locator(".order-list")
    for title in titles:
        expect(order).to_contain_text(title)
    factors = list(SessionFactor.objects.filter(session=session).order_by("position"))
    assert [sf.title for sf in factors] == titles

    # --- Moderator and notulist log in, each in their own browser, at the same time -----------
    log_in(mod, live_server, "jeroen")
    log_in(notu, live_server, "fatima")
    mod.goto(f"{base}/sessies/{session.pk}/")
    mod.get_by_role("button", name="Sessie starten").first.click()
    expect(mod.locator("#factor-title")).to_have_text(titles[0])
    notu.goto(f"{base}/sessies/{session.pk}/notulist/")
    expect(notu.locator("#factor-title")).to_have_text(titles[0])

    # --- Three factors: the notulist writes minutes while the moderator scores ------------------
    for n, sf in enumerate(factors):
        minutes = f"Notulen bij {sf.title}: de representant vertelt."
        notes = field(notu, f"factor:{sf.pk}:minutes")
        notes.fill(minutes)
        notes.blur()
        now_level, wanted_level = SCORES[n]
        mod.get_by_label(f"Hier staan we nu: {now_level}").check()
        mod.get_by_label(f"Hier willen we naartoe: {wanted_level}").check()
        first_action, second_action = ActionPoint.objects.filter(session_factor=sf).order_by("position")
        field(mod, f"action:{first_action.pk}:text").fill(f"Eerste stap voor {sf.title}")
        field(mod, f"action:{first_action.pk}:owner").fill("Marieke")
        field(mod, f"action:{second_action.pk}:text").fill(f"Tweede stap voor {sf.title}")
        field(mod, f"action:{second_action.pk}:timeframe").fill("voor de zomer")
        all_saved(mod)
        # Each sees the other's work within 3 seconds.
        expect(field(mod, f"factor:{sf.pk}:minutes")).to_have_value(minutes, timeout=SYNC_TIMEOUT)
        summary = notu.locator("#factor-summary")
        expect(summary).to_contain_text(now_level, timeout=SYNC_TIMEOUT)
        expect(summary).to_contain_text(wanted_level, timeout=SYNC_TIMEOUT)
        expect(summary).to_contain_text(f"Tweede stap voor {sf.title}", timeout=SYNC_TIMEOUT)
        expect(mod.locator("#factor-status")).to_contain_text("compleet", timeout=SYNC_TIMEOUT)
        if n + 1 < len(factors):
            mod.locator(".pager").get_by_role("button", name=re.compile(re.escape(titles[n + 1]))).click()
            expect(mod.locator("#factor-title")).to_have_text(titles[n + 1])
            # The notulist's screen follows the moderator.
            expect(notu.locator("#factor-title")).to_have_text(titles[n + 1], timeout=SYNC_TIMEOUT + 2000)

    # --- Both edit the same field at once: a conflict panel with both texts, merged --------------
    last = factors[-1]
    key = f"factor:{last.pk}:minutes"
    mod.locator("summary", has_text="Notulen bij deze succesfactor").click()
    notes = field(notu, key)
    notes.click()
    field(mod, key).fill("Aanvulling van de moderator.")
    all_saved(mod)
    field(mod, key).blur()
    notes.press("End")
    notes.press_sequentially(" En nog iets van de notulist.")
    panel = notu.locator(f'[data-conflict-for="{key}"]')
    expect(panel).to_be_visible(timeout=SYNC_TIMEOUT)
    expect(panel.locator('[data-slot="mine"]')).to_contain_text("En nog iets van de notulist.")
    expect(panel.locator('[data-slot="theirs"]')).to_have_text("Aanvulling van de moderator.")
    # The merge takes both changes: the moderator replaced the text, the notulist added to it.
    expect(panel.locator('[data-slot="merged"]')).to_have_text(
        "Aanvulling van de moderator. En nog iets van de notulist.")
    panel.get_by_role("button", name="Samengevoegde tekst opslaan").click()
    all_saved(notu)
    last.refresh_from_db()
    assert last.minutes == "Aanvulling van de moderator. En nog iets van de notulist."
    # What was there before is kept in the history.
    assert FieldRevision.objects.filter(field=key, value=f"Notulen bij {last.title}: de representant vertelt.").exists()
    expect(field(mod, key)).to_have_value(last.minutes, timeout=SYNC_TIMEOUT)

    # --- The notulist's connection drops; typing goes on; everything arrives once --------------
    general = f"session:{session.pk}:general_minutes"
    general_field = field(notu, general)
    general_field.fill("Opening: iedereen stelt zich voor.")
    all_saved(notu)
    notu.context.set_offline(True)
    general_field.press("End")
    general_field.press_sequentially(" Tijdens de storing getypt.")
    general_field.blur()
    expect(notu.locator("#connection-banner")).to_be_visible(timeout=5000)
    notu.context.set_offline(False)
    notu.evaluate("window.dispatchEvent(new Event('online'))")
    expect(notu.locator(f'[data-status-for="{general}"]')).to_contain_text("Opgeslagen", timeout=10000)
    all_saved(notu)
    session.refresh_from_db()
    expected = "Opening: iedereen stelt zich voor. Tijdens de storing getypt."
    assert session.general_minutes == expected
    saved_values = list(FieldRevision.objects.filter(field=general).values_list("value", flat=True))
    assert saved_values.count(expected) == 1

    # --- A reload halfway through a sentence brings the unsaved text back ------------------------
    notu.route("**/opslaan/", lambda route: route.abort())
    general_field.press("End")
    general_field.press_sequentially(" Halve zin voor de reload")
    notu.unroute("**/opslaan/")
    notu.once("dialog", lambda dialog: dialog.accept())
    notu.reload()
    expect(field(notu, general)).to_have_value(expected + " Halve zin voor de reload")
    all_saved(notu)
    session.refresh_from_db()
    assert session.general_minutes == expected + " Halve zin voor de reload"

    # --- Wrap-up: the notulist has no more questions; the moderator closes ---------------------
    notu.goto(f"{base}/sessies/{session.pk}/totaaloverzicht/")
    notu.get_by_label("De notulist heeft alles wat nodig is voor het advies").check()
    all_saved(notu)
    mod.goto(f"{base}/sessies/{session.pk}/totaaloverzicht/")
    overview = mod.locator("#overview")
    for sf in factors:
        expect(overview).to_contain_text(f"Eerste stap voor {sf.title}")
    mod.get_by_role("button", name="Sessie afsluiten").click()
    expect(mod.get_by_text("De sessie is afgesloten.").first).to_be_visible()

    # --- The notulist finalizes the advice; the moderator shares it ------------------------------
    notu.goto(f"{base}/sessies/{session.pk}/advies/")
    section = notu.get_by_label("Uit het gesprek").first
    section.fill("De tafel koos eerst voor maatwerk. Laatste zin van het advies.")
    notu.get_by_role("button", name="Advies definitief maken").click()
    # Rendering the PDF takes seconds on a loaded machine.
    expect(notu.get_by_text("Versie 1 is definitief gemaakt")).to_be_visible(timeout=30000)
    version = AdviceVersion.objects.get(advice__session=session)
    mod.goto(f"{base}/sessies/{session.pk}/advies/")
    mod.get_by_role("button", name="Deellink maken").click()
    expect(mod.get_by_role("heading", name="Deellink gemaakt")).to_be_visible()
    # Shown once, on this page: only the token's hash is stored.
    address = mod.locator(".share-link input").input_value()
    assert ShareLink.objects.for_token(address.split("/")[-2]).get().version == version

    # --- The initiative opens the link without an account and downloads the PDF ----------------
    reader.goto(address)
    expect(reader.get_by_role("heading", level=1)).to_contain_text(initiative.name)
    expect(reader.locator("main")).to_contain_text(f"Tweede stap voor {titles[2]}")
    with reader.expect_download() as download_info:
        reader.get_by_role("link", name=re.compile("Download het advies")).click()
    path = download_info.value.path()
    data = open(path, "rb").read()
    assert data.startswith(b"%PDF") and data == bytes(version.pdf)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
    assert "Laatste zin van het advies." in text
    for title in titles:
        assert f"Eerste stap voor {title}" in text
    assert "Marieke" in text
