"""What a real table relies on, in real browsers against the app as production serves it
(granian, ASGI, DEBUG off, hashed static files): changes are pushed over the stream (the pages
never fall back to the poll), the navigation and the completeness follow on both screens, the
notulist can type through everything the moderator does, small and large screens work the
same, and a moderator without a notulist runs a whole session alone.

Timings are measured from the moment the acting screen had its change saved (or, for a choice,
from the click) until the other screen shows it, and printed (run with -s to see them)."""

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import expect

from sessions import autosave, services
from sessions.models import ScanSession, SessionFactor

from ..helpers import app_server, login_session_key, plan_session
from .helpers import all_saved

pytestmark = pytest.mark.django_db(transaction=True)

# How long expect() waits at most. The times are reported, not asserted: how fast a change shows
# is a speed goal, measured in bench/ (load.py, no_loss.py) on a machine that is not also running
# the test suite; here it must show, and by the pushed stream (no poll), not within a deadline.
EXPECT_MS = 8000
_STAGING = Path("/work/staging/scenario")
SCREENSHOTS = _STAGING if _STAGING.is_dir() else Path(__file__).resolve().parents[2] / "test-artifacts"


def _hashed_storage():
    """Production's hashed static files (the ES modules' imports rewritten to the hashed names),
    without whitenoise's gzip/brotli copies: the same names and manifest, collected in seconds
    instead of minutes. granian serves them as in production (scripts/serve)."""
    from django.contrib.staticfiles.storage import ManifestStaticFilesStorage

    class Storage(ManifestStaticFilesStorage):
        support_js_module_import_aggregation = True

    return Storage


HashedManifest = _hashed_storage()


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory, django_db_blocker):
    root = tmp_path_factory.mktemp("static")
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": f"{__name__}.HashedManifest"}}
    with override_settings(STATIC_ROOT=str(root), STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


class Screen:
    """One person's browser page, with what it asked the server and what went wrong in it."""

    def __init__(self, page):
        self.page = page
        self.requests = []  # (method, url, is an htmx request)
        self.errors = []  # console errors and uncaught exceptions
        self.stream_ready = 0  # answers of /stream/ that were event streams
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text} {m.location}"))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def _request(self, request):
        self.requests.append((request.method, request.url, request.headers.get("hx-request") == "true"))

    def _response(self, response):
        if "/stream/" in response.url and response.status == 200 \
                and "text/event-stream" in (response.headers.get("content-type") or ""):
            self.stream_ready += 1
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status} {response.request.method} {response.url}")

    def polls(self):
        return [url for _, url, _ in self.requests if "/sync/" in url]

    def fragment_gets(self):
        """htmx GETs of parts of the page (refreshes), not the stream, the poll or the table's
        input panel (it asks on a timer of its own, sessions/views/table.py)."""
        return [url for method, url, hx in self.requests
                if method == "GET" and hx and "/stream/" not in url and "/sync/" not in url
                and "/tafel/" not in url]

    def wait_streaming(self):
        deadline = time.monotonic() + 15
        while not self.stream_ready:
            assert time.monotonic() < deadline, f"no event stream opened: {self.requests}"
            self.page.wait_for_timeout(100)


@pytest.fixture
def production(request, browser, tmp_path, collected_static):
    """The app as production serves it, and a function that opens a logged-in screen per
    (user, viewport, is a phone): (url, open_screens). A failed test leaves a picture of each
    screen in /work/staging/scenario/ (or test-artifacts/)."""
    (tmp_path / "no-static").symlink_to(collected_static)  # app_server's STATIC_ROOT
    screens = []
    failed_before = request.session.testsfailed
    with app_server(tmp_path) as url:
        def open_screens(*people):
            opened = []
            for user, viewport, mobile in people:
                context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam",
                                              viewport=viewport, is_mobile=mobile, has_touch=mobile)
                context.add_cookies([{"name": "sessionid", "value": login_session_key(user), "url": url}])
                opened.append(Screen(context.new_page()))
            screens.extend(opened)
            return opened
        yield url, open_screens
        if request.session.testsfailed > failed_before:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            for n, screen in enumerate(screens):
                try:
                    screen.page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{n}.png"), full_page=True)
                except Exception:  # noqa: BLE001 - a picture must never hide the failure
                    pass
        for screen in screens:
            screen.page.context.close()


LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}


def field(page, key):
    return page.locator(f'[data-field="{key}"]')


def nav_item(page, sf):
    return page.locator(f'#factor-nav [data-nav-factor="{sf.pk}"]')


def seen_after(start, locator, check, **kwargs):
    """Seconds from `start` until `check` (an expect assertion name) holds for `locator`."""
    getattr(expect(locator), check)(**kwargs, timeout=EXPECT_MS)
    return round(time.monotonic() - start, 3)


def report(name, **numbers):
    print(f"\n[table-scenario] {name}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))


@pytest.fixture
def running_session(moderator, notulist, initiative):
    session = plan_session(initiative, moderator, notulist)
    services.start_session(session=session, user=moderator)
    session.refresh_from_db()
    return session, list(session.factors.order_by("position"))


def cockpit_at(open_screens, url, session, session_factor, moderator):
    """The moderator's cockpit at a factor, its stream open: (screen, page)."""
    (screen,) = open_screens((moderator, LAPTOP, False))
    screen.page.goto(f"{url}/sessies/{session.pk}/cockpit/?factor={session_factor.pk}")
    screen.wait_streaming()
    return screen, screen.page


def on_first_refresh(page, answer):
    """`answer(route)` answers the cockpit's first htmx refresh; every other request goes
    through. Returns the list of refreshes it answered (one at most)."""
    answered = []

    def route_it(route):
        request = route.request
        if answered or request.method != "GET" or request.headers.get("hx-request") != "true":
            route.continue_()
            return
        answered.append(request.url)
        answer(route)

    page.route("**/cockpit/?factor=*", route_it)
    return answered


# --- 1. Completeness follows on both screens, and the cockpit does not refresh for every word ---

def test_level_and_action_points_make_the_factor_complete_on_both_screens(production, running_session, moderator, notulist):
    url, open_screens = production
    session, factors = running_session
    first = factors[0]
    one, two = first.action_points.order_by("position")
    mod_s, notu_s = open_screens((moderator, LAPTOP, False), (notulist, LAPTOP, False))
    mod, notu = mod_s.page, notu_s.page
    mod.goto(f"{url}/sessies/{session.pk}/cockpit/?factor={first.pk}")
    notu.goto(f"{url}/sessies/{session.pk}/notulist/?factor={first.pk}")
    mod_s.wait_streaming()
    notu_s.wait_streaming()
    expect(nav_item(notu, first)).to_contain_text("Nog geen niveau")
    expect(mod.locator("#factor-status")).to_contain_text("Nog nodig")

    # Action point 1 gets its text first: not complete yet (no level, action point 2 empty).
    field(mod, f"action:{one.pk}:text").fill("Werkgevers uitnodigen voor een ronde tafel")
    all_saved(mod)

    # He chooses the current level: her navigation shows it within a second.
    clicked = time.monotonic()
    mod.get_by_label("Hier staan we nu: Gevorderd").check()
    level_seen = seen_after(clicked, nav_item(notu, first), "to_contain_text", expected="Gevorderd")
    expect(nav_item(notu, first).locator(".factor-nav__link")).not_to_have_class("is-complete")
    expect(mod.locator("#factor-status")).to_contain_text("actiepunt 2")

    # Action point 2 gets its text: complete on her screen and on his own.
    field(mod, f"action:{two.pk}:text").fill("Een loopbaancoach per sector")
    all_saved(mod)
    saved = time.monotonic()
    complete_notu = seen_after(saved, nav_item(notu, first).locator(".factor-nav__link"), "to_have_class",
                               expected="factor-nav__link is-complete")
    complete_mod_status = seen_after(saved, mod.locator("#factor-status"), "to_contain_text", expected="compleet")
    complete_mod_nav = seen_after(saved, nav_item(mod, first).locator(".factor-nav__link"), "to_have_class",
                                  expected="factor-nav__link is-complete")
    expect(nav_item(notu, first)).to_contain_text("klaar")
    expect(nav_item(mod, first)).to_contain_text("klaar")
    expect(notu.locator("#factor-nav .factor-nav__progress")).to_contain_text("1 van 3")
    expect(mod.locator("#factor-nav .factor-nav__progress")).to_contain_text("1 van 3")

    # N more saves of action point 2's text (it stays filled): count the refreshes each screen makes.
    saves = 8
    mod_before, notu_before = len(mod_s.fragment_gets()), len(notu_s.fragment_gets())
    box = field(mod, f"action:{two.pk}:text")
    box.click()
    box.press("End")
    for n in range(saves):
        box.press_sequentially(f" stap{n}", delay=20)
        all_saved(mod)
    expect(notu.locator("#factor-summary")).to_contain_text(f"stap{saves - 1}", timeout=EXPECT_MS)
    notu.wait_for_timeout(500)  # any refresh still under way is counted too
    mod_gets = len(mod_s.fragment_gets()) - mod_before
    notu_gets = len(notu_s.fragment_gets()) - notu_before
    assert mod_gets <= 1, mod_s.fragment_gets()[mod_before:]
    # One per save, and now and then one more: a save that lands while her refresh is under way
    # is asked for again once it settled (sync.js), so that it is not lost.
    assert notu_gets <= saves + 3, notu_s.fragment_gets()[notu_before:]

    # He empties action point 1: both screens show the factor incomplete again.
    box.blur()
    field(mod, f"action:{one.pk}:text").fill("")
    all_saved(mod)
    emptied = time.monotonic()
    incomplete_notu = seen_after(emptied, nav_item(notu, first).locator(".factor-nav__link"), "not_to_have_class",
                                 expected="factor-nav__link is-complete")
    incomplete_mod = seen_after(emptied, mod.locator("#factor-status"), "to_contain_text", expected="actiepunt 1")
    expect(nav_item(mod, first).locator(".factor-nav__link")).not_to_have_class("factor-nav__link is-complete")
    expect(nav_item(notu, first)).not_to_contain_text("klaar")
    expect(notu.locator("#factor-nav .factor-nav__progress")).to_contain_text("0 van 3")
    expect(notu.locator("#factor-summary")).to_contain_text("Actiepunt 1: nog leeg")

    # And filled again: complete again (the cockpit noticed the empty → filled turn).
    field(mod, f"action:{one.pk}:text").fill("Werkgevers uitnodigen")
    all_saved(mod)
    refilled = time.monotonic()
    complete_again_mod = seen_after(refilled, mod.locator("#factor-status"), "to_contain_text", expected="compleet")
    complete_again_notu = seen_after(refilled, nav_item(notu, first).locator(".factor-nav__link"), "to_have_class",
                                     expected="factor-nav__link is-complete")

    report("completeness", level_on_notulist_nav_s=level_seen, complete_notulist_nav_s=complete_notu,
           complete_cockpit_status_s=complete_mod_status, complete_cockpit_nav_s=complete_mod_nav,
           incomplete_notulist_nav_s=incomplete_notu, incomplete_cockpit_status_s=incomplete_mod,
           complete_again_cockpit_s=complete_again_mod, complete_again_notulist_s=complete_again_notu,
           action_text_saves=saves, cockpit_fragment_gets=mod_gets, notulist_fragment_gets=notu_gets)
    for screen in (mod_s, notu_s):
        assert screen.polls() == [], "the page fell back to polling"
        assert screen.errors == []


# --- 2. The notulist mid-sentence while the moderator works -------------------------------------

CARET = """(key) => {
  const el = document.querySelector(`[data-field="${key}"]`);
  const a = document.activeElement;
  return {value: el.value, start: el.selectionStart, end: el.selectionEnd, focused: a === el,
          same: !!el.__scenarioMarker, blurs: window.__scenarioBlurs || 0};
}"""
MARK = """(key) => {
  const el = document.querySelector(`[data-field="${key}"]`);
  el.__scenarioMarker = true;
  window.__scenarioBlurs = 0;
  el.addEventListener("blur", () => { window.__scenarioBlurs += 1; });
}"""


def test_the_notulist_types_on_mid_sentence_while_the_moderator_works(production, running_session, moderator, notulist):
    url, open_screens = production
    session, factors = running_session
    first = factors[0]
    key = f"factor:{first.pk}:minutes"
    mod_s, notu_s = open_screens((moderator, LAPTOP, False), (notulist, LAPTOP, False))
    mod, notu = mod_s.page, notu_s.page
    mod.goto(f"{url}/sessies/{session.pk}/cockpit/?factor={first.pk}")
    notu.goto(f"{url}/sessies/{session.pk}/notulist/?factor={first.pk}")
    mod_s.wait_streaming()
    notu_s.wait_streaming()
    mod.locator("summary", has_text="Notulen bij deze succesfactor").click()

    # She has written two sentences and goes back into the middle to add to the first.
    minutes = field(notu, key)
    minutes.click()
    opening, closing = "Opening door de voorzitter.", " Afspraken volgen later."
    minutes.press_sequentially(opening + closing, delay=10)
    all_saved(notu)
    for _ in closing:
        minutes.press("ArrowLeft")
    notu.evaluate(MARK, key)
    caret = len(opening)

    rationale = field(mod, f"factor:{first.pk}:rationale")
    moves = [
        lambda: mod.get_by_label("Hier staan we nu: Gevorderd").check(),
        lambda: field(mod, f"factor:{first.pk}:discussed").nth(0).check(),
        lambda: rationale.click(),
        lambda: rationale.press_sequentially("Er is al een loket ", delay=15),
        lambda: rationale.press_sequentially("maar werkgevers ", delay=15),
        lambda: mod.get_by_label("Hier willen we naartoe: Voldragen").check(),
        lambda: field(mod, f"factor:{first.pk}:discussed").nth(2).check(),
        lambda: rationale.press_sequentially("doen nog weinig mee.", delay=15),
        lambda: mod.get_by_label("Hier staan we nu: Startend").check(),
    ]
    chunks = [" Zij noemt het loket", " in Tiel, dat sinds", " vorig jaar open is;", " de werkgevers komen",
              " nog weinig, zegt", " de representant,", " maar de gemeente", " wil meer doen", " met scholing.",
              " (Fatima)"]
    typed = ""
    problems = []
    for n, chunk in enumerate(chunks):
        notu.keyboard.type(chunk, delay=30)  # her keystrokes, into the field with her caret
        typed += chunk
        state = notu.evaluate(CARET, key)
        expected = opening + typed + closing
        where = caret + len(typed)
        if not (state["value"] == expected and state["start"] == state["end"] == where
                and state["focused"] and state["same"] and state["blurs"] == 0):
            problems.append({"after": chunk, "expected_caret": where, **state})
        if n < len(moves):
            moves[n]()  # meanwhile the moderator does the next thing
    all_saved(notu)
    all_saved(mod)
    final = opening + typed + closing
    assert problems == [], problems

    # Every character is stored, and both screens show the stored text.
    assert SessionFactor.objects.get(pk=first.pk).minutes == final
    expect(field(notu, key)).to_have_value(final)
    expect(field(mod, key)).to_have_value(final, timeout=EXPECT_MS)
    # Her screen shows what he did meanwhile.
    stored = SessionFactor.objects.get(pk=first.pk)
    assert (stored.current_level, stored.desired_level) == ("startend", "voldragen")
    assert stored.rationale == "Er is al een loket maar werkgevers doen nog weinig mee."
    assert sorted(map(str, stored.discussed)) == ["0", "2"]
    summary = notu.locator("#factor-summary")
    expect(summary).to_contain_text("Startend", timeout=EXPECT_MS)
    expect(summary).to_contain_text("Voldragen")
    expect(summary).to_contain_text("doen nog weinig mee.")
    expect(summary.locator("li.is-discussed")).to_have_count(2)
    expect(nav_item(notu, first)).to_contain_text("Startend → Voldragen")
    state = notu.evaluate(CARET, key)
    assert state["focused"] and state["blurs"] == 0, state
    report("mid-sentence", characters_typed=len(typed), moderator_moves=len(moves))
    for screen in (mod_s, notu_s):
        assert screen.polls() == [], "the page fell back to polling"
        assert screen.errors == []


# --- 3. A phone-size notulist and a projector-size moderator ------------------------------------

def test_a_phone_sized_notulist_and_a_projector_sized_moderator(production, running_session, moderator, notulist):
    url, open_screens = production
    session, factors = running_session
    first = factors[0]
    one, two = first.action_points.order_by("position")
    mod_s, notu_s = open_screens((moderator, PROJECTOR, False), (notulist, PHONE, True))
    mod, phone = mod_s.page, notu_s.page
    mod.goto(f"{url}/sessies/{session.pk}/cockpit/?factor={first.pk}")
    phone.goto(f"{url}/sessies/{session.pk}/notulist/?factor={first.pk}")
    mod_s.wait_streaming()
    notu_s.wait_streaming()
    # The phone shows the page without sideways scrolling, with the navigation and her field.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(nav_item(phone, first)).to_be_visible()
    expect(field(phone, f"factor:{first.pk}:minutes")).to_be_visible()

    clicked = time.monotonic()
    mod.get_by_label("Hier staan we nu: Voldragen").check()
    level_seen = seen_after(clicked, nav_item(phone, first), "to_contain_text", expected="Voldragen")
    summary_seen = seen_after(clicked, phone.locator("#factor-summary"), "to_contain_text", expected="Voldragen")

    field(mod, f"action:{one.pk}:text").fill("Een vast aanspreekpunt")
    field(mod, f"action:{two.pk}:text").fill("Een scholingsbudget")
    all_saved(mod)
    saved = time.monotonic()
    complete_seen = seen_after(saved, nav_item(phone, first).locator(".factor-nav__link"), "to_have_class",
                               expected="factor-nav__link is-complete")
    expect(mod.locator("#factor-status")).to_contain_text("compleet")

    # She taps her field on the phone and types; the projector shows it.
    box = field(phone, f"factor:{first.pk}:minutes")
    box.tap()
    box.press_sequentially("Getypt op de telefoon.", delay=20)
    all_saved(phone)
    saved = time.monotonic()
    mod.locator("summary", has_text="Notulen bij deze succesfactor").click()
    minutes_seen = seen_after(saved, field(mod, f"factor:{first.pk}:minutes"), "to_have_value",
                              value="Getypt op de telefoon.")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    report("phone and projector", level_on_phone_nav_s=level_seen, level_in_phone_summary_s=summary_seen,
           complete_on_phone_nav_s=complete_seen, phone_minutes_on_projector_s=minutes_seen)
    for screen in (mod_s, notu_s):
        assert screen.polls() == [], "the page fell back to polling"
        assert screen.errors == []


# --- 4. A session without a notulist ------------------------------------------------------------

def test_a_moderator_without_a_notulist_runs_the_whole_session_alone(production, moderator, initiative):
    url, open_screens = production
    session = plan_session(initiative, moderator, None)
    assert session.notulist is None
    factors = list(session.factors.order_by("position"))
    (mod_s,) = open_screens((moderator, LAPTOP, False))
    mod = mod_s.page
    # He finds the session in his list (no notulist: "–") and opens it.
    mod.goto(f"{url}/sessies/")
    row = mod.locator("tr", has_text=initiative.name)
    expect(row).to_contain_text("–")
    row.get_by_role("link", name=initiative.name).click()
    expect(mod.get_by_role("heading", level=1)).to_have_text("Voorbereiding")
    expect(mod.locator("main")).to_contain_text(initiative.name)
    mod.get_by_role("button", name="Sessie starten").first.click()
    expect(mod.locator("#factor-title")).to_have_text(factors[0].title)
    mod_s.wait_streaming()
    streams_opened = mod_s.stream_ready

    for n, sf in enumerate(factors):
        one, two = sf.action_points.order_by("position")
        mod.get_by_label("Hier staan we nu: Gevorderd").check()
        mod.get_by_label("Hier willen we naartoe: Voldragen").check()
        field(mod, f"factor:{sf.pk}:rationale").fill(f"Toelichting bij {sf.title}")
        field(mod, f"action:{one.pk}:text").fill(f"Eerste stap {n + 1}")
        field(mod, f"action:{two.pk}:text").fill(f"Tweede stap {n + 1}")
        # The minutes are one click away; the box may still be open from the factor before.
        peek = mod.locator("details.minutes-peek")
        if peek.get_attribute("open") is None:
            peek.locator("summary").click()
        expect(field(mod, f"factor:{sf.pk}:minutes")).to_be_visible()
        field(mod, f"factor:{sf.pk}:minutes").fill(f"Zelf genoteerd bij {sf.title}")
        all_saved(mod)
        expect(mod.locator("#factor-status")).to_contain_text("compleet")
        expect(nav_item(mod, sf).locator(".factor-nav__link")).to_have_class("factor-nav__link is-complete")
        if n + 1 < len(factors):
            mod.locator("#pager-next").click()
            expect(mod.locator("#factor-title")).to_have_text(factors[n + 1].title)
    expect(mod.locator("#factor-nav .factor-nav__progress")).to_contain_text("3 van 3")

    mod.locator("#nav-wrap-up").click()
    expect(mod.get_by_role("heading", level=1)).to_have_text("Totaaloverzicht")
    overview = mod.locator("#overview")
    for n, _ in enumerate(factors):
        expect(overview).to_contain_text(f"Tweede stap {n + 1}")
    mod_s.wait_streaming()
    mod.get_by_role("button", name="Sessie afsluiten").click()
    expect(mod.get_by_text("De sessie is afgesloten.").first).to_be_visible(timeout=EXPECT_MS)

    session.refresh_from_db()
    assert session.status == "afgerond"
    for n, sf in enumerate(SessionFactor.objects.filter(session=session).order_by("position")):
        assert (sf.current_level, sf.desired_level) == ("gevorderd", "voldragen")
        assert sf.minutes == f"Zelf genoteerd bij {sf.title}"
        assert [a.text for a in sf.action_points.order_by("position")] == [f"Eerste stap {n + 1}", f"Tweede stap {n + 1}"]
    assert ScanSession.objects.get(pk=session.pk).notulist is None
    report("alone", streams_opened=mod_s.stream_ready, console_errors=len(mod_s.errors))
    assert streams_opened >= 1
    assert mod_s.polls() == [], "the page fell back to polling"
    assert mod_s.errors == []


# --- 5. A change that arrives while a screen is refreshing is not lost ---------------------------

def test_a_change_during_a_refresh_still_reaches_the_status_and_the_navigation(production, running_session, moderator, notulist):
    """A slow line: the cockpit's refresh after his own change is under way when her change
    (action point 2, from her own tab) is pushed. The cockpit ends on the newest state, not on
    the answer that left before her change."""
    url, open_screens = production
    session, factors = running_session
    first = factors[0]
    one, two = first.action_points.order_by("position")
    autosave.save_field(session=session, key=f"factor:{first.pk}:current_level", values=["gevorderd"],
                        version=None, user=moderator)
    autosave.save_field(session=session, key=f"action:{one.pk}:text", values=["Werkgevers uitnodigen"],
                        version=0, user=moderator)
    mod_s, mod = cockpit_at(open_screens, url, session, first, moderator)
    expect(mod.locator("#factor-status")).to_contain_text("actiepunt 2")
    held = []

    def slow(route):
        answer = route.fetch()  # rendered now: action point 2 still empty
        held.append(answer.status)
        # Meanwhile she fills action point 2 in her own tab; its push reaches his screen
        # while this answer is still on the (slow) line.
        autosave.save_field(session=ScanSession.objects.get(pk=session.pk), key=f"action:{two.pk}:text",
                            values=["Een loopbaancoach"], version=0, user=notulist)
        time.sleep(1.5)  # the slow line (the browser goes on meanwhile)
        route.fulfill(response=answer)

    on_first_refresh(mod, slow)
    mod.get_by_label("Hier willen we naartoe: Voldragen").check()
    expect(mod.locator("#factor-status")).to_contain_text("compleet", timeout=EXPECT_MS)
    expect(nav_item(mod, first).locator(".factor-nav__link")).to_have_class("factor-nav__link is-complete")
    expect(nav_item(mod, first)).to_contain_text("Gevorderd → Voldragen")
    expect(field(mod, f"action:{two.pk}:text")).to_have_value("Een loopbaancoach")
    assert held == [200]
    assert mod_s.polls() == [], "the page fell back to polling"
    assert mod_s.errors == []


# --- 6. A refresh that fails is asked again --------------------------------------------------------

@pytest.mark.parametrize("failure", ["busy", "dropped"])
def test_a_refresh_that_fails_is_asked_again(production, running_session, moderator, failure):
    """The server is busy (503 from a proxy) or the line drops just when the cockpit fetches its
    status after a change: the status and navigation still reach the newest state."""
    url, open_screens = production
    session, factors = running_session
    first = factors[0]
    one, two = first.action_points.order_by("position")
    for action, text in ((one, "Werkgevers uitnodigen"), (two, "Een loopbaancoach")):
        autosave.save_field(session=session, key=f"action:{action.pk}:text", values=[text],
                            version=0, user=moderator)
    mod_s, mod = cockpit_at(open_screens, url, session, first, moderator)
    expect(mod.locator("#factor-status")).not_to_contain_text("compleet")

    def fail(route):
        if failure == "busy":
            route.fulfill(status=503, body="Even geduld")
        else:
            route.abort("connectionreset")

    failed = on_first_refresh(mod, fail)
    mod.get_by_label("Hier staan we nu: Gevorderd").check()
    expect(mod.locator("#factor-status")).to_contain_text("compleet", timeout=EXPECT_MS)
    expect(nav_item(mod, first).locator(".factor-nav__link")).to_have_class("factor-nav__link is-complete")
    expect(nav_item(mod, first)).to_contain_text("Gevorderd")
    assert len(failed) == 1
    assert mod_s.polls() == [], "the page fell back to polling"
    # The failed answer (and htmx's own report of it) is the only error the screen met.
    assert [e for e in mod_s.errors if "cockpit/?factor=" not in e and "console: htmx:" not in e] == []
