"""Closing a session is a handshake, and nothing typed before a screen showed "closed" is lost.

Every open screen reports whether it holds unsaved text (sessions:unsaved_text); the close
button waits for those screens (bounded, "Toch afsluiten" closes at once). A save that arrives
after closing from a screen that had not yet shown it closed is stored all the same, marked in
the history, and carried into the advice when that was already drafted."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports import services as advice_services
from sessions import autosave, services
from sessions.models import FieldRevision, RevisionKind, ScanSession, UnsavedText

from .helpers import client_for, save

SCREEN = "scherm-van-fatima-1"


@pytest.fixture
def two_clients(running_session, moderator, notulist):
    return client_for(Client, moderator), client_for(Client, notulist)


def report(client, session, fields, screen=SCREEN):
    return client.post(reverse("sessions:unsaved_text", args=[session.pk]),
                       {"screen": screen, "fields": fields})


def close(client, session, **data):
    return client.post(reverse("sessions:close", args=[session.pk]), data)


def test_closing_waits_while_the_notulist_still_types_and_goes_once_her_text_is_saved(
        running_session, two_clients):
    moderator, notulist = two_clients
    assert report(notulist, running_session, 1).status_code == 204
    response = close(moderator, running_session)
    html = response.content.decode()
    running_session.refresh_from_db()
    assert response.status_code == 200 and running_session.status == "bezig"
    assert "Fatima (notulist) typt nog." in html and "Toch afsluiten" in html
    assert 'name="waiting_since"' in html and 'hx-trigger="load delay:1s"' in html  # asks again
    # Her text is saved: the screen says so, and the next try closes.
    assert report(notulist, running_session, 0).status_code == 204
    response = close(moderator, running_session, waiting_since=response.context["closing"]["waiting_since"])
    running_session.refresh_from_db()
    assert response.status_code == 302 and running_session.status == "afgerond"


def test_the_wait_is_bounded_and_toch_afsluiten_closes_at_once(running_session, two_clients):
    moderator, notulist = two_clients
    report(notulist, running_session, 2)
    long_ago = int((timezone.now() - timedelta(seconds=11)).timestamp())
    html = close(moderator, running_session, waiting_since=long_ago).content.decode()
    assert "Na 10 seconden is nog niet alles opgeslagen" in html
    assert 'hx-trigger="load delay:1s"' not in html  # no more asking by itself
    running_session.refresh_from_db()
    assert running_session.status == "bezig"
    close(moderator, running_session, force="1")
    running_session.refresh_from_db()
    assert running_session.status == "afgerond"


def test_a_screen_that_stopped_reporting_is_not_waited_for(running_session, two_clients):
    moderator, notulist = two_clients
    report(notulist, running_session, 1)
    UnsavedText.objects.update(reported_at=timezone.now() - UnsavedText.LIFETIME - timedelta(seconds=1))
    assert close(moderator, running_session).status_code == 302
    running_session.refresh_from_db()
    assert running_session.status == "afgerond"


def test_the_moderators_own_screens_do_not_hold_up_his_close(running_session, two_clients):
    moderator, _ = two_clients
    report(moderator, running_session, 1, screen="scherm-van-jeroen")
    assert close(moderator, running_session).status_code == 302


def test_an_htmx_close_loads_the_closed_page(running_session, two_clients):
    moderator, _ = two_clients
    response = moderator.post(reverse("sessions:close", args=[running_session.pk]),
                              HTTP_HX_REQUEST="true", HTTP_HX_TARGET="close-section")
    assert response.headers["HX-Redirect"] == reverse("sessions:wrap_up", args=[running_session.pk])


def test_the_waiting_answer_to_htmx_is_the_close_section_only(running_session, two_clients):
    moderator, notulist = two_clients
    report(notulist, running_session, 1)
    response = moderator.post(reverse("sessions:close", args=[running_session.pk]),
                              HTTP_HX_REQUEST="true", HTTP_HX_TARGET="close-section")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="close-section"') and "typt nog" in html


@pytest.mark.parametrize("screen, fields", [("kort", "1"), ("x" * 41, "1"), ("<script>abcdefgh", "1"),
                                            (SCREEN, "-1"), (SCREEN, "veel"), (SCREEN, "1000")])
def test_a_bad_report_is_refused_with_a_message(running_session, two_clients, screen, fields):
    _, notulist = two_clients
    response = report(notulist, running_session, fields, screen=screen)
    assert response.status_code == 400 and "Ongeldige melding" in response.json()["message"]
    assert not UnsavedText.objects.exists()


def test_reports_of_screens_long_gone_are_cleared(running_session, two_clients):
    _, notulist = two_clients
    report(notulist, running_session, 1, screen="oud-scherm-123")
    UnsavedText.objects.update(reported_at=timezone.now() - timedelta(minutes=5))
    report(notulist, running_session, 1)
    # An old report is no longer believed at once; the rows go when a screen is done typing
    # (not on every 2-s heartbeat of every typing screen).
    assert list(UnsavedText.objects.current().values_list("screen", flat=True)) == [SCREEN]
    report(notulist, running_session, 0)
    assert not UnsavedText.objects.exists()


# --- Text that arrives after closing ---------------------------------------------------------

def closed_at_revision(session, moderator):
    services.close_session(session=session, user=moderator)
    session.refresh_from_db()
    return session.closed_revision


def late_save(client, session, key, value, version, seen):
    return client.post(reverse("sessions:save", args=[session.pk]),
                       {"field": key, "value": value, "version": version, "seen_revision": seen},
                       HTTP_ACCEPT="application/json")


def test_text_typed_before_the_screen_showed_closed_is_stored_after_closing(
        running_session, two_clients, moderator):
    _, notulist = two_clients
    key = f"session:{running_session.pk}:general_minutes"
    save(notulist, running_session, key, "Eerste zin.", 0)
    running_session.refresh_from_db()
    seen = running_session.revision  # her screen had seen this, then she typed on
    closed = closed_at_revision(running_session, moderator)
    assert seen < closed
    response = late_save(notulist, running_session, key, "Eerste zin. Laatste zin.", 1, seen)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["after_close"] is True and body["carried_on"] is False
    assert body["label"] == "Algemene notulen" and body["version"] == 2
    running_session.refresh_from_db()
    assert running_session.general_minutes == "Eerste zin. Laatste zin."
    assert running_session.status == "afgerond" and running_session.revision == closed + 1
    entry = FieldRevision.objects.filter(field=key).latest("pk")
    assert (entry.kind, entry.value) == (RevisionKind.AFTER_CLOSE, "Eerste zin. Laatste zin.")


@pytest.mark.parametrize("seen", ["closed", "", "abc"])
def test_a_screen_that_had_seen_closed_cannot_write_any_more(running_session, two_clients, moderator, seen):
    _, notulist = two_clients
    key = f"session:{running_session.pk}:general_minutes"
    closed = closed_at_revision(running_session, moderator)
    response = late_save(notulist, running_session, key, "te laat", 0, closed if seen == "closed" else seen)
    assert response.status_code == 403 and response.json()["error"] == "closed"
    running_session.refresh_from_db()
    assert running_session.general_minutes == "" and running_session.revision == closed


def test_late_text_on_a_stale_version_is_merged_not_refused(running_session, two_clients, moderator):
    mod_client, notulist = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:minutes"
    save(notulist, running_session, key, "Gedeelde zin.", 0)
    save(mod_client, running_session, key, "Gedeelde zin. Van de moderator.", 1)
    running_session.refresh_from_db()
    seen = running_session.revision
    closed_at_revision(running_session, moderator)
    # Her screen was still at version 1 when she typed; the session closed before it arrived.
    response = late_save(notulist, running_session, key, "Gedeelde zin. Van de notulist.", 1, seen)
    assert response.status_code == 200
    factor.refresh_from_db()
    assert factor.minutes == "Gedeelde zin. Van de moderator. Van de notulist."


def test_a_save_on_its_way_when_the_session_closed_is_stored_after_closing(
        running_session, notulist, moderator):
    """The save's view loaded the session while it was open; the close committed first."""
    key = f"session:{running_session.pk}:general_minutes"
    seen = running_session.revision
    stale = ScanSession.objects.get(pk=running_session.pk)
    services.close_session(session=running_session, user=moderator)
    saved = autosave.save_field(session=stale, key=key, values=["Onderweg."], version=0,
                                user=notulist, seen_revision=seen)
    assert saved.after_close and saved.value == "Onderweg."
    running_session.refresh_from_db()
    assert running_session.general_minutes == "Onderweg."


def test_late_text_is_carried_into_an_advice_that_was_already_drafted(running_session, two_clients,
                                                                     moderator, notulist):
    _, client = two_clients
    factor = running_session.factors.order_by("position").first()
    key = f"factor:{factor.pk}:minutes"
    save(client, running_session, key, "De tafel koos coaches.", 0)
    running_session.refresh_from_db()
    seen = running_session.revision
    closed_at_revision(running_session, moderator)
    advice = advice_services.get_or_draft_advice(session=running_session, user=moderator)
    section = advice.sections.get(session_factor=factor)
    assert section.text == "De tafel koos coaches."
    response = late_save(client, running_session, key, "De tafel koos coaches. En werkgevers betalen mee.",
                         1, seen)
    assert response.json()["carried_on"] is True
    section.refresh_from_db()
    assert section.text == "De tafel koos coaches.\n\nEn werkgevers betalen mee."
    advice.refresh_from_db()
    assert advice.revision == 1  # the advice editor's sync shows it at once
    # General minutes go to the introduction.
    general = f"session:{running_session.pk}:general_minutes"
    late_save(client, running_session, general, "Afspraak: volgende keer in Tiel.", 0, seen)
    advice.refresh_from_db()
    assert advice.introduction.endswith("\n\nAfspraak: volgende keer in Tiel.")


def test_late_text_before_the_advice_exists_is_in_its_draft(running_session, two_clients, moderator):
    _, client = two_clients
    factor = running_session.factors.order_by("position").first()
    running_session.refresh_from_db()
    seen = running_session.revision
    closed_at_revision(running_session, moderator)
    response = late_save(client, running_session, f"factor:{factor.pk}:minutes", "Net op tijd.", 0, seen)
    assert response.json()["carried_on"] is False
    advice = advice_services.get_or_draft_advice(session=running_session, user=moderator)
    assert advice.sections.get(session_factor=factor).text == "Net op tijd."


def test_a_late_tick_is_stored_too(running_session, two_clients, moderator):
    _, client = two_clients
    factor = running_session.factors.first()
    running_session.refresh_from_db()
    seen = running_session.revision
    closed_at_revision(running_session, moderator)
    response = client.post(reverse("sessions:save", args=[running_session.pk]),
                           {"field": f"factor:{factor.pk}:discussed", "value": ["1"], "seen_revision": seen})
    assert response.status_code == 200 and response.json()["after_close"] is True
    factor.refresh_from_db()
    assert factor.discussed == [1]


def test_a_reopened_and_closed_again_session_judges_by_the_last_close(running_session, two_clients,
                                                                      moderator):
    _, client = two_clients
    key = f"session:{running_session.pk}:general_minutes"
    first_close = closed_at_revision(running_session, moderator)
    services.reopen_session(session=running_session, user=moderator)
    assert save(client, running_session, key, "Na heropenen.", 0).status_code == 200
    second_close = closed_at_revision(running_session, moderator)
    assert second_close > first_close
    # Seen the first close but not the second: typed while it was open again.
    assert late_save(client, running_session, key, "Na heropenen. Nog een zin.", 1,
                     second_close - 1).status_code == 200
    assert late_save(client, running_session, key, "Te laat.", 2, second_close).status_code == 403
