"""manage.py send_reminders: the staff digest of due follow-ups, the initiative's note with its
action points (only when switched on), the reminder to the sender of an unopened share link that
is about to expire; twice (or twice at once) sends nothing twice; a failed mail is tried again."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from reports import services as advice_services
from reports.models import AdviceVersion, SentReminder, ShareLink, ShareLinkAccess
from reports.pipeline import months_before
from sessions.models import ActionPoint

from .helpers import finalized_version, in_thread, mail_parts, smtp_server


def run() -> str:
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    return out.getvalue()


@pytest.fixture
def due(running_session, moderator, notulist, staff):
    """A session whose advice was made final 13 months ago, with no session after it."""
    staff.email = "sanne@ser.example.org"
    staff.save()
    initiative = running_session.initiative
    initiative.contact_name, initiative.contact_email = "Marieke", "marieke@example.org"
    initiative.save()
    version = finalized_version(running_session, moderator, notulist)
    AdviceVersion.objects.filter(pk=version.pk).update(finalized_at=months_before(timezone.now(), 13))
    ActionPoint.objects.filter(session_factor__session=running_session, position=1).update(status="gedaan")
    return running_session


def mails_to(address):
    return [message for message in mail.outbox if message.to == [address]]


def test_staff_get_a_digest_once(due):
    output = run()
    assert "1  overzichten van vervolggesprekken" in output
    digest, = mails_to("sanne@ser.example.org")
    assert digest.subject == "Vervolggesprek aan de beurt: 1 initiatief"
    text, html = mail_parts(digest)
    assert "Leerwerkloket Rivierenland" in text and "Leerwerkloket Rivierenland" in html
    assert f"/overzicht/initiatieven/{due.initiative_id}/" in text
    assert not mails_to("marieke@example.org")  # not switched on for this initiative
    run()
    assert len(mail.outbox) == 1


def test_the_contact_gets_the_action_points_once_when_switched_on(due):
    due.initiative.remind_contact = True
    due.initiative.save()
    run()
    run()
    note, = mails_to("marieke@example.org")
    assert note.subject == "Hoe staat het met uw actiepunten? – Leerwerkloket Rivierenland"
    text, html = mail_parts(note)
    assert "Beste Marieke," in text
    assert text.count("- Actie voor") == 6
    assert "stand: gedaan" in text and "stand: niet gestart" in text
    assert "Actie voor" in html
    assert len(mails_to("sanne@ser.example.org")) == 1


def test_nothing_is_due_without_an_old_advice(running_session, staff):
    staff.email = "sanne@ser.example.org"
    staff.save()
    run()
    assert not mail.outbox


def test_the_sender_hears_about_an_unopened_link_a_week_before_it_expires(due, moderator):
    moderator.email = "jeroen@ser.example.org"
    moderator.save()
    version = AdviceVersion.objects.get()
    soon = advice_services.create_share_link(version=version, user=moderator, days=5)
    advice_services.create_share_link(version=version, user=moderator, days=20)  # not yet
    opened = advice_services.create_share_link(version=version, user=moderator, days=3)
    ShareLinkAccess.objects.create(link=opened)
    advice_services.revoke_share_link(
        link=advice_services.create_share_link(version=version, user=moderator, days=2), user=moderator)
    run()
    run()
    reminder, = mails_to("jeroen@ser.example.org")
    assert reminder.subject == "Deellink nog niet geopend – Leerwerkloket Rivierenland"
    text, _html = mail_parts(reminder)
    assert "nog niet geopend" in text and f"/sessies/{due.pk}/advies/#versturen" in text
    assert SentReminder.objects.filter(kind="share_expiry").get().key == str(soon.pk)
    assert ShareLink.objects.count() == 4


def test_a_mail_that_fails_is_tried_again_the_next_day(due):
    with smtp_server(refuse={"sanne@ser.example.org"}) as received:
        run()
    assert not received and not SentReminder.objects.exists()
    with smtp_server() as received:
        run()
        run()
    assert [to for _sender, to, _message in received] == [["sanne@ser.example.org"]]


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_mail(due):
    threads = [in_thread(run) for _ in range(2)]
    for thread, outcome in threads:
        thread.join(timeout=60)
        assert "error" not in outcome, outcome
    assert len(mails_to("sanne@ser.example.org")) == 1
