"""Sending the finalized advice to the initiative by e-mail: the form (prefilled, validated,
previewed), the mail (plain text and HTML, a fresh share link and its expiry, the PDF only when
asked, the session's language), the record and audit line of every sending, and what happens when
the mail server refuses (a real SMTP server in the test)."""

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from reports.models import AdviceDelivery, AdviceVersion, ShareLink
from reports.pipeline import months_before
from sessions.models import AuditEvent

from .helpers import client_for, finalized_version, mail_parts, smtp_server


@pytest.fixture
def version(running_session, moderator, notulist):
    initiative = running_session.initiative
    initiative.contact_name = "Marieke Janssen"
    initiative.contact_email = "marieke@leerwerkloket.example.org"
    initiative.save()
    return finalized_version(running_session, moderator, notulist)


@pytest.fixture
def notulist_client(notulist):
    return client_for(Client, notulist)


def send_url(version):
    return reverse("reports:advice_send", args=[version.advice.session_id, version.number])


def post_send(client, version, **data):
    values = {"recipients": "marieke@leerwerkloket.example.org", "message": "Beste Marieke,\n\nHierbij het advies.",
              "days": "30", "action": "send", **data}
    return client.post(send_url(version), values)


def shared_path(text) -> str:
    found = re.search(r"https?://testserver(/deel/[^/\s]+/)", text)
    assert found, text
    return found.group(1)


def test_the_notulist_finds_the_button_and_a_prefilled_form(version, notulist_client):
    page = notulist_client.get(reverse("reports:advice", args=[version.advice.session_id])).content.decode()
    assert "Stuur naar het initiatief" in page and send_url(version) in page
    form = notulist_client.get(send_url(version))
    assert form.status_code == 200
    html = form.content.decode()
    assert "marieke@leerwerkloket.example.org</textarea>" in html
    assert "Beste Marieke Janssen," in html and 'value="90"' in html
    assert not ShareLink.objects.exists()  # opening the form makes nothing


def test_sending_mails_a_fresh_share_link_to_every_address(version, notulist_client, notulist):
    response = post_send(notulist_client, version,
                         recipients="marieke@leerwerkloket.example.org; Jan@Gemeente.example.org,\nmarieke@leerwerkloket.example.org")
    assert response.status_code == 302
    assert response.url.endswith("#verstuurd")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["marieke@leerwerkloket.example.org", "Jan@Gemeente.example.org"]
    assert message.subject == "Uw advies van de LLO Actiescan – Leerwerkloket Rivierenland"
    assert not message.attachments
    text, html = mail_parts(message)
    link = ShareLink.objects.get()
    path = shared_path(text)
    assert ShareLink.objects.for_token(path.split("/")[-2]).get() == link
    assert f"http://testserver{path}" in html
    expiry = link.expires_at.astimezone().strftime("%-d")
    assert "De link werkt tot" in text and expiry in text
    assert "Hierbij het advies." in text and "Hierbij het advies." in html
    assert "Verstuurd door Fatima" in text
    assert 29 <= (link.expires_at - link.created_at).days <= 30
    # The initiative opens it without an account.
    assert Client().get(path).status_code == 200
    # Recorded: who, to whom, when; in the audit log and on the advice page.
    delivery = AdviceDelivery.objects.get()
    assert (delivery.sent_by, delivery.share_link, delivery.error) == (notulist, link, "")
    event = AuditEvent.objects.get(action="sent_advice")
    assert event.user == notulist and "v1 aan marieke@leerwerkloket.example.org, Jan@Gemeente.example.org" == event.detail
    page = notulist_client.get(reverse("reports:advice", args=[version.advice.session_id])).content.decode()
    assert "Het advies (versie 1) is verstuurd naar marieke@leerwerkloket.example.org" in page
    assert "Jan@Gemeente.example.org" in page and "Fatima" in page
    # The link is listed, but not its address: only the token's hash is stored, the address
    # went out in the mail.
    assert path not in page and "Link van " in page
    assert '<script type="module" src="/static/js/copy.js">' in page


def test_the_pdf_is_attached_only_when_asked(version, notulist_client):
    post_send(notulist_client, version, with_pdf="on")
    (name, content, mimetype), = mail.outbox[0].attachments
    assert mimetype == "application/pdf" and name.endswith("-v1.pdf") and content.startswith(b"%PDF")
    assert "Het advies zit ook als PDF bij deze e-mail." in mail.outbox[0].body


def test_wrong_addresses_are_refused_and_the_text_is_kept(version, notulist_client):
    response = post_send(notulist_client, version, recipients="marieke@leerwerkloket, geen-adres",
                         message="Mijn eigen woorden")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Dit is geen geldig e-mailadres: marieke@leerwerkloket, geen-adres." in html
    assert "Mijn eigen woorden</textarea>" in html
    assert not mail.outbox and not ShareLink.objects.exists() and not AdviceDelivery.objects.exists()
    assert post_send(notulist_client, version, recipients=" ").status_code == 400
    too_many = ",".join(f"p{n}@example.org" for n in range(11))
    assert "hoogstens 10" in post_send(notulist_client, version, recipients=too_many).content.decode()


def test_the_preview_shows_the_mail_and_sends_nothing(version, notulist_client):
    response = post_send(notulist_client, version, action="preview", message="Tot ziens <b>allemaal</b>")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Voorbeeld van de e-mail" in html
    assert "Uw advies van de LLO Actiescan – Leerwerkloket Rivierenland" in html
    assert "Tot ziens &lt;b&gt;allemaal&lt;/b&gt;" in html  # the sender's text, escaped
    assert not mail.outbox and not ShareLink.objects.exists()


def test_an_english_session_gets_an_english_mail(version, notulist_client):
    session = version.advice.session
    session.language = "en"
    session.save(update_fields=["language"])
    form = notulist_client.get(send_url(version)).content.decode()
    assert "Dear Marieke Janssen," in form
    post_send(notulist_client, version)
    message = mail.outbox[0]
    assert message.subject == "Your advice from the LLO Actiescan – Leerwerkloket Rivierenland"
    text, html = mail_parts(message)
    assert "Read the advice through this link:" in text and '<html lang="en">' in html
    assert translation.get_language() == "nl"  # the interface stays Dutch


def test_only_whoever_may_share_sends(version, outsider, moderator, staff):
    assert post_send(client_for(Client, outsider), version).status_code == 404
    assert client_for(Client, outsider).get(send_url(version)).status_code == 404
    assert post_send(client_for(Client, moderator), version).status_code == 302
    assert post_send(client_for(Client, staff), version).status_code == 302
    assert len(mail.outbox) == 2


def test_through_a_real_smtp_server(version, notulist_client):
    with smtp_server() as received:
        response = post_send(notulist_client, version, recipients="marieke@leerwerkloket.example.org, jan@example.org")
    assert response.status_code == 302
    (sender, recipients, message), = received
    assert recipients == ["marieke@leerwerkloket.example.org", "jan@example.org"]
    assert message["Subject"] == "Uw advies van de LLO Actiescan – Leerwerkloket Rivierenland"
    assert message["Reply-To"] is None  # the notulist has no e-mail address
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert ShareLink.objects.for_token(shared_path(text).split("/")[-2]).get() == ShareLink.objects.get()
    assert message.get_body(preferencelist=("html",)) is not None


def test_a_refused_address_leaves_nothing_half_done(version, notulist_client, caplog):
    with smtp_server(refuse={"marieke@leerwerkloket.example.org"}) as received:
        response = post_send(notulist_client, version, message="Mijn eigen woorden")
    assert response.status_code == 400 and not received
    html = response.content.decode()
    assert "De e-mail is niet verstuurd." in html
    assert "De mailserver weigerde dit adres: marieke@leerwerkloket.example.org" in html
    assert "Mijn eigen woorden</textarea>" in html
    assert not ShareLink.objects.exists()  # the new link is gone again
    delivery = AdviceDelivery.objects.get()
    assert delivery.share_link is None and "weigerde" in delivery.error
    event = AuditEvent.objects.get(action="sent_advice")
    assert event.detail.startswith("v1 niet verstuurd aan marieke@leerwerkloket.example.org")
    assert "not sent" in caplog.text
    page = notulist_client.get(reverse("reports:advice", args=[version.advice.session_id])).content.decode()
    assert "niet verstuurd" in page


def test_an_address_refused_among_others_is_reported_not_hidden(version, notulist_client):
    """The server takes one address and refuses the other: the mail went to the first, the link
    stays (she can open it), and the sender, the advice page and the audit log name the refused
    address instead of saying 'verstuurd' to both."""
    with smtp_server(refuse={"jan@example.org"}) as received:
        response = post_send(notulist_client, version, recipients="marieke@leerwerkloket.example.org, jan@example.org")
    assert response.status_code == 302
    (_sender, recipients, _message), = received
    assert recipients == ["marieke@leerwerkloket.example.org"]
    delivery = AdviceDelivery.objects.get()
    assert delivery.delivered and delivery.refused == ["jan@example.org"] and delivery.share_link is not None
    page = notulist_client.get(response.url).content.decode()
    assert "maar de mailserver weigerde jan@example.org" in page
    assert "geweigerd door de mailserver:" in page
    event = AuditEvent.objects.get(action="sent_advice")
    assert event.detail == "v1 aan marieke@leerwerkloket.example.org; geweigerd: jan@example.org"


def test_an_unreachable_mail_server_gets_a_clear_message(version, notulist_client, settings):
    # Nothing listens on the discard port of the loopback address.
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2}}}
    response = post_send(notulist_client, version)
    assert response.status_code == 503
    assert "de mailserver is niet bereikbaar" in response.content.decode()
    assert not ShareLink.objects.exists()


def test_purge_expired_wipes_the_addresses_and_messages(version, notulist_client):
    post_send(notulist_client, version)
    AdviceVersion.objects.filter(pk=version.pk).update(finalized_at=months_before(timezone.now(), 25))
    call_command("purge_expired", stdout=io.StringIO())
    delivery = AdviceDelivery.objects.get()
    assert (delivery.recipients, delivery.message) == ([], "")
