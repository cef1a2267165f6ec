"""Calendar invitations: when a session is planned or changed, its moderator and notulist get a
mail with an .ics file (parsed back here with icalendar): one UID per session, SEQUENCE raised on
every change, CANCEL when the session is removed or someone leaves it, times in Europe/Amsterdam."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from sessions.models import ScanSession

from .helpers import admin_form_data, client_for, mail_parts, make_user, smtp_server

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def people(moderator, notulist):
    moderator.email, notulist.email = "jeroen@ser.example.org", "fatima@ser.example.org"
    moderator.save()
    notulist.save()
    return moderator, notulist


def plan(client, initiative, moderator, notulist, when="2027-03-15T14:00", **extra):
    data = {"initiative": initiative.pk, "starts_at": when, "location": "Tiel, Stationsstraat 1",
            "moderator": moderator.pk, "notulist": notulist.pk if notulist else "", "language": "nl",
            **extra}
    response = client.post(reverse("sessions:plan"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return ScanSession.objects.latest("pk")


def edit(client, session, **changes):
    data = {"initiative": session.initiative_id,
            "starts_at": session.starts_at.astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M"),
            "location": session.location, "moderator": session.moderator_id,
            "notulist": session.notulist_id or "", "language": session.language, **changes}
    response = client.post(reverse("sessions:edit", args=[session.pk]), data)
    assert response.status_code == 302
    return response


def invitation(message) -> Calendar:
    (name, content, mimetype), = message.attachments
    assert name == "uitnodiging.ics" and mimetype.startswith("text/calendar")
    return Calendar.from_ical(content)


def event_of(calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def by_recipient():
    return {message.to[0]: message for message in mail.outbox}


def test_planning_invites_the_moderator_and_the_notulist(people, initiative, moderator_client):
    moderator, notulist = people
    session = plan(moderator_client, initiative, moderator, notulist)
    sent = by_recipient()
    assert set(sent) == {"jeroen@ser.example.org", "fatima@ser.example.org"}
    text, html = mail_parts(sent["jeroen@ser.example.org"])
    assert sent["jeroen@ser.example.org"].subject == "Uitnodiging: LLO Actiescan met Leerwerkloket Rivierenland"
    assert "U bent moderator van het scangesprek met Leerwerkloket Rivierenland." in text
    assert "maandag 15 maart 2027, 14:00" in text and "Tiel, Stationsstraat 1" in html
    assert "U bent notulist" in sent["fatima@ser.example.org"].body
    calendar = invitation(sent["jeroen@ser.example.org"])
    assert calendar["METHOD"] == "REQUEST"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Amsterdam"
    event = event_of(calendar)
    assert event["UID"].startswith(f"actiescan-sessie-{session.pk}-")
    assert event["SEQUENCE"] == 0
    start = event.decoded("DTSTART")
    assert start == datetime(2027, 3, 15, 14, 0, tzinfo=AMSTERDAM)
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert (event.decoded("DTEND") - start).total_seconds() == 90 * 60
    assert str(event["SUMMARY"]) == "LLO Actiescan met Leerwerkloket Rivierenland"
    assert str(event["LOCATION"]) == "Tiel, Stationsstraat 1"
    attendees = sorted(str(a) for a in event.get("ATTENDEE"))
    assert attendees == ["mailto:fatima@ser.example.org", "mailto:jeroen@ser.example.org"]
    assert f"/sessies/{session.pk}/" in str(event["URL"])
    # Both get the same event.
    assert event_of(invitation(sent["fatima@ser.example.org"]))["UID"] == event["UID"]


def test_a_change_sends_the_same_uid_with_a_higher_sequence(people, initiative, moderator_client):
    moderator, notulist = people
    session = plan(moderator_client, initiative, moderator, notulist)
    uid = str(event_of(invitation(mail.outbox[0]))["UID"])
    mail.outbox.clear()
    edit(moderator_client, session)  # nothing changed: nothing sent
    assert not mail.outbox
    edit(moderator_client, session, starts_at="2027-03-16T09:30")
    assert len(mail.outbox) == 2
    message = by_recipient()["jeroen@ser.example.org"]
    assert message.subject.startswith("Gewijzigd:") and "De planning is gewijzigd." in message.body
    event = event_of(invitation(message))
    assert (str(event["UID"]), event["SEQUENCE"]) == (uid, 1)
    assert event.decoded("DTSTART") == datetime(2027, 3, 16, 9, 30, tzinfo=AMSTERDAM)
    mail.outbox.clear()
    session.refresh_from_db()
    edit(moderator_client, session, location="Culemborg")
    assert {event_of(invitation(m))["SEQUENCE"] for m in mail.outbox} == {2}


def test_whoever_leaves_the_session_gets_a_cancellation(people, initiative, moderator_client):
    moderator, notulist = people
    session = plan(moderator_client, initiative, moderator, notulist)
    other = make_user("noor", "Notulist", first_name="Noor")
    other.email = "noor@ser.example.org"
    other.save()
    mail.outbox.clear()
    edit(moderator_client, session, notulist=other.pk)
    sent = by_recipient()
    assert set(sent) == {"jeroen@ser.example.org", "noor@ser.example.org", "fatima@ser.example.org"}
    cancelled = invitation(sent["fatima@ser.example.org"])
    assert cancelled["METHOD"] == "CANCEL" and event_of(cancelled)["STATUS"] == "CANCELLED"
    assert sent["fatima@ser.example.org"].subject.startswith("Gaat niet door:")
    assert invitation(sent["noor@ser.example.org"])["METHOD"] == "REQUEST"


def test_people_without_an_address_and_a_missing_notulist_are_skipped(moderator, initiative, moderator_client):
    plan(moderator_client, initiative, moderator, None)
    assert not mail.outbox  # the moderator has no address
    moderator.email = "jeroen@ser.example.org"
    moderator.save()
    plan(moderator_client, initiative, moderator, None, when="2027-04-01T10:00")
    assert [m.to for m in mail.outbox] == [["jeroen@ser.example.org"]]


def admin_change(admin, session, **changes):
    url = f"/beheer/scan_sessions/scansession/{session.pk}/change/"
    data = admin_form_data(admin.get(url))
    starts_at = data.pop("starts_at").astimezone(AMSTERDAM)
    data.update({"starts_at_0": starts_at.strftime("%Y-%m-%d"), "starts_at_1": starts_at.strftime("%H:%M:%S")})
    data.update(changes)
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_an_edit_in_the_admin_updates_the_invitations(people, initiative, moderator_client, staff):
    moderator, notulist = people
    session = plan(moderator_client, initiative, moderator, notulist)
    uid = str(event_of(invitation(mail.outbox[0]))["UID"])
    mail.outbox.clear()
    admin = client_for(Client, staff)
    admin_change(admin, session)  # saved unchanged: nothing sent
    assert not mail.outbox
    admin_change(admin, session, starts_at_0="2027-03-16", starts_at_1="09:30:00")
    sent = by_recipient()
    assert set(sent) == {"jeroen@ser.example.org", "fatima@ser.example.org"}
    event = event_of(invitation(sent["jeroen@ser.example.org"]))
    assert (str(event["UID"]), event["SEQUENCE"]) == (uid, 1)
    assert event.decoded("DTSTART") == datetime(2027, 3, 16, 9, 30, tzinfo=AMSTERDAM)
    mail.outbox.clear()
    admin_change(admin, session, notulist="")  # the notulist taken off: she hears it
    cancelled = invitation(by_recipient()["fatima@ser.example.org"])
    assert cancelled["METHOD"] == "CANCEL"


def test_removing_a_planned_session_in_the_admin_cancels_it(people, initiative, moderator_client, staff, django_capture_on_commit_callbacks):
    moderator, notulist = people
    session = plan(moderator_client, initiative, moderator, notulist)
    uid = str(event_of(invitation(mail.outbox[0]))["UID"])
    mail.outbox.clear()
    admin = client_for(Client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/beheer/scan_sessions/scansession/{session.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not ScanSession.objects.filter(pk=session.pk).exists()
    assert len(mail.outbox) == 2
    calendar = invitation(mail.outbox[0])
    event = event_of(calendar)
    assert calendar["METHOD"] == "CANCEL" and str(event["UID"]) == uid and event["SEQUENCE"] == 1


def test_an_english_session_gets_english_invitations(people, initiative, moderator_client):
    moderator, notulist = people
    plan(moderator_client, initiative, moderator, notulist, language="en")
    message = by_recipient()["jeroen@ser.example.org"]
    assert message.subject == "Invitation: LLO Actiescan with Leerwerkloket Rivierenland"
    assert "You are the moderator" in message.body and "Monday 15 March 2027" in message.body


def test_an_invitation_that_cannot_be_sent_leaves_the_planning_and_says_so(people, initiative, moderator_client):
    moderator, notulist = people
    with smtp_server(refuse={"fatima@ser.example.org"}) as received:
        data = {"initiative": initiative.pk, "starts_at": "2027-03-15T14:00", "location": "Tiel",
                "moderator": moderator.pk, "notulist": notulist.pk, "language": "nl"}
        response = moderator_client.post(reverse("sessions:plan"), data, follow=True)
    assert ScanSession.objects.filter(location="Tiel", starts_at__year=2027).exists()
    html = response.content.decode()
    assert "Uitnodiging voor Fatima niet verstuurd: De mailserver weigerde dit adres" in html
    assert [to for _sender, to, _message in received] == [["jeroen@ser.example.org"]]
