"""Helpers for the browser tests: logging in through the login page, waiting until every typed
text is saved, axe-core's WCAG check, and a table that types through a whole session
(type_through_a_session, also run 20 times by bench/no_loss.py).

axe-core comes from the axe-playwright-python package (its bundled axe.min.js, no download);
it is injected through Playwright, so the page's own strict CSP stays on."""

import time
from dataclasses import dataclass, field

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from sessions.autosave import changes_since
from sessions.models import FieldRevision, RevisionKind, ScanSession

from ..helpers import PASSWORD

SYNC_TIMEOUT = 3000  # ms: "each sees the other's changes within 3 seconds"


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")


def all_saved(page):
    page.wait_for_function("() => window.actiescanLive && window.actiescanLive.pendingCount() === 0")


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()


def axe_violations(page) -> list[str]:
    """The WCAG 2.1 A/AA violations axe-core finds on the page as it is now, one line each."""
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                     "resultTypes": ["violations"]})
    lines = []
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
        lines.append(f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return lines




# --- A table that types through every transition ------------------------------------------------

# Where the keyboard is: the field with focus, whether it takes text and whether it is on screen.
FOCUS = """() => {
  const a = document.activeElement;
  if (!a || !a.dataset || a.dataset.autosave !== "text") return {key: null, editable: false, visible: false};
  const r = a.getBoundingClientRect();
  const visible = !!a.offsetParent && r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight;
  return {key: a.dataset.field, editable: !a.readOnly && !a.disabled, visible: visible};
}"""
# Every text field on the page with the text it shows (textareas give \r\n nowhere; inputs as is).
SHOWN = """() => Object.fromEntries(Array.from(document.querySelectorAll('[data-autosave="text"]'),
  (el) => [el.dataset.field, el.value]))"""
KEY_DELAY_MS = 25  # a fast typist: 40 keys a second


@dataclass
class Typist:
    """One person typing unique words ("n0001 ") into the field that has the focus, and noting
    where each word went: a word lands when the same editable field on screen had the focus
    before and after it; it is cut off when that field (on screen) turned read-only before or
    while it was typed: the screen showed the closed session, and those keys never appeared."""

    page: object
    prefix: str
    words: list = field(default_factory=list)  # (word, key it landed in or None, cut off)
    missed: list = field(default_factory=list)  # where the keyboard was for words that missed

    def type_word(self):
        before = self.page.evaluate(FOCUS)
        word = f"{self.prefix}{len(self.words) + 1:04d}"
        self.page.keyboard.type(word + " ", delay=KEY_DELAY_MS)
        after = self.page.evaluate(FOCUS)
        ready = bool(before["key"] and before["editable"] and before["visible"])
        landed = ready and before == after
        cut = bool(before["key"] and before["visible"] and after["key"] == before["key"]
                   and not after["editable"])
        self.words.append((word, before["key"] if landed or cut else None, cut))
        if not (landed or cut):
            self.missed.append({"word": word, "before": before, "after": after, "url": self.page.url})

    def focus_visible(self):
        where = self.page.evaluate(FOCUS)
        return bool(where["key"] and where["editable"] and where["visible"])


def _shows(page, selector):
    try:
        return page.locator(selector).first.is_visible()
    except PlaywrightError:  # the page is being replaced (she follows to another page)
        return False


def _notulist_step(notu, typist, state, rng):
    """One step of the notulist: mostly a word; she reacts to "Ga mee", pauses now and then
    (her screen may follow meanwhile: then she types on at once), and writes general minutes."""
    if _shows(notu, "#session-closed") or _shows(notu, "[data-late-note]"):
        state["closed_seen"] = True
        return
    if state.get("pause_until"):
        if time.monotonic() < state["pause_until"] and not state["closing"]:
            return
        state["pause_until"] = None
        notu.wait_for_load_state()
        title = notu.locator("h1").first.inner_text()
        if title != state["paused_on"]:
            state["auto_follows"] += 1  # the screen followed: type on without looking
            typist.type_word()
            return
    if _shows(notu, "#follow-notice") and rng.random() < 0.4:
        to_wrap_up = "totaaloverzicht" in notu.locator("#follow-notice").inner_text()
        notu.get_by_role("button", name="Ga mee").click()
        if to_wrap_up:
            notu.wait_for_url("**/totaaloverzicht/")
            notu.wait_for_load_state()
        state["go_along"] += 1
        return
    if state["general_left"] > 0:
        state["general_left"] -= 1
    elif rng.random() < 0.04 and not state["closing"]:
        # Her cursor leaves the box; she looks up for a few seconds (not while he closes:
        # then she types on, to the end).
        notu.locator("h1").first.click()
        state["paused_on"] = notu.locator("h1").first.inner_text()
        state["pause_until"] = time.monotonic() + rng.uniform(3.5, 6)
        return
    elif rng.random() < 0.05 and notu.locator("[data-field$=':general_minutes']").count():
        notu.locator("[data-field$=':general_minutes']").click()
        notu.keyboard.press("End")
        state["general_left"] = rng.randint(4, 10)
    if notu.evaluate(FOCUS)["key"] and not notu.evaluate(FOCUS)["editable"]:
        state["closed_seen"] = True  # her field turned read-only: she stops
        return
    if not typist.focus_visible():
        box = notu.locator("#live-body [data-autosave='text'], [data-field$=':wrap_up_notes']").first
        box.click()
        notu.keyboard.press("End")
    typist.type_word()


def _moderator_plan(mod, typist, session, rng, state):
    """The moderator's steps, one at a time: per factor a few words in the rationale and the
    first action point, a level and a ticked sub-question, then on to the next factor with no
    pause after the last word; at the wrap-up he closes (and waits, or closes anyway)."""
    factors = list(session.factors.order_by("position"))
    for n, factor in enumerate(factors):
        mod.locator(f'[data-field="factor:{factor.pk}:rationale"]').click()
        for _ in range(rng.randint(5, 9)):
            yield typist.type_word()
        action = factor.action_points.order_by("position").first()
        mod.locator(f'[data-field="action:{action.pk}:text"]').click()
        for _ in range(rng.randint(4, 8)):
            yield typist.type_word()
        mod.get_by_label(f"Hier staan we nu: {rng.choice(['Startend', 'Gevorderd', 'Voldragen'])}").check()
        mod.locator(f'[data-field="factor:{factor.pk}:discussed"]').nth(rng.randint(0, 2)).check()
        yield None
        mod.locator(f'[data-field="action:{action.pk}:text"]').click()
        for _ in range(rng.randint(2, 5)):
            yield typist.type_word()
        mod.locator("#pager-next").click()  # right after the last key
        if n + 1 < len(factors):
            expect(mod.locator("#factor-title")).to_have_text(factors[n + 1].title)
        yield None
    expect(mod.get_by_role("heading", level=1)).to_have_text("Totaaloverzicht")
    state["closing"] = True
    for _ in range(rng.randint(4, 10)):
        mod.wait_for_timeout(300)  # the table talks the overview through
        yield None
    started = time.monotonic()
    mod.get_by_role("button", name="Sessie afsluiten").click()
    while not _shows(mod, "text=De sessie is afgesloten."):
        if _shows(mod, "text=Na 10 seconden"):
            mod.get_by_role("button", name="Toch afsluiten").click()
        yield None
    yield ("closed", time.monotonic() - started)


def type_through_a_session(mod, notu, base_url, session, rng) -> dict:
    """Both people type continuously through every move of the table and through closing, in
    turns of one word (each browser's own scripts run all the time). Returns what was typed,
    where it landed and what the database holds: `lost_characters` counts the characters of
    words that landed in a field but are not in it, `nowhere` the words that did not land in an
    editable field on the typist's screen."""
    started = time.monotonic()
    mod.goto(f"{base_url}/sessies/{session.pk}/cockpit/")
    notu.goto(f"{base_url}/sessies/{session.pk}/notulist/")
    notu.locator("#live-body [data-autosave='text']").first.click()
    moderator, notulist = Typist(mod, "m"), Typist(notu, "n")
    state = {"auto_follows": 0, "go_along": 0, "general_left": 0, "closed_seen": False,
             "closing": False}
    close_wait = None
    plan = _moderator_plan(mod, moderator, session, rng, state)
    while not state["closed_seen"]:
        if close_wait is None:
            step = next(plan)
            if isinstance(step, tuple):
                close_wait = step[1]
        if time.monotonic() - started > 300:
            raise AssertionError("the session did not close within 5 minutes")
        _notulist_step(notu, notulist, state, rng)
    for step in plan:  # her screen showed "closed" before his did: let his finish
        if isinstance(step, tuple):
            close_wait = step[1]
    for page in (mod, notu):
        page.wait_for_function("() => window.actiescanLive && window.actiescanLive.pendingCount() === 0",
                               timeout=30000)
    stored = stored_text_fields(session)
    lost, typed, cut_off = 0, 0, 0
    for typist in (moderator, notulist):
        for word, key, cut in typist.words:
            typed += len(word) + 1
            if key is None:
                continue  # in `nowhere`, with where the keyboard was
            if cut:
                cut_off += 1  # what appeared of it is checked with the whole field below
            elif stored.get(key, "").count(word) != 1:
                lost += len(word) + 1
    # What each screen shows is what the database holds, within a sync or two.
    deadline = time.monotonic() + 6
    while True:
        different = [key for page in (mod, notu) for key, value in page.evaluate(SHOWN).items()
                     if stored.get(key) != value]
        if not different or time.monotonic() > deadline:
            break
        mod.wait_for_timeout(250)
    session.refresh_from_db()
    return {
        "seconds": round(time.monotonic() - started, 1),
        "characters": typed,
        "words": len(moderator.words) + len(notulist.words),
        "lost_characters": lost,
        "nowhere": moderator.missed + notulist.missed,
        "cut_off_by_closing": cut_off,
        "screen_differs_from_database": different,
        "auto_follows": state["auto_follows"],
        "go_along": state["go_along"],
        "close_wait_seconds": round(close_wait or 0, 1),
        "after_close_saves": FieldRevision.objects.filter(session=session, kind=RevisionKind.AFTER_CLOSE).count(),
        "conflicts": FieldRevision.objects.filter(session=session, kind=RevisionKind.CONFLICT).count(),
        "closed": session.status == "afgerond",
    }


def stored_text_fields(session) -> dict:
    """Every text field of the session as the database holds it, by field key."""
    fresh = ScanSession.objects.get(pk=session.pk)
    return {key: item["value"] for key, item in changes_since(fresh, -1)["fields"].items()
            if isinstance(item["value"], str)}
