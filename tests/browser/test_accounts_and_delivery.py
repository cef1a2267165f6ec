"""In a real browser: a newcomer resets a forgotten password from the login page, a staff member
sets up the second factor while signing in, and the notulist sends the finalized advice to the
initiative (copying the share link on the way). Every page passes axe-core's WCAG check."""

import re

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from reports.models import AdviceDelivery, ShareLink

from ..helpers import PASSWORD, finalized_version
from .helpers import axe_violations, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def advice_version(running_session, moderator, notulist):
    initiative = running_session.initiative
    initiative.contact_name, initiative.contact_email = "Marieke Janssen", "marieke@example.org"
    initiative.save()
    return finalized_version(running_session, moderator, notulist)


def test_the_notulist_sends_the_finalized_advice(page, live_server, advice_version):
    session = advice_version.advice.session
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server, "fatima")
    page.goto(f"{live_server.url}/sessies/{session.pk}/advies/")
    page.get_by_role("link", name="Stuur naar het initiatief").click()
    expect(page.get_by_label("Aan")).to_have_value("marieke@example.org")
    found = axe_violations(page)
    page.get_by_role("button", name="Voorbeeld bekijken").click()
    expect(page.get_by_role("heading", name="Voorbeeld van de e-mail")).to_be_visible()
    found += axe_violations(page)
    page.get_by_label("Aan").fill("marieke@example.org, geen-adres")
    page.get_by_role("button", name="Versturen").click()
    expect(page.get_by_text("Dit is geen geldig e-mailadres: geen-adres.")).to_be_visible()
    found += axe_violations(page)
    assert not mail.outbox
    page.get_by_label("Aan").fill("marieke@example.org")
    page.get_by_role("button", name="Versturen").click()
    expect(page.locator(".banner--success")).to_contain_text("is verstuurd naar marieke@example.org")
    found += axe_violations(page)
    assert not found, "\n".join(found)
    message, = mail.outbox
    token = re.search(r"/deel/([^/\s]+)/", message.body).group(1)
    assert ShareLink.objects.for_token(token).get() == ShareLink.objects.get()
    assert AdviceDelivery.objects.get().recipients == ["marieke@example.org"]
    # A link made by hand is shown once; the copy button puts the whole address on the clipboard.
    page.get_by_role("button", name="Deellink maken").click()
    page.get_by_role("button", name="Kopieer de link").click()
    expect(page.locator(".copy-status")).to_contain_text("De link is gekopieerd")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"{live_server.url}/deel/")
    assert ShareLink.objects.for_token(copied.split("/")[-2]).get() == ShareLink.objects.latest("pk")


def test_a_newcomer_resets_the_password_from_the_login_page(page, live_server, moderator):
    moderator.email = "jeroen@example.org"
    moderator.save()
    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_role("link", name="Wachtwoord vergeten?").click()
    found = axe_violations(page)
    page.get_by_label("E-mailadres").fill("jeroen@example.org")
    page.get_by_role("button", name="Stuur mij een link").click()
    expect(page.get_by_role("heading", name="Kijk in uw e-mail")).to_be_visible()
    found += axe_violations(page)
    link = re.search(r"https?://[^/\s]+(/wachtwoord-herstellen/\S+/)", mail.outbox[0].body).group(1)
    page.goto(live_server.url + link)
    found += axe_violations(page)
    page.get_by_label("Nieuw wachtwoord", exact=True).fill("zomer-aan-de-waal-2026")
    page.get_by_label("Nieuw wachtwoord bevestigen").fill("zomer-aan-de-waal-2026")
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(page.get_by_role("heading", name="Wachtwoord opgeslagen")).to_be_visible()
    page.get_by_role("link", name="Inloggen").last.click()
    page.get_by_label("Gebruikersnaam").fill("jeroen")
    page.get_by_label("Wachtwoord").fill("zomer-aan-de-waal-2026")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    assert not found, "\n".join(found)


def test_staff_set_up_the_second_factor_while_signing_in(page, live_server, staff, settings):
    settings.ACTIESCAN_STAFF_2FA = True
    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_label("Gebruikersnaam").fill("sanne")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("button", name="Beginnen").click()
    expect(page.get_by_role("img", name="QR-code om de Actiescan aan uw app toe te voegen")).to_be_visible()
    found = axe_violations(page)
    device = TOTPDevice.objects.get(user=staff)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    page.get_by_label("Code uit de app (6 cijfers)").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_role("heading", name="Uw herstelcodes")).to_be_visible()
    found += axe_violations(page)
    page.get_by_role("link", name="Ik heb de codes bewaard").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    assert not found, "\n".join(found)
