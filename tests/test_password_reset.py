"""Forgetting and changing a password: reset by e-mail from the login page (the same answer
whether or not the address exists, a link that works once), limits per client and per address,
changing one's own password, and what both do to other logins and sync tokens. Plus the e-mail
settings from the environment."""

import io
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from actiescan.models import PasswordResetRequest

from .helpers import (
    PASSWORD,
    client_for,
    mail_parts,
    page_token,
    settings_in_production,
    smtp_server,
    sync,
)

NEW_PASSWORD = "een-heel-nieuw-wachtwoord-2026"


@pytest.fixture
def with_email(moderator):
    moderator.email = "jeroen@example.org"
    moderator.save(update_fields=["email"])
    return moderator


def reset_link(message) -> str:
    found = re.search(r"https?://[^/\s]+(/wachtwoord-herstellen/[^\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_reset_from_the_login_page_end_to_end(with_email, running_session):
    # Logged in elsewhere, with a live screen open (its sync token too).
    elsewhere = client_for(Client, with_email)
    token = page_token(elsewhere, running_session)
    assert sync(elsewhere, running_session, 0, token).status_code == 200

    browser = Client()
    login_page = browser.get(reverse("login")).content.decode()
    assert reverse("password_reset") in login_page and "Wachtwoord vergeten?" in login_page
    response = browser.post(reverse("password_reset"), {"email": "JEROEN@example.org"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert "Kijk in uw e-mail" in browser.get(response.url).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jeroen@example.org"]
    assert message.subject == "Nieuw wachtwoord voor de LLO Actiescan"
    text, html = mail_parts(message)
    assert "Beste Jeroen" in text and "Uw gebruikersnaam is: jeroen" in text
    link = reset_link(message)
    assert link in html and '<html lang="nl">' in html

    # The link leads to a form (Django moves the token into the session first).
    form_url = browser.get(link).url
    page = browser.get(form_url)
    assert "Nieuw wachtwoord kiezen" in page.content.decode()
    response = browser.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("password_reset_complete")

    # The other login is gone, and so is its sync token; the old password no longer works.
    assert elsewhere.get(reverse("home")).status_code == 302
    assert sync(elsewhere, running_session, running_session.revision, token).status_code == 401
    assert Client().post(reverse("login"), {"username": "jeroen", "password": PASSWORD}).status_code == 200
    assert Client().post(reverse("login"), {"username": "jeroen", "password": NEW_PASSWORD}).status_code == 302

    # The link works once.
    again = Client().get(link, follow=True).content.decode()
    assert "Deze link werkt niet meer" in again


def test_the_answer_is_the_same_for_an_unknown_address(with_email):
    known = Client().post(reverse("password_reset"), {"email": "jeroen@example.org"})
    unknown = Client().post(reverse("password_reset"), {"email": "niemand@example.org"})
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert [m.to for m in mail.outbox] == [["jeroen@example.org"]]


def test_a_wrong_address_gets_a_dutch_message(db):
    response = Client().post(reverse("password_reset"), {"email": "geen-adres"})
    assert response.status_code == 200
    assert "Vul een geldig e-mailadres in" in response.content.decode()
    assert not mail.outbox


def test_requests_are_limited_per_address_and_per_client(with_email, settings):
    settings.ACTIESCAN_PASSWORD_RESET_PER_ADDRESS = 3
    settings.ACTIESCAN_PASSWORD_RESET_PER_CLIENT = 5
    # One address from several clients: three mails, then the same answer but no mail.
    for n in range(5):
        response = Client(REMOTE_ADDR=f"192.0.2.{n + 1}").post(
            reverse("password_reset"), {"email": "jeroen@example.org"})
        assert response.status_code == 302
    assert len(mail.outbox) == 3
    # One client asking for many addresses: refused after five, with a message.
    client = Client(REMOTE_ADDR="198.51.100.9")
    for n in range(5):
        assert client.post(reverse("password_reset"), {"email": f"x{n}@example.org"}).status_code == 302
    response = client.post(reverse("password_reset"), {"email": "jeroen@example.org"})
    assert response.status_code == 429 and "te veel links" in response.content.decode()
    # Counted in the database, hashed: no address or IP stored.
    stored = PasswordResetRequest.objects.values_list("fingerprint", "address_hash")
    assert not any("example.org" in f + a or "198.51" in f + a for f, a in stored)


def test_the_reset_mail_goes_out_through_a_real_smtp_server(with_email):
    with smtp_server() as received:
        response = Client().post(reverse("password_reset"), {"email": "jeroen@example.org"})
    assert response.status_code == 302
    assert len(received) == 1
    sender, recipients, message = received[0]
    assert recipients == ["jeroen@example.org"] and "actiescan@localhost" in sender
    assert message["Subject"] == "Nieuw wachtwoord voor de LLO Actiescan"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "/wachtwoord-herstellen/" in text and "/wachtwoord-herstellen/" in html


def test_changing_the_password_keeps_this_login_and_ends_the_others(with_email, running_session):
    here = client_for(Client, with_email)
    elsewhere = client_for(Client, with_email)
    token = page_token(elsewhere, running_session)
    page = here.get(reverse("password_change"))
    assert page.status_code == 200 and "Wachtwoord wijzigen" in page.content.decode()
    response = here.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("account")
    assert "Uw wachtwoord is gewijzigd" in here.get(response.url).content.decode()
    assert here.get(reverse("home")).status_code == 200
    assert elsewhere.get(reverse("home")).status_code == 302
    # The other browser's poll with its old token takes the full path and is logged out.
    assert sync(elsewhere, running_session, running_session.revision, token).status_code == 401


def test_a_wrong_old_password_changes_nothing(with_email):
    client = client_for(Client, with_email)
    response = client.post(reverse("password_change"), {
        "old_password": "fout", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 200
    with_email.refresh_from_db()
    assert with_email.check_password(PASSWORD)


def test_email_settings_come_from_the_environment():
    smtp = "actiescan.mail.SMTPBackend"
    url = settings_in_production(
        "MAILERS", "DEFAULT_FROM_EMAIL",
        EMAIL_URL="smtp://mailer%40ser.nl:ge%23heim@smtp.example.org:587?tls=1",
        DEFAULT_FROM_EMAIL="Actiescan <actiescan@ser.nl>",
    )
    assert url == {
        "MAILERS": {"default": {"BACKEND": smtp, "OPTIONS": {
            "host": "smtp.example.org", "port": 587, "username": "mailer@ser.nl",
            "password": "ge#heim", "use_tls": True, "use_ssl": False, "timeout": 15}}},
        "DEFAULT_FROM_EMAIL": "Actiescan <actiescan@ser.nl>",
    }
    ssl = settings_in_production("MAILERS", EMAIL_URL="smtps://smtp.example.org")["MAILERS"]
    assert ssl["default"]["OPTIONS"]["port"] == 465 and ssl["default"]["OPTIONS"]["use_ssl"] is True
    separate = settings_in_production("MAILERS", EMAIL_HOST="mail.example.org", EMAIL_PORT="2525",
                                      EMAIL_USE_TLS="1")["MAILERS"]["default"]
    assert separate["BACKEND"] == smtp
    assert separate["OPTIONS"]["host"] == "mail.example.org" and separate["OPTIONS"]["port"] == 2525
    assert separate["OPTIONS"]["use_tls"] is True
    # Development without any setting: every mail on the console (./scripts/start).
    development = settings_in_production("MAILERS", DEBUG="1")["MAILERS"]["default"]
    assert development == {"BACKEND": "actiescan.mail.ReadableConsoleBackend"}


def test_the_development_console_shows_the_reset_link_whole(with_email, settings):
    stream = io.StringIO()
    settings.MAILERS = {"default": {"BACKEND": "actiescan.mail.ReadableConsoleBackend",
                                    "OPTIONS": {"stream": stream}}}
    Client().post(reverse("password_reset"), {"email": "jeroen@example.org"})
    printed = stream.getvalue()
    assert "To: jeroen@example.org" in printed and "Subject: Nieuw wachtwoord" in printed
    path = re.search(r"http://testserver(/wachtwoord-herstellen/\S+/)\n", printed).group(1)
    assert Client().get(path).status_code == 302  # a whole, working link
    assert "[+ text/html]" in printed
