"""Accessibility (WCAG 2.1 AA): axe-core finds nothing on any page a scan session passes
through, and the moderator's cockpit works with the keyboard alone.

axe-core comes from the axe-playwright-python package (its bundled axe.min.js, no download);
it is injected through Playwright, so the page's own strict CSP stays on."""

import pytest
from playwright.sync_api import expect

from reports import services as advice_services
from sessions import present, services
from sessions.models import Participant, SessionFactor

from ..helpers import plan_session
from .helpers import all_saved, axe_violations, log_in

pytestmark = pytest.mark.django_db(transaction=True)

@pytest.fixture
def sessions_in_every_state(initiative, moderator, notulist):
    """A planned, a running and a closed session with a finalized, shared advice."""
    planned = plan_session(initiative, moderator, notulist)
    Participant.objects.create(session=planned, name="Marieke Janssen", organisation="Gemeente Tiel")
    running = plan_session(initiative, moderator, notulist)
    services.start_session(session=running, user=moderator)
    closed = plan_session(initiative, moderator, notulist)
    services.start_session(session=closed, user=moderator)
    for sf in closed.factors.all():
        SessionFactor.objects.filter(pk=sf.pk).update(current_level="startend", desired_level="gevorderd",
                                                      minutes="De tafel sprak over de doelgroep.")
        sf.action_points.update(text="Coaches inzetten", owner="Marieke", timeframe="voor 1 maart")
    services.close_session(session=closed, user=moderator)
    advice = advice_services.get_or_draft_advice(session=closed, user=notulist)
    version = advice_services.finalize(advice=advice, user=notulist)
    link = advice_services.create_share_link(version=version, user=moderator)
    return planned, running, closed, link


@pytest.fixture
def four_browsers(browser):
    """An anonymous reader, staff, moderator and notulist, each in their own browser context; a
    tuple of pages, so a failure leaves a screenshot of each (tests/browser/conftest.py)."""
    contexts = [browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
                for _ in range(4)]
    yield tuple(context.new_page() for context in contexts)
    for context in contexts:
        context.close()


def test_axe_finds_nothing_on_any_page_of_a_session(four_browsers, live_server, sessions_in_every_state, staff):
    planned, running, closed, link = sessions_in_every_state
    anonymous, office, mod, notu = four_browsers
    base = live_server.url
    found = []
    # What the browser says about the page's own headers (an unknown Permissions-Policy feature
    # is logged on every page); read by people who open the console to find a real problem.
    header_warnings = []
    for page in four_browsers:
        page.on("console", lambda m: "Permissions-Policy" in m.text and header_warnings.append(m.text))

    def check(page, url=None, *, wait_for=None):
        if url:
            page.goto(base + url)
            expect(page).to_have_url(base + url)
        if wait_for:
            expect(page.locator(wait_for).first).to_be_visible()
        found.extend(axe_violations(page))

    check(anonymous, "/inloggen/")
    anonymous.get_by_role("button", name="Inloggen").click()  # empty form: the error state
    check(anonymous, wait_for=".error-summary")
    check(anonymous, f"/deel/{link.token}/")
    check(anonymous, "/deel/" + "x" * 43 + "/")
    check(anonymous, "/bestaat-niet/")
    check(anonymous, "/privacyverklaring/")
    check(anonymous, "/toegankelijkheidsverklaring/")

    log_in(office, live_server, "sanne")
    check(office, "/")
    check(office, "/sessies/nieuw/")
    office.get_by_role("button", name="Sessie plannen").click()  # empty form: the errors
    check(office, wait_for=".error")
    check(office, f"/sessies/{planned.pk}/")
    check(office, f"/sessies/{closed.pk}/geschiedenis/")
    check(office, f"/sessies/{closed.pk}/logboek/")

    log_in(mod, live_server, "jeroen")
    check(mod, "/")
    check(mod, f"/sessies/{planned.pk}/cockpit/")
    check(mod, f"/sessies/{running.pk}/cockpit/")
    mod.get_by_label("Hier staan we nu: Gevorderd").check()
    mod.locator("summary", has_text="Notulen bij deze succesfactor").click()
    all_saved(mod)
    check(mod, wait_for='[data-state="saved"]')  # the save status filled in, details open
    check(mod, f"/sessies/{running.pk}/totaaloverzicht/")
    check(mod, f"/sessies/{closed.pk}/totaaloverzicht/")
    check(mod, f"/sessies/{closed.pk}/cockpit/")
    check(mod, f"/sessies/{closed.pk}/advies/")

    log_in(notu, live_server, "fatima")
    first = running.factors.order_by("position").first()
    key = f"session:{running.pk}:general_minutes"
    check(notu, f"/sessies/{running.pk}/notulist/?factor={first.pk}")
    # A draft based on an older version than the stored text: the conflict panel opens.
    SessionFactor.objects.filter(pk=first.pk).update(minutes="Opgeslagen door de moderator", minutes_version=3)
    notu.evaluate(
        "([k, v]) => localStorage.setItem(k, JSON.stringify({value: v, version: 1, ts: Date.now()}))",
        [f"actiescan:draft:{running.pk}:factor:{first.pk}:minutes", "Mijn tekst"])
    notu.reload()
    check(notu, wait_for=".conflict-panel")
    notu.get_by_role("button", name="Alleen mijn tekst").click()
    all_saved(notu)
    # Offline: the connection banner.
    notu.context.set_offline(True)
    notu.locator(f'[data-field="{key}"]').fill("Tijdens de storing")
    notu.locator(f'[data-field="{key}"]').blur()
    check(notu, wait_for="#connection-banner")
    notu.context.set_offline(False)
    notu.evaluate("window.dispatchEvent(new Event('online'))")
    all_saved(notu)
    check(notu, f"/sessies/{closed.pk}/advies/")
    check(notu, f"/sessies/{closed.pk}/advies/voorbeeld/")

    # The projector's present screen at a factor (a level chosen above), then at the wrap-up;
    # the moderator's code page with its QR code.
    check(mod, f"/scherm/sessie/{running.pk}/", wait_for=".present-level.is-current")
    services.open_wrap_up(session=running)
    check(mod, f"/scherm/sessie/{running.pk}/", wait_for=".present-chart")
    check(mod, f"/scherm/sessie/{closed.pk}/", wait_for=".present-chart")
    present.create_code(session=running, user=running.moderator)
    check(mod, f"/sessies/{running.pk}/scherm/", wait_for=".present-codes")
    # A new code with its QR code is shown once, as the answer to making it.
    mod.get_by_role("button", name="Schermcode maken").click()
    check(mod, wait_for=".present-codes__qr")
    assert not found, "\n".join(found)
    assert header_warnings == []


def test_the_cockpit_works_with_the_keyboard_alone(page, live_server, sessions_in_every_state):
    _, running, _, _ = sessions_in_every_state
    first = running.factors.order_by("position").first()
    log_in(page, live_server, "jeroen")
    page.goto(f"{live_server.url}/sessies/{running.pk}/cockpit/?factor={first.pk}")
    expect(page.locator("#factor-title")).to_have_text(first.title)

    # Every visible control, once per radio group (arrow keys move within a group).
    controls = page.evaluate("""() => {
        const seen = new Set(), ids = [];
        const all = document.querySelectorAll(
          'a[href], button, input, textarea, select, summary, [tabindex]:not([tabindex="-1"])');
        all.forEach((el, n) => {
          // Visible, enabled controls (closed <details> hide their content).
          if (el.disabled || !el.checkVisibility({visibilityProperty: true})) return;
          if (el.type === 'radio') { if (seen.has(el.name)) return; seen.add(el.name); }
          el.dataset.kbd = String(n);
          ids.push(String(n));
        });
        return ids;
    }""")
    assert len(controls) > 20

    reached, unfocusable_ring = [], []
    page.locator("body").focus()
    for _ in range(len(controls) + 40):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            const ringed = [el, el.closest('.choice, .check-row, .factor-option, .switch')]
              .filter(Boolean).some(x => {
                const s = getComputedStyle(x);
                return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                  || (s.boxShadow && s.boxShadow !== 'none');
              });
            return {id: el.dataset.kbd || '', ringed: ringed, what: el.outerHTML.slice(0, 120),
                    visible: el.matches(':focus-visible')};
        }""")
        if info is None:
            continue
        if info["id"]:
            reached.append(info["id"])
        if not (info["ringed"] and info["visible"]):
            unfocusable_ring.append(info["what"])
        if len(set(reached) & set(controls)) == len(controls):
            break
    missing = set(controls) - set(reached)
    assert not missing, page.evaluate(
        "ids => ids.map(i => document.querySelector(`[data-kbd='${i}']`).outerHTML.slice(0, 120))",
        sorted(missing))
    assert not unfocusable_ring, unfocusable_ring

    # Operate a level radio, a sub-question checkbox and a text field with the keyboard.
    current = page.get_by_label("Hier staan we nu: Startend")
    current.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")  # to the next card's "Hier staan we nu"
    expect(page.get_by_label("Hier staan we nu: Gevorderd")).to_be_checked()
    box = page.locator(f'[data-field="factor:{first.pk}:discussed"]').first
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    rationale = page.locator(f'[data-field="factor:{first.pk}:rationale"]')
    rationale.focus()
    page.keyboard.type("Met het toetsenbord getypt.")
    page.keyboard.press("Tab")
    all_saved(page)

    # The save status is announced: a live region that now says it was saved.
    status = page.locator(f'[data-status-for="factor:{first.pk}:rationale"]')
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_contain_text("Opgeslagen")
    level_status = page.locator(f'[data-status-for="factor:{first.pk}:current_level"]')
    expect(level_status).to_have_attribute("aria-live", "polite")
    expect(level_status).to_contain_text("Opgeslagen")
    first.refresh_from_db()
    assert first.current_level == "gevorderd"
    assert first.discussed == [0]
    assert first.rationale == "Met het toetsenbord getypt."

    # The skip link is the first stop and takes the focus to the content.
    page.goto(f"{live_server.url}/sessies/{running.pk}/cockpit/?factor={first.pk}")
    page.locator("body").focus()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Naar de inhoud")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_the_checker_itself_finds_problems(page):
    """Guards the test above: axe runs (the CSP does not block it) and reports what it finds."""
    page.set_content('<html><body><img src="x.png"><input type="text"><a href="#"></a>'
                     '<p class="grey">grijs</p></body></html>')
    found = axe_violations(page)
    assert {"image-alt", "label", "link-name"} <= {line.split(": ")[1].split(" ")[0] for line in found}, found


def test_axe_finds_nothing_on_the_inspiration_and_path_pages(four_browsers, live_server, sessions_in_every_state,
                                                            staff):
    """Issue 18: the inspiration list (fitting, all, no step), and the initiative's path over
    time on the initiative page and the staff overview (the running and the closed session
    are two sessions held)."""
    _planned, running, _closed, _link = sessions_in_every_state
    _anonymous, office, mod, _notu = four_browsers
    base = live_server.url
    first, second = running.factors.order_by("position")[:2]
    SessionFactor.objects.filter(pk=first.pk).update(current_level="startend", desired_level="voldragen")
    SessionFactor.objects.filter(pk=second.pk).update(current_level="voldragen", desired_level="gevorderd")
    found = []
    log_in(mod, live_server, "jeroen")
    for url in (f"/sessies/{running.pk}/factoren/{first.pk}/inspiratie/",
                f"/sessies/{running.pk}/factoren/{second.pk}/inspiratie/",
                f"/sessies/{running.pk}/factoren/{second.pk}/inspiratie/?alle=1",
                f"/initiatieven/{running.initiative_id}/"):
        mod.goto(base + url)
        found.extend(axe_violations(mod))
    expect(mod.locator(".level-path__chart").first).to_be_visible()
    log_in(office, live_server, "sanne")
    office.goto(f"{base}/overzicht/initiatieven/{running.initiative_id}/")
    expect(office.locator(".level-path__chart").first).to_be_visible()
    found.extend(axe_violations(office))
    assert not found, "\n".join(found)
