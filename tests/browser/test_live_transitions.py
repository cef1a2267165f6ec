"""The two transitions of every session, in two real browsers: the moderator moving the table
(the notulist's screen follows without ever taking a field away) and closing (nothing typed
before her screen shows "closed" is lost). Also: the closed state and the connection banner for
someone who is not typing, the three-way merge, and live ticks."""

import re

import pytest
from playwright.sync_api import expect

from sessions import services
from sessions.models import FieldRevision, RevisionKind, ScanSession, SessionFactor

from .helpers import SYNC_TIMEOUT, all_saved, axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

FOLLOW_TIMEOUT = 8000  # ms: one sync (2 s), idle for 3 s, the swap


def field(page, key):
    return page.locator(f'[data-field="{key}"]')


@pytest.fixture
def running(table, live_server, moderator):
    """The session started, the moderator on factor 1's cockpit, the notulist on her screen."""
    session, mod, notu, contexts = table
    services.start_session(session=session, user=moderator)
    session.refresh_from_db()
    factors = list(session.factors.order_by("position"))
    base = f"{live_server.url}/sessies/{session.pk}"
    mod.goto(f"{base}/cockpit/")
    notu.goto(f"{base}/notulist/")
    expect(notu.locator("#factor-title")).to_have_text(factors[0].title)
    return session, factors, mod, notu, base


# --- Closing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("pause", [0.1, 0.5])
def test_closing_right_after_the_notulists_last_key_keeps_her_text(running, pause):
    session, factors, mod, notu, base = running
    key = f"factor:{factors[0].pk}:minutes"
    mod.goto(f"{base}/totaaloverzicht/")
    minutes = field(notu, key)
    minutes.click()
    minutes.press_sequentially("De representant noemt als laatste de werkgevers.", delay=20)
    notu.wait_for_timeout(int(pause * 1000))
    mod.get_by_role("button", name="Sessie afsluiten").click()
    # The close waits for her save (or stores it after closing): either way it is there.
    expect(mod.get_by_text("De sessie is afgesloten.").first).to_be_visible(timeout=15000)
    expect(notu.locator("#session-closed")).to_be_visible(timeout=SYNC_TIMEOUT)
    all_saved(notu)
    assert SessionFactor.objects.get(pk=factors[0].pk).minutes == "De representant noemt als laatste de werkgevers."
    assert ScanSession.objects.get(pk=session.pk).status == "afgerond"
    # The moderator sees it in his (now read-only) screen.
    mod.goto(f"{base}/cockpit/?factor={factors[0].pk}")
    mod.locator("summary", has_text="Notulen bij deze succesfactor").click()
    expect(field(mod, key)).to_have_value("De representant noemt als laatste de werkgevers.")


def test_the_close_button_says_who_still_types_and_waits_for_her(running):
    session, factors, mod, notu, base = running
    general = f"session:{session.pk}:general_minutes"
    mod.goto(f"{base}/totaaloverzicht/")
    box = field(notu, general)
    box.click()
    # Her saves are held up (a slow line), so she still holds unsaved text when he closes.
    held = []
    notu.route("**/opslaan/", lambda route: held.append(route))
    box.press_sequentially("Afspraak: de volgende keer in Tiel.", delay=10)
    box.blur()
    notu.wait_for_timeout(500)
    mod.get_by_role("button", name="Sessie afsluiten").click()
    waiting = mod.locator(".closing-wait")
    expect(waiting).to_contain_text("Fatima (notulist) typt nog.")
    assert ScanSession.objects.get(pk=session.pk).status == "bezig"
    assert axe_violations(mod) == []
    # The line clears: her text arrives, and the close goes through by itself.
    for route in held:
        route.continue_()
    notu.unroute("**/opslaan/")
    expect(mod.get_by_text("De sessie is afgesloten.").first).to_be_visible(timeout=10000)
    assert ScanSession.objects.get(pk=session.pk).general_minutes == "Afspraak: de volgende keer in Tiel."


def test_text_that_arrives_after_closing_is_stored_and_the_notulist_sees_where_it_went(running):
    """Her screen could not report (the report is lost), so the close does not wait: her save
    comes in after closing and is stored all the same."""
    session, factors, mod, notu, base = running
    key = f"factor:{factors[0].pk}:minutes"
    notu.route("**/niet-opgeslagen/", lambda route: route.abort())
    mod.goto(f"{base}/totaaloverzicht/")
    minutes = field(notu, key)
    minutes.click()
    minutes.press_sequentially("Zin van na het afsluiten.", delay=10)
    mod.get_by_role("button", name="Sessie afsluiten").click()
    expect(mod.get_by_text("De sessie is afgesloten.").first).to_be_visible()
    expect(notu.locator("[data-late-note]").first).to_contain_text(
        f"is toch opgeslagen in: Notulen – {factors[0].title}", timeout=SYNC_TIMEOUT + 2000)
    all_saved(notu)
    assert SessionFactor.objects.get(pk=factors[0].pk).minutes == "Zin van na het afsluiten."
    entry = FieldRevision.objects.filter(field=key).latest("pk")
    assert entry.kind == RevisionKind.AFTER_CLOSE
    expect(notu.locator(f'[data-status-for="{key}"]')).to_contain_text("Na het afsluiten toch opgeslagen")


def test_an_idle_notulist_sees_the_closed_session_within_one_sync(running):
    session, factors, mod, notu, base = running
    key = f"factor:{factors[0].pk}:minutes"
    expect(notu.locator(".badge")).to_have_text("Bezig")
    mod.goto(f"{base}/totaaloverzicht/")
    mod.get_by_role("button", name="Sessie afsluiten").click()
    expect(mod.get_by_text("De sessie is afgesloten.").first).to_be_visible()
    closed = notu.locator("#session-closed")
    expect(closed).to_be_visible(timeout=SYNC_TIMEOUT)
    expect(closed).to_contain_text("De moderator heeft de sessie afgesloten")
    expect(closed.get_by_role("link", name="Naar het advies")).to_be_visible()
    expect(notu.locator(".badge")).to_have_text("Afgerond")
    expect(notu.locator(".tabs").get_by_role("link", name="Advies", exact=True)).to_be_visible()
    expect(field(notu, key)).to_have_js_property("readOnly", True)
    expect(notu.locator(".follow-bar")).to_be_hidden()
    expect(notu.locator("#factor-clock")).to_contain_text("Tijd besteed aan deze succesfactor",
                                                          timeout=SYNC_TIMEOUT)
    assert axe_violations(notu) == []
    # Reopened: her screen is editable again.
    mod.get_by_role("button", name="Sessie heropenen").click()
    expect(notu.locator(".badge")).to_have_text("Bezig", timeout=SYNC_TIMEOUT + 2000)
    expect(field(notu, key)).to_have_js_property("readOnly", False)


# --- Following the moderator -----------------------------------------------------------------

def test_the_screen_never_takes_the_field_she_is_in(running):
    session, factors, mod, notu, base = running
    first, second = factors[0], factors[1]
    minutes = field(notu, f"factor:{first.pk}:minutes")
    minutes.click()
    notu.wait_for_timeout(5000)  # sitting in the box, not typing
    mod.get_by_role("button", name=re.compile(second.title)).first.click()
    expect(mod.locator("#factor-title")).to_have_text(second.title)
    mod.get_by_label("Hier staan we nu: Gevorderd").check()
    notice = notu.locator("#follow-notice")
    expect(notice).to_contain_text(f"De moderator is bij ‘{second.title}’", timeout=SYNC_TIMEOUT)
    notu.wait_for_timeout(4000)
    expect(notu.locator("#factor-title")).to_have_text(first.title)
    expect(minutes).to_be_focused()
    # The navigation tells "where you are" from "where the moderator is".
    nav = notu.locator("#factor-nav")
    expect(nav.locator(f'[data-nav-factor="{first.pk}"] .you')).to_have_text("u bekijkt dit")
    expect(nav.locator(f'[data-nav-factor="{first.pk}"] .here')).to_be_hidden()
    expect(nav.locator(f'[data-nav-factor="{second.pk}"] .here')).to_be_visible()
    expect(nav.locator(f'[data-nav-factor="{second.pk}"] .you')).to_have_count(0)
    assert axe_violations(notu) == []
    sentence = "Wat zij nu typt, komt in haar eigen vak terecht."
    notu.keyboard.type(sentence)
    all_saved(notu)
    assert SessionFactor.objects.get(pk=first.pk).minutes == sentence
    # The notice stays in view while she scrolls.
    notu.mouse.wheel(0, 3000)
    notu.wait_for_timeout(300)
    box = notice.bounding_box()
    assert box is not None and 0 <= box["y"] < 900
    notu.get_by_role("button", name="Ga mee").click()
    expect(notu.locator("#factor-title")).to_have_text(second.title)
    expect(field(notu, f"factor:{second.pk}:minutes")).to_be_focused()


def test_typing_right_after_an_auto_follow_lands_in_the_new_factor(running):
    session, factors, mod, notu, base = running
    first, second = factors[0], factors[1]
    minutes = field(notu, f"factor:{first.pk}:minutes")
    minutes.click()
    minutes.press_sequentially("Bij de eerste factor.")
    notu.locator("#factor-title").click()  # she stops, clicks away: idle, nothing unsaved
    all_saved(notu)
    mod.get_by_role("button", name=re.compile(second.title)).first.click()
    expect(notu.locator("#factor-title")).to_have_text(second.title, timeout=FOLLOW_TIMEOUT)
    # Keyboard focus never stays on <body>: it is in the minutes now on her screen.
    expect(field(notu, f"factor:{second.pk}:minutes")).to_be_focused()
    sentence = "Direct na het volgen getypt, elk teken telt."
    notu.keyboard.type(sentence)
    all_saved(notu)
    assert SessionFactor.objects.get(pk=second.pk).minutes == sentence
    assert SessionFactor.objects.get(pk=first.pk).minutes == "Bij de eerste factor."
    assert "factor=" + str(second.pk) in notu.url


def test_the_notulist_follows_to_the_wrap_up_and_back(running):
    session, factors, mod, notu, base = running
    mod.goto(f"{base}/cockpit/?factor={factors[-1].pk}")
    mod.get_by_role("button", name="Tafel hierheen halen").click()
    expect(notu.locator("#factor-title")).to_have_text(factors[-1].title, timeout=FOLLOW_TIMEOUT)
    mod.locator(".pager").get_by_role("button", name="Naar het totaaloverzicht").click()
    expect(mod.get_by_role("heading", level=1)).to_have_text("Totaaloverzicht")
    expect(notu.get_by_role("heading", level=1)).to_have_text("Totaaloverzicht", timeout=FOLLOW_TIMEOUT)
    # The cursor arrives where her next keystroke belongs: her questions at the wrap-up.
    expect(field(notu, f"session:{session.pk}:wrap_up_notes")).to_be_focused()
    # The moderator takes the table back to a factor from the overview.
    mod.locator("#overview").get_by_role("button", name=factors[0].title).click()
    expect(mod.locator("#factor-title")).to_have_text(factors[0].title)
    expect(notu.locator("#factor-title")).to_have_text(factors[0].title, timeout=FOLLOW_TIMEOUT)


# --- Connection, merge, live updates -----------------------------------------------------------

def test_an_idle_notulist_offline_sees_the_banner_and_gets_what_she_missed(running, table):
    session, factors, mod, notu, base = running
    notu_context = table[3][1]
    first = factors[0]
    notu_context.set_offline(True)
    banner = notu.locator("#connection-banner")
    expect(banner).to_contain_text("Geen verbinding met de server sinds", timeout=5000)
    assert re.search(r"sinds \d\d:\d\d:\d\d", banner.inner_text())
    # Meanwhile the moderator scores and ticks a sub-question.
    mod.get_by_label("Hier staan we nu: Voldragen").check()
    mod.locator(f'[data-field="factor:{first.pk}:discussed"]').nth(1).check()
    all_saved(mod)
    notu.wait_for_timeout(6000)
    notu_context.set_offline(False)
    expect(banner).to_be_hidden(timeout=SYNC_TIMEOUT + 2000)
    summary = notu.locator("#factor-summary")
    expect(summary).to_contain_text("Voldragen", timeout=SYNC_TIMEOUT)
    expect(summary.locator(".subquestions li").nth(1)).to_have_class("is-discussed")


def test_ticked_sub_questions_appear_on_the_other_screen(running):
    session, factors, mod, notu, base = running
    first = factors[0]
    boxes = mod.locator(f'[data-field="factor:{first.pk}:discussed"]')
    boxes.nth(0).check()
    boxes.nth(2).check()
    items = notu.locator("#factor-summary .subquestions li")
    expect(items.nth(0)).to_have_class("is-discussed", timeout=SYNC_TIMEOUT)
    expect(items.nth(2)).to_have_class("is-discussed", timeout=SYNC_TIMEOUT)
    expect(items.nth(1)).not_to_have_class("is-discussed")
    boxes.nth(0).uncheck()
    expect(items.nth(0)).not_to_have_class("is-discussed", timeout=SYNC_TIMEOUT)
    # And back: the notulist ticks one in the cockpit; the moderator's box follows.
    notu.goto(f"{base}/cockpit/?factor={first.pk}")
    notu.locator(f'[data-field="factor:{first.pk}:discussed"]').nth(1).check()
    expect(boxes.nth(1)).to_be_checked(timeout=SYNC_TIMEOUT)


def test_a_three_way_merge_keeps_shared_text_once(running):
    session, factors, mod, notu, base = running
    first = factors[0]
    key = f"factor:{first.pk}:minutes"
    shared = "De representant vertelt over de doelgroep: jongeren zonder startkwalificatie in de regio."
    mod.locator("summary", has_text="Notulen bij deze succesfactor").click()
    field(mod, key).fill(shared)
    all_saved(mod)
    expect(field(notu, key)).to_have_value(shared, timeout=SYNC_TIMEOUT)
    expected = shared
    for round_ in (1, 2):
        # Both add a sentence to the same text; her save meets his.
        notu_field = field(notu, key)
        notu_field.click()
        mod_field = field(mod, key)
        mod_field.press("End")
        mod_field.press_sequentially(f" Moderator {round_}.")
        all_saved(mod)
        mod_field.blur()
        notu_field.press("End")
        notu_field.press_sequentially(f" Notulist {round_}.")
        panel = notu.locator(f'[data-conflict-for="{key}"]')
        expect(panel).to_be_visible(timeout=SYNC_TIMEOUT)
        expect(panel.locator('[data-slot="merged"]')).to_contain_text(f" Moderator {round_}. Notulist {round_}.")
        # Her text is on the server already, before she chooses.
        assert FieldRevision.objects.filter(field=key, kind=RevisionKind.CONFLICT).count() == round_
        if round_ == 1:
            assert axe_violations(notu) == []
        panel.get_by_role("button", name="Samengevoegde tekst opslaan").click()
        all_saved(notu)
        notu_field.blur()
        expected += f" Moderator {round_}. Notulist {round_}."
        expect(notu_field).to_have_value(expected)
        expect(field(mod, key)).to_have_value(expected, timeout=SYNC_TIMEOUT)
    stored = SessionFactor.objects.get(pk=first.pk).minutes
    assert stored == shared + " Moderator 1. Notulist 1. Moderator 2. Notulist 2."
    assert stored.count(shared) == 1
    expect(field(mod, key)).to_have_value(stored, timeout=SYNC_TIMEOUT)
