"""The save endpoint and live sync: nothing typed is lost, conflicts show both texts."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from sessions import autosave, services
from sessions.models import ActionPoint, FieldRevision, ScanSession, SessionFactor, Status

from .helpers import client_for, save, sync


@pytest.fixture
def two_clients(running_session, moderator, notulist):
    return client_for(Client, moderator), client_for(Client, notulist)


def test_save_stores_text_and_returns_new_version(running_session, two_clients):
    moderator, _ = two_clients
    factor = running_session.factors.first()
    response = save(moderator, running_session, f"factor:{factor.pk}:minutes", "Eerste zin.", 0)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1 and body["value"] == "Eerste zin." and body["saved_by"] == "Jeroen"
    factor.refresh_from_db()
    assert factor.minutes == "Eerste zin." and factor.minutes_version == 1


def test_two_saves_from_the_same_version_conflict_and_both_texts_survive(running_session, two_clients):
    moderator, notulist = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:minutes"
    first = save(notulist, running_session, key, "Tekst van de notulist.", 0)
    second = save(moderator, running_session, key, "Tekst van de moderator.", 0)
    assert first.status_code == 200
    assert second.status_code == 409
    conflict = second.json()
    assert conflict["error"] == "conflict"
    assert conflict["value"] == "Tekst van de notulist."
    assert conflict["version"] == 1
    assert conflict["saved_by"] == "Fatima"
    # Both started from the empty text: the merge holds both, the saved one first.
    assert conflict["merged"] == "Tekst van de notulist. Tekst van de moderator."
    assert conflict["merge_clean"] is True
    factor.refresh_from_db()
    assert factor.minutes == "Tekst van de notulist."
    # The refused text is on the server already, before anyone chose.
    history = list(FieldRevision.objects.filter(field=key).order_by("pk").values_list("value", "kind"))
    assert history == [("Tekst van de notulist.", "saved"), ("Tekst van de moderator.", "conflict")]
    # The moderator edits the merge and saves against the version the conflict reported.
    merged = "Tekst van de moderator.\n\nTekst van de notulist."
    third = save(moderator, running_session, key, merged, conflict["version"])
    assert third.status_code == 200 and third.json()["version"] == 2
    factor.refresh_from_db()
    assert factor.minutes == merged
    history = list(FieldRevision.objects.filter(field=key).order_by("pk").values_list("value", flat=True))
    assert history == ["Tekst van de notulist.", "Tekst van de moderator.", merged]


def test_saves_of_different_fields_never_conflict(running_session, two_clients):
    moderator, notulist = two_clients
    factor = running_session.factors.first()
    action = factor.action_points.get(position=1)
    assert save(notulist, running_session, f"factor:{factor.pk}:minutes", "Notulen", 0).status_code == 200
    assert save(moderator, running_session, f"factor:{factor.pk}:rationale", "Omdat", 0).status_code == 200
    assert save(moderator, running_session, f"action:{action.pk}:text", "Actie", 0).status_code == 200
    factor.refresh_from_db()
    action.refresh_from_db()
    assert (factor.minutes, factor.rationale, action.text) == ("Notulen", "Omdat", "Actie")


def test_a_retry_of_an_already_stored_save_is_not_a_conflict_nor_a_duplicate(running_session, two_clients):
    """Offline: the request reached the server but the answer got lost; the browser resends."""
    moderator, _ = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:rationale"
    assert save(moderator, running_session, key, "Zelfde tekst", 0).status_code == 200
    retry = save(moderator, running_session, key, "Zelfde tekst", 0)
    assert retry.status_code == 200 and retry.json()["version"] == 1
    assert FieldRevision.objects.filter(field=key).count() == 1


def test_windows_line_endings_are_stored_as_one_form(running_session, two_clients):
    moderator, _ = two_clients
    factor = running_session.factors.first()
    save(moderator, running_session, f"factor:{factor.pk}:minutes", "a\r\nb", 0)
    factor.refresh_from_db()
    assert factor.minutes == "a\nb"


def test_levels_and_discussed_questions_save_without_version(running_session, two_clients):
    moderator, _ = two_clients
    factor = running_session.factors.first()
    assert save(moderator, running_session, f"factor:{factor.pk}:current_level", "gevorderd").status_code == 200
    response = moderator.post(
        reverse("sessions:save", args=[running_session.pk]),
        {"field": f"factor:{factor.pk}:discussed", "value": ["2", "0"]},
    )
    assert response.status_code == 200 and response.json()["value"] == ["0", "2"]
    factor.refresh_from_db()
    assert factor.current_level == "gevorderd" and factor.discussed == [0, 2]


@pytest.mark.parametrize(
    "key_template, value, version, message",
    [
        ("factor:{f}:current_level", "uitstekend", None, "startend, gevorderd of voldragen"),
        ("factor:{f}:minutes", "x" * 50_001, 0, "te lang"),
        ("action:{a}:owner", "x" * 201, 0, "te lang"),
        ("factor:{f}:minutes", "tekst", "abc", "versie"),
        ("factor:{f}:minutes", "tekst", None, "versie"),
        ("factor:{f}:discussed", "een", None, "subvraag"),
        ("factor:{f}:password", "x", 0, "Onbekend veld"),
        ("niets", "x", 0, "Onbekend veld"),
        ("factor:{f}:minutes", "nul\x00byte", 0, "ongeldig teken"),
    ],
)
def test_bad_input_is_refused_with_a_dutch_message_and_nothing_stored(
    running_session, two_clients, key_template, value, version, message
):
    moderator, _ = two_clients
    factor = running_session.factors.first()
    action = factor.action_points.first()
    key = key_template.format(f=factor.pk, a=action.pk)
    response = save(moderator, running_session, key, value, version)
    assert response.status_code == 400
    assert message in response.json()["message"]
    factor.refresh_from_db()
    action.refresh_from_db()
    assert factor.minutes == "" and factor.current_level == "" and action.owner == ""
    assert not FieldRevision.objects.exists()


def test_saving_needs_a_csrf_token(running_session, moderator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    factor = running_session.factors.first()
    response = save(client, running_session, f"factor:{factor.pk}:minutes", "x", 0)
    assert response.status_code == 403
    assert response.json()["error"] == "csrf"
    factor.refresh_from_db()
    assert factor.minutes == ""


def test_a_closed_session_takes_no_saves(running_session, two_clients, moderator):
    client, _ = two_clients
    services.close_session(session=running_session, user=moderator)
    factor = running_session.factors.first()
    response = save(client, running_session, f"factor:{factor.pk}:minutes", "te laat", 0)
    assert response.status_code == 403 and response.json()["error"] == "closed"
    factor.refresh_from_db()
    assert factor.minutes == ""


def test_closed_pages_are_read_only(running_session, moderator):
    client = client_for(Client, moderator)
    services.close_session(session=running_session, user=moderator)
    html = client.get(reverse("sessions:cockpit", args=[running_session.pk])).content.decode()
    assert "afgesloten" in html
    assert " readonly" in html and " disabled" in html
    assert "Sessie heropenen" in client.get(reverse("sessions:wrap_up", args=[running_session.pk])).content.decode()


def test_sync_answers_204_when_nothing_changed(running_session, two_clients):
    moderator, _ = two_clients
    running_session.refresh_from_db()
    response = sync(moderator, running_session, running_session.revision)
    assert response.status_code == 204 and response.content == b""


def test_sync_sends_only_what_changed_since_the_revision(running_session, two_clients):
    moderator, notulist = two_clients
    factor = running_session.factors.first()
    running_session.refresh_from_db()
    since = running_session.revision
    save(notulist, running_session, f"factor:{factor.pk}:minutes", "Getypt door de notulist", 0)
    body = sync(moderator, running_session, since).json()
    assert body["revision"] == since + 1
    assert list(body["fields"]) == [f"factor:{factor.pk}:minutes"]
    item = body["fields"][f"factor:{factor.pk}:minutes"]
    assert item["value"] == "Getypt door de notulist" and item["version"] == 1
    assert item["saved_by"] == "Fatima"
    assert body["refresh"] is False  # typed text alone does not reload summaries
    save(moderator, running_session, f"factor:{factor.pk}:current_level", "startend")
    body = sync(notulist, running_session, since + 1).json()
    assert body["fields"][f"factor:{factor.pk}:current_level"]["value"] == "startend"
    assert body["refresh"] is True


def test_opening_a_factor_in_the_cockpit_does_not_move_the_table(running_session, two_clients):
    """A GET never changes state: the moderator moves the table with a POST (go_to_factor)."""
    moderator, notulist = two_clients
    first, second = running_session.factors.order_by("position")[:2]
    running_session.refresh_from_db()
    since = running_session.revision
    assert running_session.current_factor_id == first.pk  # starting put the table there
    html = moderator.get(reverse("sessions:cockpit", args=[running_session.pk]), {"factor": second.pk})
    assert "De tafel is bij" in html.content.decode()  # the moderator sees he is only looking
    assert sync(notulist, running_session, since).status_code == 204
    running_session.refresh_from_db()
    assert (running_session.current_factor_id, running_session.revision) == (first.pk, since)


def test_a_stale_client_gets_every_field(running_session, two_clients):
    moderator, _ = two_clients
    body = sync(moderator, running_session, 99999).json()
    factor_count = running_session.factors.count()
    # 4 session fields + 5 per factor + 3 per action point x 2
    assert len(body["fields"]) == 4 + factor_count * (5 + 6)


def test_history_keeps_every_version_for_staff(running_session, two_clients, staff):
    moderator, notulist = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:minutes"
    save(notulist, running_session, key, "versie een", 0)
    save(moderator, running_session, key, "versie twee, overschreven", 1)
    html = client_for(Client, staff).get(
        reverse("sessions:history", args=[running_session.pk]), {"veld": key}
    ).content.decode()
    assert "versie een" in html and "versie twee, overschreven" in html


def history_page(client, session, **params):
    return client.get(reverse("sessions:history", args=[session.pk]), params).content.decode()


def restore(client, session, revision):
    return client.post(reverse("sessions:history_restore", args=[session.pk, revision.pk]), follow=True)


def test_the_history_reads_as_a_person_reads_it(running_session, two_clients, notulist):
    moderator, notulist_client = two_clients
    factor = running_session.factors.order_by("position").first()
    action = factor.action_points.get(position=2)
    questions = factor.snapshot["sub_questions"]
    save(moderator, running_session, f"factor:{factor.pk}:current_level", "gevorderd")
    save(moderator, running_session, f"factor:{factor.pk}:discussed", ["0", "2"])
    save(moderator, running_session, f"action:{action.pk}:owner", "Marieke", 0)
    save(notulist_client, running_session, f"session:{running_session.pk}:notulist_checked", "1")
    html = history_page(notulist_client, running_session)
    visible = re.sub(r'href="[^"]*"', "", html)
    # No keys, no lists of numbers: names and values in words.
    assert f"factor:{factor.pk}:" not in visible and "[0, 2]" not in visible
    assert f"<td>{escape(factor.title)}</td>" in html
    assert "Huidig niveau" in html and "<td class=\"prewrap\">Gevorderd</td>" in html
    assert "Besproken subvragen" in html
    assert f"<li>1. {escape(questions[0])}</li><li>3. {escape(questions[2])}</li>" in html
    assert f"<td>{escape(factor.title)} – actiepunt 2</td>" in html and "Trekker" in html
    assert "De notulist heeft alles wat nodig is" in html and ">ja</td>" in html
    # An entry whose object is gone still reads (ids of factors and actions never mix up).
    ActionPoint.objects.filter(session_factor__session=running_session).delete()
    html = history_page(notulist_client, running_session)
    assert "actiepunt (verwijderd)" in html and f"<td>{escape(factor.title)}</td>" in html


def test_zet_terug_puts_an_old_version_back_through_the_normal_save(running_session, two_clients):
    moderator, notulist = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:minutes"
    save(notulist, running_session, key, "versie een", 0)
    save(moderator, running_session, key, "versie twee, te veel weggehaald", 1)
    save(moderator, running_session, f"factor:{factor.pk}:discussed", ["1"])
    save(moderator, running_session, f"factor:{factor.pk}:discussed", ["1", "2"])
    running_session.refresh_from_db()
    revision_before = running_session.revision
    html = history_page(notulist, running_session, veld=key)
    first = FieldRevision.objects.get(field=key, value="versie een")
    newest = FieldRevision.objects.get(field=key, version=2)
    # Older versions have the button; the newest is what the field holds.
    assert reverse("sessions:history_restore", args=[running_session.pk, first.pk]) in html
    assert reverse("sessions:history_restore", args=[running_session.pk, newest.pk]) not in html

    response = restore(notulist, running_session, first)
    assert "is teruggezet als nieuwe versie 3" in response.content.decode()
    factor.refresh_from_db()
    assert factor.minutes == "versie een" and factor.minutes_version == 3
    # A new version in the history (nothing rewritten), and the other screens hear of it.
    assert list(FieldRevision.objects.filter(field=key).order_by("pk").values_list("value", flat=True)) == [
        "versie een", "versie twee, te veel weggehaald", "versie een"]
    data = sync(moderator, running_session, revision_before).json()
    assert data["fields"][key]["value"] == "versie een" and data["fields"][key]["version"] == 3
    # A choice goes back the same way.
    ticked_one = FieldRevision.objects.get(field=f"factor:{factor.pk}:discussed", value="[1]")
    restore(moderator, running_session, ticked_one)
    factor.refresh_from_db()
    assert factor.discussed == [1]


def test_zet_terug_never_overwrites_a_change_made_meanwhile(running_session, two_clients, monkeypatch):
    moderator, notulist = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:minutes"
    save(notulist, running_session, key, "versie een", 0)
    save(moderator, running_session, key, "versie twee", 1)
    first = FieldRevision.objects.get(field=key, value="versie een")
    real_current = autosave.current_field

    def someone_saves_right_then(session, field_key):
        current = real_current(session, field_key)
        save(moderator, running_session, key, "versie drie, net getypt", current["version"])
        return current

    monkeypatch.setattr(autosave, "current_field", someone_saves_right_then)
    response = restore(notulist, running_session, first)
    assert "Iemand anders heeft dit veld net gewijzigd" in response.content.decode()
    factor.refresh_from_db()
    assert factor.minutes == "versie drie, net getypt"


def test_zet_terug_is_refused_once_the_session_is_closed(running_session, two_clients, moderator, outsider):
    moderator_client, notulist = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:minutes"
    save(notulist, running_session, key, "versie een", 0)
    save(notulist, running_session, key, "versie twee", 1)
    first = FieldRevision.objects.get(field=key, value="versie een")
    assert client_for(Client, outsider).post(
        reverse("sessions:history_restore", args=[running_session.pk, first.pk])).status_code == 404
    services.close_session(session=running_session, user=moderator)
    response = restore(moderator_client, running_session, first)
    html = response.content.decode()
    assert "Deze sessie is afgesloten" in html
    assert reverse("sessions:history_restore", args=[running_session.pk, first.pk]) not in html
    factor.refresh_from_db()
    assert factor.minutes == "versie twee"


def test_user_text_is_escaped_in_pages(running_session, two_clients):
    moderator, _ = two_clients
    factor = running_session.factors.first()
    action = factor.action_points.first()
    evil = '<script>alert(1)</script><img src="file:///etc/passwd">'
    save(moderator, running_session, f"action:{action.pk}:text", evil, 0)
    save(moderator, running_session, f"factor:{factor.pk}:minutes", evil, 0)
    for name in ("cockpit", "notulist", "wrap_up"):
        html = moderator.get(reverse(f"sessions:{name}", args=[running_session.pk])).content.decode()
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html, name


def test_session_status_flow(scan_session, moderator):
    client = client_for(Client, moderator)
    assert scan_session.status == Status.GEPLAND
    response = client.post(reverse("sessions:start", args=[scan_session.pk]))
    assert response.status_code == 302
    scan_session.refresh_from_db()
    assert scan_session.status == Status.BEZIG and scan_session.started_at
    client.post(reverse("sessions:close", args=[scan_session.pk]))
    scan_session.refresh_from_db()
    assert scan_session.status == Status.AFGEROND and scan_session.closed_by == moderator
    client.post(reverse("sessions:reopen", args=[scan_session.pk]))
    scan_session.refresh_from_db()
    assert scan_session.status == Status.BEZIG and scan_session.closed_at is None


def test_time_is_counted_per_factor_while_the_session_runs(running_session, moderator):
    client = client_for(Client, moderator)
    first, second = running_session.factors.order_by("position")[:2]
    client.post(reverse("sessions:go_to_factor", args=[running_session.pk, first.pk]))
    ScanSession.objects.filter(pk=running_session.pk).update(
        current_factor_since=timezone.now() - timedelta(minutes=7)
    )
    client.post(reverse("sessions:go_to_factor", args=[running_session.pk, second.pk]))
    first.refresh_from_db()
    assert 7 * 60 - 2 <= first.seconds_spent <= 7 * 60 + 5
    assert SessionFactor.objects.get(pk=second.pk).seconds_spent == 0


def test_the_moderator_moves_the_table_with_a_post_and_the_notulist_learns_it(
        running_session, two_clients):
    moderator, notulist = two_clients
    second = running_session.factors.order_by("position")[1]
    running_session.refresh_from_db()
    since = running_session.revision
    response = moderator.post(reverse("sessions:go_to_factor", args=[running_session.pk, second.pk]))
    assert response.status_code == 302 and response.url.endswith(f"?factor={second.pk}")
    body = sync(notulist, running_session, since).json()
    assert body["current_factor"] == second.pk and body["wrap_up"] is False
    # The notulist follows the table; she does not move it.
    third = running_session.factors.order_by("position")[2]
    url = reverse("sessions:go_to_factor", args=[running_session.pk, third.pk])
    assert notulist.post(url).status_code == 403
    running_session.refresh_from_db()
    assert running_session.current_factor_id == second.pk


def test_the_wrap_up_stops_the_clock_and_every_following_screen_learns_it(
        running_session, two_clients):
    moderator, notulist = two_clients
    first = running_session.factors.order_by("position")[0]
    moderator.post(reverse("sessions:go_to_factor", args=[running_session.pk, first.pk]))
    ScanSession.objects.filter(pk=running_session.pk).update(
        current_factor_since=timezone.now() - timedelta(minutes=3))
    running_session.refresh_from_db()
    since = running_session.revision
    response = moderator.post(reverse("sessions:go_to_wrap_up", args=[running_session.pk]))
    assert response.status_code == 302
    running_session.refresh_from_db()
    assert running_session.wrap_up_since is not None
    assert running_session.current_factor_since is None
    first.refresh_from_db()
    assert 175 <= first.seconds_spent <= 200  # the three minutes were counted, once
    body = sync(notulist, running_session, since).json()
    assert body["wrap_up"] is True and body["current_factor"] == first.pk
    # Opening it again changes nothing; going back to a factor leaves the wrap-up.
    moderator.post(reverse("sessions:go_to_wrap_up", args=[running_session.pk]))
    first.refresh_from_db()
    assert first.seconds_spent <= 200
    moderator.post(reverse("sessions:go_to_factor", args=[running_session.pk, first.pk]))
    running_session.refresh_from_db()
    assert running_session.wrap_up_since is None and running_session.current_factor_since


def test_outsiders_cannot_move_a_table(running_session, outsider):
    first = running_session.factors.first()
    client = client_for(Client, outsider)
    assert client.post(reverse("sessions:go_to_wrap_up", args=[running_session.pk])).status_code == 404
    url = reverse("sessions:go_to_factor", args=[running_session.pk, first.pk])
    assert client.post(url).status_code == 404
