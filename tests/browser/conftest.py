"""Real-browser tests: Playwright drives Debian's Chromium against Django's live server.

Playwright's sync API keeps an event loop running in the test thread, and the tests also use the
ORM to set up and check data; Django refuses that unless told it is safe, which it is here
(tests only, never in the app)."""

import os
from pathlib import Path

import pytest

from ..helpers import plan_session
from .helpers import log_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason="Debian's chromium is not installed"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "nl-NL", "timezone_id": "Europe/Amsterdam",
            "viewport": {"width": 1366, "height": 900}}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        # Keep a picture of every open page of a failed test, for CI artifacts.
        ARTIFACTS.mkdir(exist_ok=True)
        for name, value in item.funcargs.items():
            pages = value if isinstance(value, (list, tuple)) else [value]
            for n, page in enumerate(pages):
                if hasattr(page, "screenshot"):
                    try:
                        page.screenshot(path=str(ARTIFACTS / f"{item.name}-{name}-{n}.png"), full_page=True)
                    except Exception:  # noqa: BLE001 - a screenshot must never hide the failure
                        pass
    return report


@pytest.fixture
def table(browser, live_server, moderator, notulist, initiative):
    """A planned session and two browsers at its table: (session, moderator's page, notulist's
    page, their contexts), each logged in, each with its own cookies and local storage."""
    session = plan_session(initiative, moderator, notulist)
    contexts = [browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
                for _ in range(2)]
    mod_page, not_page = (context.new_page() for context in contexts)
    log_in(mod_page, live_server, "jeroen")
    log_in(not_page, live_server, "fatima")
    yield session, mod_page, not_page, contexts
    for context in contexts:
        context.close()
