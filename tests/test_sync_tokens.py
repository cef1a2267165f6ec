"""The live poll's token: one query instead of the login-session and user lookups, and never
more access than the full path gives (docs/live-protocol.md, sessions/sync_tokens.py)."""

import time
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from sessions import sync_tokens
from sessions.models import ScanSession

from .helpers import client_for, page_token, plan_session, save, sync


def test_the_page_hands_out_a_token_that_answers_an_unchanged_poll_in_one_query(
    running_session, moderator_client, django_assert_num_queries
):
    token = page_token(moderator_client, running_session)
    running_session.refresh_from_db()
    with django_assert_num_queries(1):
        response = sync(moderator_client, running_session, running_session.revision, token)
    assert response.status_code == 204 and response.content == b""
    # Without the token the same answer takes the full path (login session, user, session), and
    # logs the view that its new token covers (sessions.audit: one INSERT, ignored within the window).
    with django_assert_num_queries(4):
        response = sync(moderator_client, running_session, running_session.revision)
    assert response.status_code == 204
    assert response.headers[sync_tokens.HEADER]  # ... and hands out a token for next time


def test_with_a_token_a_change_is_sent_exactly_as_on_the_full_path(
    running_session, moderator_client, notulist, django_assert_max_num_queries
):
    token = page_token(moderator_client, running_session)
    running_session.refresh_from_db()
    since = running_session.revision
    factor = running_session.factors.first()
    save(client_for(Client, notulist), running_session, f"factor:{factor.pk}:minutes", "Nieuw", 0)
    with django_assert_max_num_queries(3):
        fast = sync(moderator_client, running_session, since, token)
    full = sync(moderator_client, running_session, since)
    assert fast.status_code == full.status_code == 200
    assert fast.json() == full.json()
    assert fast.json()["fields"][f"factor:{factor.pk}:minutes"]["value"] == "Nieuw"
    assert sync_tokens.HEADER not in fast.headers  # no renewal without the full check


def test_a_token_is_bound_to_its_session(initiative, moderator, notulist, moderator_client):
    first = plan_session(initiative, moderator, notulist)
    second = plan_session(initiative, moderator, notulist)
    token = page_token(moderator_client, first)
    response = sync(moderator_client, second, second.revision, token)
    assert response.status_code == 204
    # Not accepted: only the full path answers with a fresh token.
    assert response.headers.get(sync_tokens.HEADER)


def test_a_token_is_useless_with_another_login(running_session, moderator, moderator_client, outsider):
    token = page_token(moderator_client, running_session)
    # Another person's browser (an outsider) with the stolen token: full path, 404.
    response = sync(client_for(Client, outsider), running_session, 0, token)
    assert response.status_code == 404
    # The same person logged in elsewhere (another login session): not accepted either.
    other_login = client_for(Client, moderator)
    response = sync(other_login, running_session, 0, token)
    assert response.status_code == 200
    assert response.headers.get(sync_tokens.HEADER)  # answered by the full path


def test_logging_out_ends_the_token_at_once(running_session, moderator_client, notulist):
    client_for(Client, notulist)  # someone else stays logged in: login sessions remain
    token = page_token(moderator_client, running_session)
    cookie = moderator_client.cookies["sessionid"].value
    running_session.refresh_from_db()
    moderator_client.post(reverse("logout"))
    # Even with the old cookie put back, the login session is gone: 401, not 204.
    moderator_client.cookies["sessionid"] = cookie
    response = sync(moderator_client, running_session, running_session.revision, token)
    assert response.status_code == 401
    assert response.json()["error"] == "login"


def test_losing_access_ends_the_token_at_once(running_session, moderator_client, outsider):
    token = page_token(moderator_client, running_session)
    running_session.refresh_from_db()
    ScanSession.objects.filter(pk=running_session.pk).update(moderator=outsider)
    response = sync(moderator_client, running_session, running_session.revision, token)
    assert response.status_code == 404


def test_a_password_change_ends_the_tokens_of_every_login(running_session, moderator, moderator_client):
    token = page_token(moderator_client, running_session)
    running_session.refresh_from_db()
    moderator.set_password("een-ander-lang-wachtwoord")
    moderator.save()
    # Django ends the other logins at their next request; the token path must not outlive that.
    response = sync(moderator_client, running_session, running_session.revision, token)
    assert response.status_code == 401


def test_a_deactivated_user_gets_nothing(running_session, moderator, moderator_client):
    token = page_token(moderator_client, running_session)
    running_session.refresh_from_db()
    moderator.is_active = False
    moderator.save()
    response = sync(moderator_client, running_session, running_session.revision, token)
    assert response.status_code == 401


def test_an_expired_or_tampered_token_takes_the_full_path(running_session, moderator_client):
    token = page_token(moderator_client, running_session)
    running_session.refresh_from_db()
    revision = running_session.revision
    later = time.time() + sync_tokens.MAX_AGE + 5
    for bad in (token[:-2] + "xx", "1:2:3", "x" * 500, token + "\u00b2", token.split(":", 1)[1]):
        response = sync(moderator_client, running_session, revision, bad)
        assert response.status_code == 204 and response.headers.get(sync_tokens.HEADER)
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = sync(moderator_client, running_session, revision, token)
    assert response.status_code == 204
    fresh = response.headers[sync_tokens.HEADER]
    assert fresh and fresh != token


@pytest.mark.parametrize(
    "who, sees",
    [("moderator", True), ("notulist", True), ("staff", True), ("outsider", False),
     ("inactive moderator", False), ("staff without staff rights", False)],
)
def test_the_token_query_gives_access_exactly_as_visible_to(
    who, sees, running_session, moderator, notulist, staff, outsider, rf
):
    """The one-query check mirrors ScanSession.objects.visible_to; the two must not drift."""
    user = {"moderator": moderator, "notulist": notulist, "staff": staff, "outsider": outsider,
            "inactive moderator": moderator, "staff without staff rights": staff}[who]
    client = client_for(Client, user)
    login_key = client.cookies["sessionid"].value
    page_request = rf.get("/")
    page_request.session, page_request.user = client.session, user
    token = sync_tokens.issue(page_request, running_session.pk)
    if who == "inactive moderator":
        user.is_active = False
        user.save()
    if who == "staff without staff rights":
        user.is_staff = False
        user.save()
    request = rf.get("/", headers={sync_tokens.HEADER: token})
    request.COOKIES["sessionid"] = login_key
    user.refresh_from_db()
    by_token = sync_tokens.session_for(request, running_session.pk) is not None
    by_orm = ScanSession.objects.visible_to(user).filter(pk=running_session.pk).exists()
    assert by_token == by_orm == sees


def test_another_session_engine_is_reported_by_the_system_check(settings):
    """Tokens need the login sessions in the database: with another engine every poll takes
    the full path, and `manage.py check` says so instead of slowing down silently."""
    assert not [m for m in sync_tokens.check_session_engine() if m.id == "scan_sessions.W001"]
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    assert [m.id for m in sync_tokens.check_session_engine()] == ["scan_sessions.W001"]
