"""Issue 16, the cockpit: the moderator's work for one factor on one screen at 1366×768, the
notulist's minutes box above the fold on a tablet, and one save indicator per card that says
what went wrong (and what to do) when a save fails."""

import json

from playwright.sync_api import expect

from sessions.models import SessionFactor

from .helpers import all_saved, axe_violations, log_in

# Where an element is, relative to the viewport: top and bottom in px.
BOX = "(el) => { const r = el.getBoundingClientRect(); return [r.top, r.bottom]; }"


def page_at(browser, live_server, username, width, height):
    context = browser.new_context(locale="nl-NL", viewport={"width": width, "height": height})
    page = context.new_page()
    log_in(page, live_server, username)
    return context, page


def test_the_moderators_work_for_one_factor_fits_on_one_screen(browser, live_server, running_session):
    factor = running_session.factors.order_by("position").first()
    first, second = factor.action_points.order_by("position")
    context, page = page_at(browser, live_server, "jeroen", 1366, 768)
    page.goto(f"{live_server.url}/sessies/{running_session.pk}/cockpit/?factor={factor.pk}")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 1600, height  # was 2,956 px: about four screens
    # The level choice and the first action point are on the first screen as it opens …
    for key in (f"factor:{factor.pk}:current_level", f"action:{first.pk}:text"):
        top, bottom = page.locator(f'[data-field="{key}"]').first.evaluate(BOX)
        assert 0 <= top and bottom <= 768, (key, top, bottom)
    # … and with the factor panel scrolled to the top, everything the moderator records is.
    page.evaluate("() => window.scrollTo(0, document.querySelector('#factor-panel').getBoundingClientRect().top + scrollY)")
    keys = [f"factor:{factor.pk}:current_level", f"factor:{factor.pk}:desired_level", f"factor:{factor.pk}:rationale"]
    keys += [f"action:{a.pk}:{name}" for a in (first, second) for name in ("text", "owner", "timeframe")]
    for key in keys:
        for n in range(page.locator(f'[data-field="{key}"]').count()):
            control = page.locator(f'[data-field="{key}"]').nth(n)
            target = control if control.get_attribute("type") != "radio" else control.locator("xpath=..")
            top, bottom = target.evaluate(BOX)
            assert 0 <= top and bottom <= 768, (key, n, top, bottom)
    # The descriptors are one click away; the sub-questions are on the same screen.
    descriptors = page.locator(".level-descriptors")
    expect(descriptors.locator(".level-card").first).to_be_hidden()
    descriptors.locator("summary").click()
    expect(descriptors.locator(".level-card--startend")).to_be_visible()
    expect(page.locator(f'[data-field="factor:{factor.pk}:discussed"]').first).to_be_in_viewport()
    # The three tools built for this panel are there, closed.
    for selector in (".table-voices-peek", "details.inspiration", "details.minutes-peek"):
        expect(page.locator(selector)).to_have_count(1)
        assert page.locator(selector).evaluate("(d) => !d.open"), selector
    page.locator(".table-voices-peek summary").click()
    expect(page.locator("#table-voices")).to_contain_text("Wat denkt de tafel?")
    page.locator("details.inspiration summary").click()
    assert axe_violations(page) == []
    context.close()


def test_one_save_indicator_per_card(browser, live_server, running_session):
    factor = running_session.factors.order_by("position").first()
    first, second = factor.action_points.order_by("position")
    context, page = page_at(browser, live_server, "jeroen", 1366, 768)
    page.goto(f"{live_server.url}/sessies/{running_session.pk}/cockpit/?factor={factor.pk}")
    page.locator(f'[data-field="factor:{factor.pk}:discussed"]').first.check()
    page.get_by_label("Hier staan we nu: Gevorderd").check()
    page.get_by_label("Hier willen we naartoe: Voldragen").check()
    page.locator(f'[data-field="factor:{factor.pk}:rationale"]').fill("Werkgevers betalen mee.")
    for action, words in ((first, "Tien leerbedrijven bezoeken"), (second, "Een vaste bijdrage")):
        for name, value in (("text", words), ("owner", "coördinator"), ("timeframe", "voor 1 maart")):
            page.locator(f'[data-field="action:{action.pk}:{name}"]').fill(value)
    all_saved(page)
    visible = page.locator(".save-status:visible, [data-card-status]:visible", has_text="Opgeslagen")
    expect(visible).to_have_count(4)  # sub-questions, level, two action points (was 11)
    card = page.locator(".action-point").nth(0).locator("[data-card-status]")
    expect(card).to_contain_text("Opgeslagen")
    expect(card).to_have_attribute("aria-live", "polite")
    # Each field's own line still describes it (aria-describedby), hidden in the card.
    status = page.locator(f'[data-status-for="action:{first.pk}:owner"]')
    expect(status).to_contain_text("Opgeslagen")
    expect(status).to_be_hidden()
    factor.refresh_from_db()
    assert (factor.current_level, factor.desired_level, factor.discussed) == ("gevorderd", "voldragen", [0])
    context.close()


def test_a_failed_save_shows_its_detail_in_the_card_and_loses_nothing(browser, live_server, running_session):
    factor = running_session.factors.order_by("position").first()
    first, second = factor.action_points.order_by("position")
    context, page = page_at(browser, live_server, "jeroen", 1366, 768)
    page.goto(f"{live_server.url}/sessies/{running_session.pk}/cockpit/?factor={factor.pk}")
    save_url = f"{live_server.url}/sessies/{running_session.pk}/opslaan/"

    def refuse(route):
        route.fulfill(status=400, content_type="application/json",
                      body=json.dumps({"error": "invalid", "message": "Deze tekst is te lang."}))

    page.route(save_url, refuse)
    page.locator(f'[data-field="action:{first.pk}:owner"]').fill("de projectleider")
    card = page.locator(".action-point").nth(0).locator("[data-card-status]")
    expect(card).to_have_attribute("data-state", "error")
    expect(card).to_contain_text("Niet opgeslagen: Trekker.")
    expect(card).to_contain_text("Deze tekst is te lang.")
    expect(card).to_contain_text("Pas de tekst aan")
    expect(card).to_be_in_viewport()
    expect(page.locator(".action-point").nth(1).locator("[data-card-status]")).not_to_have_attribute("data-state", "error")
    assert axe_violations(page) == []
    # The server answers again: "Opnieuw proberen" in the card saves what was typed.
    page.unroute(save_url)
    card.get_by_role("button", name="Opnieuw proberen").click()
    expect(card).to_have_attribute("data-state", "saved")
    expect(card).to_contain_text("Opgeslagen")
    all_saved(page)
    first.refresh_from_db()
    assert first.owner == "de projectleider"

    # A server that does not answer: the card says the text is safe and is tried again by itself.
    page.route(save_url, lambda route: route.fulfill(status=503, body="down"))
    page.locator(f'[data-field="action:{second.pk}:text"]').fill("Een vaste bijdrage per deelnemer")
    card = page.locator(".action-point").nth(1).locator("[data-card-status]")
    expect(card).to_contain_text("Niet opgeslagen: Wat gaat het initiatief doen?")
    expect(card).to_contain_text("vanzelf opnieuw geprobeerd")
    page.unroute(save_url)
    expect(card).to_have_attribute("data-state", "saved", timeout=10000)
    all_saved(page)
    second.refresh_from_db()
    assert second.text == "Een vaste bijdrage per deelnemer"
    context.close()


def test_the_notulists_minutes_box_is_above_the_fold_on_a_tablet(browser, live_server, running_session):
    factor = running_session.factors.order_by("position").first()
    context, page = page_at(browser, live_server, "fatima", 768, 1024)
    page.goto(f"{live_server.url}/sessies/{running_session.pk}/notulist/")
    box = page.locator(f'#live-body [data-field="factor:{factor.pk}:minutes"]')
    top, bottom = box.evaluate(BOX)
    assert 0 <= top and bottom <= 1024, (top, bottom)
    box.click()
    page.keyboard.type("De tafel noemt het fonds.")
    all_saved(page)
    assert SessionFactor.objects.get(pk=factor.pk).minutes == "De tafel noemt het fonds."
    assert axe_violations(page) == []
    context.close()


def test_the_wrap_up_has_the_phones_marks_closed(browser, live_server, running_session):
    context, page = page_at(browser, live_server, "jeroen", 1366, 768)
    page.goto(f"{live_server.url}/sessies/{running_session.pk}/totaaloverzicht/")
    spreads = page.locator("details.wrap-up-spreads")
    expect(spreads).to_have_count(1)
    assert spreads.evaluate("(d) => !d.open")
    expect(page.locator("#mark-spreads")).to_have_count(1)
    assert axe_violations(page) == []
    context.close()
