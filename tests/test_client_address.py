"""Behind a proxy every request comes from the proxy's address. Every per-client limit (wrong
passwords, share-link and present-code and join-code guessing, password resets) must count the
client that X-Forwarded-For names (actiescan.clients.client_address), not the proxy; and a valid
link or code always opens, however many wrong ones this client or anyone else typed."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse

from actiescan.clients import client_address
from reports import services as advice_services
from sessions import present, services

from .helpers import PASSWORD, join_phone, make_join_code

PROXY = "10.0.0.1"  # nginx, as the app sees it
CLIENT_A = "203.0.113.5"
CLIENT_B = "198.51.100.23"


@pytest.fixture(autouse=True)
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def through_proxy(client_ip: str, sent_by_client: str = "") -> Client:
    """A browser at `client_ip` behind our nginx: nginx appends the address it saw to whatever
    X-Forwarded-For the client sent itself ($proxy_add_x_forwarded_for)."""
    forwarded = f"{sent_by_client}, {client_ip}" if sent_by_client else client_ip
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_the_client_address_is_the_one_the_proxy_saw():
    factory = RequestFactory()
    assert client_address(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT_A)) == CLIENT_A
    # What the client wrote into the header itself does not count.
    spoofed = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{CLIENT_B}, {CLIENT_A}")
    assert client_address(spoofed) == CLIENT_A
    # Without the header (not through the proxy) the sender is the client; garbage is ignored.
    assert client_address(factory.get("/", REMOTE_ADDR=PROXY)) == PROXY
    assert client_address(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="unknown")) == PROXY


def test_axes_counts_the_client_behind_the_proxy():
    from axes.helpers import get_client_ip_address

    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{CLIENT_B}, {CLIENT_A}")
    assert settings.AXES_CLIENT_IP_CALLABLE == "actiescan.clients.axes_client_ip"
    assert get_client_ip_address(request) == CLIENT_A


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_wrong_passwords_from_one_client_do_not_lock_out_another(moderator):
    guesser = through_proxy(CLIENT_A)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(guesser, "jeroen", "fout")
    assert log_in(guesser, "jeroen", PASSWORD).status_code == 429
    # Client B comes through the same proxy (same REMOTE_ADDR) and logs in.
    assert log_in(through_proxy(CLIENT_B), "jeroen", PASSWORD).status_code == 302
    # A made-up X-Forwarded-For entry does not get client A out of its lock.
    assert log_in(through_proxy(CLIENT_A, sent_by_client=CLIENT_B), "jeroen", PASSWORD).status_code == 429


def test_password_reset_requests_are_counted_per_client_behind_the_proxy(moderator, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ACTIESCAN_PASSWORD_RESET_PER_CLIENT = 3
    moderator.email = "jeroen@example.org"
    moderator.save()
    guesser = through_proxy(CLIENT_A)
    for n in range(3):
        assert guesser.post(reverse("password_reset"), {"email": f"x{n}@example.org"}).status_code == 302
    assert guesser.post(reverse("password_reset"), {"email": "y@example.org"}).status_code == 429
    spoofing = through_proxy(CLIENT_A, sent_by_client=CLIENT_B)
    assert spoofing.post(reverse("password_reset"), {"email": "y@example.org"}).status_code == 429
    response = through_proxy(CLIENT_B).post(reverse("password_reset"), {"email": "jeroen@example.org"})
    assert response.status_code == 302 and len(mail.outbox) == 1


# --- Share links ----------------------------------------------------------------------------------

@pytest.fixture
def share_token(running_session, moderator, notulist):
    services.close_session(session=running_session, user=moderator)
    advice = advice_services.get_or_draft_advice(session=running_session, user=notulist)
    version = advice_services.finalize(advice=advice, user=notulist)
    _link, token = advice_services.issue_share_link(version=version, user=notulist)
    return token


def open_link(client, token):
    return client.get(reverse("reports:shared", args=[token]))


def test_guessed_share_links_never_block_a_valid_one(share_token, settings):
    settings.ACTIESCAN_SHARE_LINK_MAX_FAILURES = 20
    guesser = through_proxy(CLIENT_A)
    for n in range(20):
        assert open_link(guesser, f"{n:02d}" + "x" * 41).status_code == 404
    assert open_link(guesser, "y" * 43).status_code == 429
    # A spoofed extra entry does not reset the count of client A.
    assert open_link(through_proxy(CLIENT_A, sent_by_client=CLIENT_B), "z" * 43).status_code == 429
    # The valid link opens for another client behind the same proxy, and even for the guesser.
    assert open_link(through_proxy(CLIENT_B), share_token).status_code == 200
    assert open_link(guesser, share_token).status_code == 200
    assert guesser.get(reverse("reports:shared_pdf", args=[share_token])).status_code == 200
    # Client B's own wrong token is answered as wrong, not as rate limited.
    assert open_link(through_proxy(CLIENT_B), "q" * 43).status_code == 404


# --- Present codes and join codes -----------------------------------------------------------------

def enter_present_code(client, code):
    return client.post(reverse("sessions:present_enter"), {"code": code})


def test_guessed_present_codes_never_block_a_valid_one(running_session, moderator, settings):
    settings.ACTIESCAN_PRESENT_CODE_MAX_FAILURES = 20
    code = present.create_code(session=running_session, user=moderator)
    guesser = through_proxy(CLIENT_A)
    for n in range(20):
        assert enter_present_code(guesser, f"AAAA{n:04d}").status_code == 400
    assert enter_present_code(guesser, "BBBB-BBBB").status_code == 429
    assert enter_present_code(through_proxy(CLIENT_A, sent_by_client=CLIENT_B), "CCCC-CCCC").status_code == 429
    other = through_proxy(CLIENT_B)
    assert enter_present_code(other, "CCCC-CCCC").status_code == 400
    assert enter_present_code(other, code.display_code).status_code == 302
    assert enter_present_code(guesser, code.display_code).status_code == 302
    assert guesser.get(reverse("sessions:present", args=[running_session.pk])).status_code == 200


def test_guessed_join_codes_never_block_a_valid_one(running_session, moderator, settings):
    settings.ACTIESCAN_JOIN_CODE_MAX_FAILURES = 20
    code = make_join_code(running_session, moderator)
    guesser = through_proxy(CLIENT_A)
    for n in range(20):
        assert join_phone(guesser, f"AAAA{n:04d}").status_code == 400
    assert join_phone(guesser, "BBBB-BBBB").status_code == 429
    assert join_phone(through_proxy(CLIENT_A, sent_by_client=CLIENT_B), "CCCC-CCCC").status_code == 429
    other = through_proxy(CLIENT_B)
    assert join_phone(other, "CCCC-CCCC").status_code == 400
    assert join_phone(other, code).status_code == 302
    assert join_phone(guesser, code).status_code == 302
