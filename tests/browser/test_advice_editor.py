"""The advice editor in a real browser: a passage of the session's notes is taken over into a
section with one click, and saves itself like typed text."""

import pytest
from playwright.sync_api import expect

from reports import services as advice_services
from reports.models import Advice
from sessions import services
from sessions.models import ScanSession

from ..helpers import plan_session
from .helpers import all_saved, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_passage_of_the_notes_is_taken_over_and_saved(page, live_server, initiative, moderator, notulist):
    session = plan_session(initiative, moderator, notulist)
    services.start_session(session=session, user=moderator)
    ScanSession.objects.filter(pk=session.pk).update(
        general_minutes="Intern: koffie was op.\n\nDe doelgroep is via de werkgevers te bereiken.")
    services.close_session(session=session, user=moderator)
    advice = advice_services.get_or_draft_advice(session=session, user=notulist)
    drafted = advice.introduction

    log_in(page, live_server, "fatima")
    page.goto(f"{live_server.url}/sessies/{session.pk}/advies/")
    passage = page.locator("[data-passage]", has_text="De doelgroep is via de werkgevers te bereiken.")
    passage.get_by_role("button", name="Overnemen").click()
    field = page.locator(f'[data-field="advice:{advice.pk}:introduction"]')
    expect(field).to_have_value(drafted + "\n\nDe doelgroep is via de werkgevers te bereiken.")
    expect(passage.locator("[data-taken]")).to_be_visible()
    all_saved(page)
    advice = Advice.objects.get(pk=advice.pk)
    assert advice.introduction == drafted + "\n\nDe doelgroep is via de werkgevers te bereiken."
    assert "koffie" not in advice.introduction
    # Saved through the autosave protocol: a new version of the field, in its history.
    assert advice.introduction_version == 1
    assert session.revisions.filter(field=f"advice:{advice.pk}:introduction").count() == 1
