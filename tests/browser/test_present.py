"""A projector at the table: a browser without an account enters a present code and follows
the moderator's screen live, in large type, read-only."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from actiescan.models import SuccessFactor
from sessions import autosave, events, present, services
from sessions.models import Event, Initiative, SessionFactor

from ..helpers import plan_session
from .helpers import axe_violations, log_in

pytestmark = pytest.mark.django_db(transaction=True)

FOLLOW_TIMEOUT = 10000  # ms: a 2-second poll, then a fragment refresh; generous for a loaded CI machine


@pytest.fixture
def table(browser, live_server, moderator, notulist, initiative):
    session = plan_session(initiative, moderator, notulist)
    services.start_session(session=session, user=moderator)
    mod_context = browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
    # The projector: a full-HD screen, no login.
    screen_context = browser.new_context(locale="nl-NL", viewport={"width": 1920, "height": 1080})
    mod, screen = mod_context.new_page(), screen_context.new_page()
    log_in(mod, live_server, "jeroen")
    yield session, mod, screen
    mod_context.close()
    screen_context.close()


def test_the_projector_follows_the_moderator(table, live_server, moderator):
    session, mod, screen = table
    first, second, _third = session.factors.order_by("position")
    mod.goto(f"{live_server.url}/sessies/{session.pk}/cockpit/?factor={first.pk}")
    expect(mod.locator("#factor-title")).to_have_text(first.title)

    # The moderator makes a code on the session's present page.
    mod.goto(f"{live_server.url}/sessies/{session.pk}/scherm/")
    mod.get_by_role("button", name="Schermcode maken").click()
    shown = mod.locator(".present-code").first.inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", shown)

    # The projector laptop enters it on /scherm/.
    screen.goto(f"{live_server.url}/scherm/")
    screen.get_by_label("Schermcode").fill(shown.lower())
    screen.get_by_role("button", name="Scherm openen").click()
    expect(screen.locator("#present-title")).to_have_text(first.title)
    expect(screen.locator(".present-question")).to_contain_text(first.snapshot["main_question"])
    assert screen.locator("#main input, #main textarea, #main select").count() == 0
    # Large type: the factor's title is big enough to read from the back of the room.
    # (Waits for the stylesheet: right after the redirect the text can be there before the CSS.)
    screen.wait_for_function(
        "() => parseFloat(getComputedStyle(document.querySelector('#present-title')).fontSize) >= 48",
        timeout=5000,
    )

    # The moderator moves on and scores; the projector follows without a reload.
    mod.goto(f"{live_server.url}/sessies/{session.pk}/cockpit/?factor={first.pk}")
    mod.get_by_role("button", name=re.compile(second.title)).first.click()
    expect(mod.locator("#factor-title")).to_have_text(second.title)
    expect(screen.locator("#present-title")).to_have_text(second.title, timeout=FOLLOW_TIMEOUT)
    mod.get_by_label("Hier staan we nu: Gevorderd").check()
    mod.get_by_label("Hier willen we naartoe: Voldragen").check()
    expect(screen.locator(".present-level--gevorderd")).to_have_class(re.compile(r"\bis-current\b"),
                                                                       timeout=FOLLOW_TIMEOUT)
    expect(screen.locator(".present-level--voldragen")).to_have_class(re.compile(r"\bis-desired\b"),
                                                                       timeout=FOLLOW_TIMEOUT)
    expect(screen.locator(".present-level--voldragen .present-mark--desired")).to_have_text("Hier willen we naartoe")

    # Revoking the code closes the screen's access: it says so.
    code = session.present_codes.get()
    present.revoke_code(code=code)
    expect(screen.locator("#connection-banner")).to_contain_text("gesloten", timeout=FOLLOW_TIMEOUT)
    screen.reload()
    expect(screen).to_have_url(re.compile(r"/scherm/$"))


@pytest.mark.parametrize("width, height", [(1920, 1080), (1366, 768)])
def test_every_factor_fits_on_one_screen_without_scrolling(browser, live_server, moderator, notulist,
                                                             initiative, width, height):
    """A projector shows the whole factor: title, question, sub-questions and the three levels,
    before and after the table chose its levels, for each of the eight factors."""
    session = plan_session(initiative, moderator, notulist,
                           codes=list(SuccessFactor.objects.values_list("code", flat=True)))
    services.start_session(session=session, user=moderator)
    code = present.create_code(session=session, user=moderator)
    context = browser.new_context(locale="nl-NL", viewport={"width": width, "height": height})
    screen = context.new_page()
    screen.goto(f"{live_server.url}/scherm/")
    screen.get_by_label("Schermcode").fill(code.code)
    screen.get_by_role("button", name="Scherm openen").click()
    too_tall = []
    for levels in (("", ""), ("startend", "voldragen"), ("gevorderd", "gevorderd")):
        for sf in session.factors.order_by("position"):
            SessionFactor.objects.filter(pk=sf.pk).update(
                current_level=levels[0], desired_level=levels[1], discussed=[0, 1])
            services.set_current_factor(session=session, session_factor=sf)
            screen.goto(f"{live_server.url}/scherm/sessie/{session.pk}/")
            expect(screen.locator("#present-title")).to_have_text(sf.title)
            expect(screen.locator(".present-level")).to_have_count(3)
            height_used = screen.evaluate("document.documentElement.scrollHeight")
            if height_used > height:
                too_tall.append(f"{sf.title} {levels}: {height_used}px")
    context.close()
    assert not too_tall, f"scrolls at {width}x{height}: {too_tall}"


def test_the_qr_address_fills_in_the_code(browser, live_server, moderator, running_session):
    code = present.create_code(session=running_session, user=moderator)
    context = browser.new_context(locale="nl-NL", viewport={"width": 768, "height": 1024})
    tablet = context.new_page()
    tablet.goto(f"{live_server.url}/scherm/#{code.code}")
    expect(tablet.get_by_label("Schermcode")).to_have_value(code.code)
    # The code leaves the address bar (and the browser's history) at once.
    assert "#" not in tablet.url
    tablet.get_by_role("button", name="Scherm openen").click()
    expect(tablet.locator("#present-title")).to_have_text(
        running_session.factors.order_by("position").first().title)
    context.close()


def test_the_workshop_pages_pass_axe(browser, live_server, staff, moderator, notulist):
    """WCAG 2.1 A/AA on the new screens: the organiser's overview, reflection, casus, codes, and
    the projector's present screen."""
    case = Initiative.objects.create(
        name="Doorgroeipunt Zorg", is_case=True, sector="Zorg", region="Midden-Holland",
        description="## In het kort\n\nEen verzonnen initiatief.\n\n## Geld\n\nDe subsidie stopt.",
    )
    event = Event.objects.create(name="Werkbijeenkomst", starts_at=timezone.now(), location="Den Haag",
                                 organiser=staff)
    ids = list(SuccessFactor.objects.filter(code__in=["maatwerk", "digitale-tools"]).values_list("pk", flat=True))
    table = events.add_table(event=event, initiative=case, moderator=moderator, notulist=notulist,
                             location="Tafel 1", factor_ids=ids, language="nl", user=staff)
    events.add_table(event=event, initiative=case, moderator=moderator, notulist=notulist,
                     location="Tafel 2", factor_ids=[], language="nl", user=staff)
    services.start_session(session=table, user=moderator)
    first = table.factors.order_by("position").first()
    services.set_current_factor(session=table, session_factor=first)
    SessionFactor.objects.filter(pk=first.pk).update(current_level="startend", desired_level="gevorderd",
                                                     discussed=[0])
    code = present.create_code(session=table, user=moderator)

    contexts = [browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
                for _ in range(2)]
    organiser, projector = (context.new_page() for context in contexts)
    problems = []
    log_in(organiser, live_server, "sanne")
    for path in (f"/bijeenkomsten/{event.pk}/", "/bijeenkomsten/", "/bijeenkomsten/nieuw/",
                 f"/bijeenkomsten/{event.pk}/reflectie/", f"/sessies/{table.pk}/reflectie/",
                 f"/sessies/{table.pk}/scherm/", "/casus/", f"/casus/{case.pk}/"):
        organiser.goto(live_server.url + path)
        problems += axe_violations(organiser)
    projector.goto(f"{live_server.url}/scherm/")
    problems += axe_violations(projector)
    projector.get_by_label("Schermcode").fill(code.code)
    projector.get_by_role("button", name="Scherm openen").click()
    expect(projector.locator("#present-title")).to_have_text(first.title)
    problems += axe_violations(projector)
    projector.goto(f"{live_server.url}/scherm/sessie/{table.pk}/casus/")
    problems += axe_violations(projector)
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_organiser_sees_every_table_change_live(browser, live_server, staff, moderator, notulist, initiative):
    event = Event.objects.create(name="Werkbijeenkomst", starts_at=timezone.now(), organiser=staff)
    ids = list(SuccessFactor.objects.filter(code__in=["maatwerk", "digitale-tools"]).values_list("pk", flat=True))
    tables = [events.add_table(event=event, initiative=initiative, moderator=moderator, notulist=notulist,
                               location=f"Tafel {n}", factor_ids=ids, language="nl", user=staff)
              for n in (1, 2)]
    context = browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server, "sanne")
    page.goto(f"{live_server.url}/bijeenkomsten/{event.pk}/")
    second_row = page.locator(f"#table-{tables[1].pk}")
    expect(second_row).to_contain_text("Gepland")

    # Table 2 starts and its moderator opens the second factor: the overview follows by itself.
    services.start_session(session=tables[1], user=moderator)
    factor = tables[1].factors.order_by("position")[1]
    services.set_current_factor(session=tables[1], session_factor=factor)
    SessionFactor.objects.filter(pk=factor.pk).update(current_level="gevorderd")
    autosave.save_field(session=tables[1], key=f"factor:{factor.pk}:desired_level",
                        values=["voldragen"], version=None, user=moderator)
    expect(second_row).to_contain_text("Bezig", timeout=8000)
    expect(second_row.locator(".event-table__current")).to_contain_text(factor.title)
    expect(second_row.locator(".event-table__levels")).to_contain_text("Gevorderd → Voldragen")
    expect(page.locator(f"#table-{tables[0].pk}")).to_contain_text("Gepland")
    # The clock of a running table ticks in the browser.
    clock = second_row.locator(".event-table__time .event-timer")
    first_reading = clock.inner_text()
    page.wait_for_timeout(2100)
    assert clock.inner_text() != first_reading
    context.close()
