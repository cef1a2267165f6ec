"""A 6,000-character word typed into a session does not make the screens wider than the window
(1366 px): the cockpit, the notulist's screen, the wrap-up and the advice preview."""

from sessions import services

from .helpers import log_in

LONG_WORD = "Leerwerkloket" + "x" * 6000


def scroll_overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_long_word_does_not_widen_the_screens(browser, live_server, running_session, moderator,
                                                notulist):
    from reports import services as advice_services

    session = running_session
    for sf in session.factors.all():
        sf.minutes = sf.rationale = f"Begin {LONG_WORD} eind"
        sf.save()
        for action in sf.action_points.all():
            action.text = f"Actie {LONG_WORD}"
            action.owner = LONG_WORD[:200]
            action.timeframe = LONG_WORD[:200]
            action.save()
    session.general_minutes = LONG_WORD
    session.save()
    context = browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server, "jeroen")
    base = f"{live_server.url}/sessies/{session.pk}"
    for path in ("cockpit/", "notulist/", "totaaloverzicht/"):
        page.goto(f"{base}/{path}")
        assert scroll_overflow(page) <= 0, path
    services.close_session(session=session, user=moderator)
    advice_services.get_or_draft_advice(session=session, user=notulist)
    context.close()
    context = browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server, "fatima")
    for path in ("advies/", "advies/voorbeeld/"):
        page.goto(f"{base}/{path}")
        assert scroll_overflow(page) <= 0, path
    context.close()
