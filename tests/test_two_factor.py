"""Two-factor sign-in: required for staff when ACTIESCAN_STAFF_2FA is on (the default with DEBUG
off), optional for moderators and notulisten. Codes are real TOTP codes computed from the
device's key (RFC 6238) at a clock the test moves on, so no test waits for the next 30 s."""

import re
import types

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from actiescan.models import RecoveryCode

from .helpers import PASSWORD, client_for, settings_in_production


class Clock:
    """The time django-otp's TOTP device sees."""

    def __init__(self):
        self.now = 1_790_000_000.0

    def time(self):
        return self.now

    def next_step(self):
        self.now += 30


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("django_otp.plugins.otp_totp.models.time", types.SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture
def required(settings):
    settings.ACTIESCAN_STAFF_2FA = True
    settings.DEBUG = False
    # No waiting between a wrong and a right code in tests (the delay itself is django-otp's).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def code_for(device, clock) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = clock.time()
    return f"{totp.token():0{device.digits}d}"


def log_in(client, username, **extra):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD, **extra})


def logged_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


def enrol(client, user, clock):
    """Set up the app through the pages (the user is logged in or half-way); returns the device
    and the recovery codes shown."""
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200 and b"Beginnen" in page.content
    assert not TOTPDevice.objects.filter(user=user).exists()  # a GET makes nothing
    assert client.post(reverse("two_factor_setup"), {"action": "start"}).status_code == 302
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert 'src="data:image/svg+xml' in page and "Scan deze QR-code" in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert re.sub(r"\s", "", re.search(r'class="secret"[^>]*>([^<]+)<', page).group(1)) in device.config_url
    response = client.post(reverse("two_factor_setup"), {"action": "confirm", "code": code_for(device, clock)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Uw herstelcodes" in html
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", html)
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    # Only hashes are stored.
    stored = set(RecoveryCode.objects.filter(device__user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not any(code.replace("-", "") in h for code in codes for h in stored)
    return device, codes


def test_staff_cannot_sign_in_without_a_second_factor_and_set_it_up_on_the_way(required, staff, clock):
    client = Client()
    response = log_in(client, "sanne")
    assert response.status_code == 302 and response.url == reverse("two_factor_setup")
    assert not logged_in(client)  # the password alone is not a login
    assert client.get("/beheer/").status_code == 302
    device, _codes = enrol(client, staff, clock)
    assert logged_in(client)
    assert client.get("/beheer/").status_code == 200


def test_login_with_a_real_code_a_wrong_code_and_a_replayed_code(required, staff, clock):
    client = Client()
    log_in(client, "sanne")
    device, codes = enrol(client, staff, clock)
    client.post(reverse("logout"))

    clock.next_step()
    code = code_for(device, clock)
    browser = Client()
    response = log_in(browser, "sanne")
    assert response.status_code == 302 and response.url == reverse("second_step")
    assert not logged_in(browser)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = browser.post(reverse("second_step"), {"code": wrong})
    assert response.status_code == 400 and "Deze code klopt niet" in response.content.decode()
    assert not logged_in(browser)
    response = browser.post(reverse("second_step"), {"code": code})
    assert response.status_code == 302 and response.url == reverse("home")
    assert logged_in(browser) and browser.get("/beheer/").status_code == 200

    # The same code again, in another browser within its 30 seconds: refused.
    thief = Client()
    log_in(thief, "sanne")
    response = thief.post(reverse("second_step"), {"code": code})
    assert response.status_code == 400 and not logged_in(thief)

    # A recovery code works once.
    response = thief.post(reverse("second_step"), {"code": codes[0].upper()})
    assert response.status_code == 302 and logged_in(thief)
    again = Client()
    log_in(again, "sanne")
    assert again.post(reverse("second_step"), {"code": codes[0]}).status_code == 400
    assert RecoveryCode.objects.filter(device__user=staff).count() == 9


def test_the_admin_login_asks_for_the_second_factor_too(required, staff, clock, settings):
    client = Client()
    log_in(client, "sanne")
    device, _codes = enrol(client, staff, clock)
    client.post(reverse("logout"))
    clock.next_step()
    admin = Client()
    response = admin.post("/beheer/login/", {"username": "sanne", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("second_step")
    assert admin.get("/beheer/").status_code == 302
    response = admin.post(reverse("second_step"), {"code": code_for(device, clock)})
    assert response.url == "/beheer/"
    assert admin.get("/beheer/").status_code == 200
    # Without a second factor required, the admin login goes straight to the admin.
    settings.ACTIESCAN_STAFF_2FA = False
    TOTPDevice.objects.all().delete()
    assert Client().post("/beheer/login/", {"username": "sanne", "password": PASSWORD}).url == "/beheer/"


def test_a_staff_login_from_before_the_requirement_is_ended(required, staff, running_session):
    client = client_for(Client, staff)  # a login without a second factor
    response = client.get(reverse("sessions:detail", args=[running_session.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not logged_in(client)
    autosave = client_for(Client, staff).post(
        reverse("sessions:save", args=[running_session.pk]), {"field": "x", "value": "y"},
        HTTP_ACCEPT="application/json")
    assert autosave.status_code == 401 and "tweede stap" in autosave.json()["message"]


def test_without_the_requirement_staff_sign_in_with_a_password(settings, staff):
    settings.ACTIESCAN_STAFF_2FA = False
    client = Client()
    assert log_in(client, "sanne").url == reverse("home")
    assert logged_in(client) and client.get("/beheer/").status_code == 200


def test_it_is_optional_for_a_moderator_and_asked_once_switched_on(required, moderator, clock):
    client = Client()
    assert log_in(client, "jeroen").url == reverse("home")
    page = client.get(reverse("two_factor")).content.decode()
    assert "Staat uit" in page
    device, _codes = enrol(client, moderator, clock)
    assert "Staat aan" in client.get(reverse("two_factor")).content.decode()
    client.post(reverse("logout"))
    clock.next_step()
    browser = Client()
    assert log_in(browser, "jeroen").url == reverse("second_step")
    assert browser.post(reverse("second_step"), {"code": code_for(device, clock)}).status_code == 302
    # Switching it off takes a current code.
    assert browser.post(reverse("two_factor"), {"action": "switch_off", "code": "000000"}).status_code == 400
    clock.next_step()
    response = browser.post(reverse("two_factor"), {"action": "switch_off", "code": code_for(device, clock)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=moderator).exists()
    assert log_in(Client(), "jeroen").url == reverse("home")


def test_staff_cannot_switch_it_off_while_required(required, staff, clock):
    client = Client()
    log_in(client, "sanne")
    device, _codes = enrol(client, staff, clock)
    clock.next_step()
    client.post(reverse("two_factor"), {"action": "switch_off", "code": code_for(device, clock)})
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    # New recovery codes replace the old ones.
    old = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    response = client.post(reverse("two_factor"), {"action": "recovery_codes"})
    assert len(re.findall(r"<code>", response.content.decode())) == 10
    assert not old & set(RecoveryCode.objects.values_list("code_hash", flat=True))


def test_a_password_change_ends_the_pending_login(required, staff):
    client = Client()
    log_in(client, "sanne")
    staff.set_password("een-ander-wachtwoord-123")
    staff.save()
    response = client.get(reverse("two_factor_setup"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_staff_2fa_is_on_by_default_in_production():
    assert settings_in_production("ACTIESCAN_STAFF_2FA") == {"ACTIESCAN_STAFF_2FA": True}
    assert settings_in_production("ACTIESCAN_STAFF_2FA", ACTIESCAN_STAFF_2FA="0") == {"ACTIESCAN_STAFF_2FA": False}
