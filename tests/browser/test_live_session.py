"""Two people, two browsers, one session: nothing typed is lost and each sees the other."""

import re

import pytest
from playwright.sync_api import expect

from sessions.models import FieldRevision, SessionFactor

from .helpers import SYNC_TIMEOUT, all_saved

pytestmark = pytest.mark.django_db(transaction=True)


def test_moderator_and_notulist_run_a_session_together(table, live_server):
    session, mod, notu, (mod_context, notu_context) = table
    base = f"{live_server.url}/sessies/{session.pk}"
    first = session.factors.order_by("position").first()

    mod.goto(f"{base}/")
    mod.get_by_role("button", name="Sessie starten").first.click()
    expect(mod.locator("#factor-title")).to_have_text(first.title)
    notu.goto(f"{base}/notulist/")
    expect(notu.locator("#factor-title")).to_have_text(first.title)

    # The notulist types minutes; the moderator's copy of the field follows within 3 s.
    minutes_key = f"factor:{first.pk}:minutes"
    notu.locator(f'[data-field="{minutes_key}"]').fill("De representant vertelt over de doelgroep.")
    expect(notu.locator(f'[data-status-for="{minutes_key}"]')).to_contain_text("Opgeslagen", timeout=SYNC_TIMEOUT)
    expect(mod.locator(f'[data-field="{minutes_key}"]')).to_have_value(
        "De representant vertelt over de doelgroep.", timeout=SYNC_TIMEOUT)

    # The moderator scores and writes action points; the notulist sees them within 3 s.
    mod.get_by_label("Hier staan we nu: Gevorderd").check()
    mod.get_by_label("Hier willen we naartoe: Voldragen").check()
    actions = list(first.action_points.order_by("position"))
    mod.locator(f'[data-field="action:{actions[0].pk}:text"]').fill("Folders herschrijven op B1")
    mod.locator(f'[data-field="action:{actions[0].pk}:owner"]').fill("Marieke")
    mod.locator(f'[data-field="action:{actions[1].pk}:text"]').fill("Twee leerambassadeurs werven")
    all_saved(mod)
    summary = notu.locator("#factor-summary")
    expect(summary).to_contain_text("Gevorderd", timeout=SYNC_TIMEOUT)
    expect(summary).to_contain_text("Voldragen", timeout=SYNC_TIMEOUT)
    expect(summary).to_contain_text("Twee leerambassadeurs werven", timeout=SYNC_TIMEOUT)
    expect(mod.locator("#factor-status")).to_contain_text("compleet", timeout=SYNC_TIMEOUT)

    # The moderator moves the table on (a POST); the notulist's screen follows.
    second = session.factors.order_by("position")[1]
    mod.get_by_role("button", name=re.compile(second.title)).first.click()
    expect(mod.locator("#factor-title")).to_have_text(second.title)
    # Her cursor is still in the minutes: her screen stays, and says where the table went.
    expect(notu.locator("#follow-notice")).to_contain_text(
        f"De moderator is bij ‘{second.title}’", timeout=SYNC_TIMEOUT)
    expect(notu.locator("#factor-title")).to_have_text(first.title)
    notu.get_by_role("button", name="Ga mee").click()
    expect(notu.locator("#factor-title")).to_have_text(second.title)
    expect(notu.locator(f'[data-field="factor:{second.pk}:minutes"]')).to_be_focused()
    expect(notu.locator("#follow-notice")).to_be_hidden()

    first.refresh_from_db()
    assert first.minutes == "De representant vertelt over de doelgroep."
    assert (first.current_level, first.desired_level) == ("gevorderd", "voldragen")

    # The polls carry the sync token the page handed out (one query per unchanged poll).
    with notu.expect_request(lambda request: "/sync/" in request.url, timeout=SYNC_TIMEOUT + 8000) as poll:
        pass
    token = poll.value.headers.get("x-sync-token", "")
    assert token.startswith(f"{session.pk}:")


def test_conflict_shows_both_texts_and_merging_keeps_both(table, live_server):
    session, mod, notu, _ = table
    first = session.factors.order_by("position").first()
    key = f"factor:{first.pk}:minutes"
    notu.goto(f"{live_server.url}/sessies/{session.pk}/notulist/?factor={first.pk}")
    mod.goto(f"{live_server.url}/sessies/{session.pk}/cockpit/?factor={first.pk}")
    mod.locator("summary", has_text="Notulen bij deze succesfactor").click()

    # Both start from the same empty text; the notulist keeps the focus, so no sync replaces it.
    notu_field = notu.locator(f'[data-field="{key}"]')
    notu_field.click()
    mod.locator(f'[data-field="{key}"]').fill("Tekst van de moderator")
    all_saved(mod)
    # A field keeps what its user sees while it has focus; the moderator is done typing.
    mod.locator(f'[data-field="{key}"]').blur()
    notu_field.press_sequentially("Tekst van de notulist")
    panel = notu.locator(f'[data-conflict-for="{key}"]')
    expect(panel).to_be_visible(timeout=SYNC_TIMEOUT)
    expect(panel.locator('[data-slot="mine"]')).to_have_text("Tekst van de notulist")
    expect(panel.locator('[data-slot="theirs"]')).to_have_text("Tekst van de moderator")
    panel.get_by_role("button", name="Samengevoegde tekst opslaan").click()
    all_saved(notu)
    first.refresh_from_db()
    assert first.minutes == "Tekst van de moderator Tekst van de notulist"
    expect(mod.locator(f'[data-field="{key}"]')).to_have_value(first.minutes, timeout=SYNC_TIMEOUT)


def test_offline_typing_is_saved_once_the_connection_returns(table, live_server):
    session, mod, notu, (_, notu_context) = table
    general_key = f"session:{session.pk}:general_minutes"
    notu.goto(f"{live_server.url}/sessies/{session.pk}/notulist/")
    field = notu.locator(f'[data-field="{general_key}"]')
    field.fill("Voor de storing.")
    all_saved(notu)

    notu_context.set_offline(True)
    field.press_sequentially(" Tijdens de storing getypt.")
    field.blur()
    expect(notu.locator("#connection-banner")).to_be_visible(timeout=5000)
    notu_context.set_offline(False)
    notu.evaluate("window.dispatchEvent(new Event('online'))")
    expect(notu.locator(f'[data-status-for="{general_key}"]')).to_contain_text("Opgeslagen", timeout=10000)
    all_saved(notu)
    session.refresh_from_db()
    assert session.general_minutes == "Voor de storing. Tijdens de storing getypt."
    values = list(FieldRevision.objects.filter(field=general_key).values_list("value", flat=True))
    assert values.count(session.general_minutes) == 1


def test_reload_mid_typing_restores_the_draft(table, live_server):
    session, mod, notu, _ = table
    first = session.factors.order_by("position").first()
    key = f"factor:{first.pk}:minutes"
    url = f"{live_server.url}/sessies/{session.pk}/notulist/?factor={first.pk}"
    notu.goto(url)
    field = notu.locator(f'[data-field="{key}"]')
    # Slow the save endpoint so the reload certainly comes before the server has the text.
    notu.route("**/opslaan/", lambda route: route.abort())
    field.press_sequentially("Zin die nog niet was opgeslagen")
    notu.unroute("**/opslaan/")
    notu.once("dialog", lambda dialog: dialog.accept())
    notu.reload()
    field = notu.locator(f'[data-field="{key}"]')
    expect(field).to_have_value("Zin die nog niet was opgeslagen")
    all_saved(notu)
    assert SessionFactor.objects.get(pk=first.pk).minutes == "Zin die nog niet was opgeslagen"


@pytest.mark.pdf
def test_wrap_up_close_advice_and_share_link_to_an_anonymous_reader(table, live_server, browser):
    from reports.models import AdviceVersion, ShareLink

    session, mod, notu, _ = table
    base = f"{live_server.url}/sessies/{session.pk}"
    first = session.factors.order_by("position").first()
    mod.goto(f"{base}/")
    mod.get_by_role("button", name="Sessie starten").first.click()
    actions = list(first.action_points.order_by("position"))
    mod.get_by_label("Hier staan we nu: Startend").check()
    mod.locator(f'[data-field="action:{actions[0].pk}:text"]').fill("Coaches inzetten op de bouwplaats")
    mod.locator(f'[data-field="action:{actions[1].pk}:text"]').fill("Werkgevers laten meebetalen")
    all_saved(mod)

    # Wrap-up: the moderator asks the notulist for questions, then closes the session.
    mod.goto(f"{base}/totaaloverzicht/")
    expect(mod.locator("#overview")).to_contain_text("Coaches inzetten op de bouwplaats")
    mod.get_by_role("button", name="Sessie afsluiten").click()
    expect(mod.get_by_text("De sessie is afgesloten.").first).to_be_visible()

    # The notulist edits the drafted advice and finalizes it; the last sentence must be in it.
    notu.goto(f"{base}/advies/")
    section = notu.get_by_label("Uit het gesprek").first
    section.fill("De tafel was het eens: eerst de coaches, dan de werkgevers. Laatste zin.")
    notu.get_by_role("button", name="Advies definitief maken").click()
    # Rendering the PDF takes seconds on a loaded machine.
    expect(notu.get_by_text("Versie 1 is definitief gemaakt")).to_be_visible(timeout=30000)
    version = AdviceVersion.objects.get(advice__session=session)
    assert b"%PDF" == bytes(version.pdf)[:4]

    # The moderator makes a share link; a reader without an account opens it and downloads the PDF.
    mod.goto(f"{base}/advies/")
    mod.get_by_role("button", name="Deellink maken").click()
    # Shown once, on the answer to that click: only the token's hash is stored.
    address = mod.locator(".share-link input").input_value()
    assert ShareLink.objects.for_token(address.split("/")[-2]).get().version == version
    reader_context = browser.new_context(locale="nl-NL")
    reader = reader_context.new_page()
    reader.goto(address)
    expect(reader.get_by_role("heading", level=1)).to_contain_text(session.initiative.name)
    expect(reader.locator("main")).to_contain_text("Werkgevers laten meebetalen")
    with reader.expect_download() as download_info:
        reader.get_by_role("link", name=re.compile("Download het advies")).click()
    path = download_info.value.path()
    data = open(path, "rb").read()
    assert data.startswith(b"%PDF") and data == bytes(version.pdf)
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
    assert "Laatste zin." in text and "Coaches inzetten op de bouwplaats" in text
    reader_context.close()
