"""Helpers for the browser tests: logging in through the login page, waiting until every typed
text is saved, and axe-core's WCAG check.

axe-core comes from the axe-playwright-python package (its bundled axe.min.js, no download);
it is injected through Playwright, so the page's own strict CSP stays on."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

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


