"""The present screen: read-only, follows the moderator, and opens only for the session's
members or with a short-lived, revocable present code entered on /scherm/ (never through a
public link). Its live updates work without a login."""

import re
from datetime import timedelta
from html import unescape

import pytest
import segno
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from actiescan.clients import client_fingerprint
from sessions import present, services
from sessions.models import PresentCode, PresentCodeFailure, SessionFactor

from .helpers import client_for, plan_session


def screen_url(session):
    return reverse("sessions:present", args=[session.pk])


def sync_url(session):
    return reverse("sessions:present_sync", args=[session.pk])


def make_code(session, user, **changes):
    code = present.create_code(session=session, user=user)
    if changes:
        PresentCode.objects.filter(pk=code.pk).update(**changes)
        code.refresh_from_db()
    return code


def enter(client, code_text):
    return client.post(reverse("sessions:present_enter"), {"code": code_text})


def level_card(html, level):
    """The class attribute of the level card for `level` on the present screen."""
    match = re.search(rf'class="(present-level present-level--{level}[^"]*)"', html)
    assert match, level
    return match.group(1).split()


# --- Who may open the screen ------------------------------------------------------------------

@pytest.mark.parametrize("who", ["moderator", "notulist", "staff"])
def test_members_and_staff_open_the_screen(who, running_session, request):
    user = request.getfixturevalue(who)
    response = client_for(Client, user).get(screen_url(running_session))
    assert response.status_code == 200
    assert escape(running_session.factors.order_by("position").first().title) in response.content.decode()


def test_outsiders_get_404_and_anonymous_visitors_are_asked_for_a_code(running_session, outsider):
    assert client_for(Client, outsider).get(screen_url(running_session)).status_code == 404
    assert client_for(Client, outsider).get(sync_url(running_session)).status_code == 401
    anonymous = Client()
    response = anonymous.get(screen_url(running_session))
    assert response.status_code == 302 and response.url == reverse("sessions:present_enter")
    assert anonymous.get(sync_url(running_session), {"since": 0}).status_code == 401
    case = anonymous.get(reverse("sessions:present_case", args=[running_session.pk]))
    assert case.status_code == 404


def test_the_moderator_makes_and_revokes_codes_the_notulist_cannot(running_session, moderator, notulist, outsider):
    create = reverse("sessions:present_code_create", args=[running_session.pk])
    before = timezone.now()
    response = client_for(Client, moderator).post(create)
    assert response.status_code == 200
    code = PresentCode.objects.get(session=running_session)
    assert code.created_by == moderator
    assert timedelta(hours=11, minutes=59) < code.expires_at - before <= timedelta(hours=12, seconds=5)
    # The code is shown once, as the answer to the POST; only its hash is stored.
    shown = re.search(r'<strong class="present-code"[^>]*>([A-Z0-9]{4})-([A-Z0-9]{4})</strong>',
                      response.content.decode())
    assert shown
    plain = shown.group(1) + shown.group(2)
    assert PresentCode.objects.for_code(plain).get() == code
    assert plain not in str(PresentCode.objects.values_list())
    page = client_for(Client, moderator).get(reverse("sessions:present_codes", args=[running_session.pk]))
    assert shown.group(0) not in page.content.decode() and "Code van" in page.content.decode()

    assert client_for(Client, notulist).post(create).status_code == 403
    assert client_for(Client, outsider).post(create).status_code == 404
    assert client_for(Client, outsider).get(
        reverse("sessions:present_codes", args=[running_session.pk])).status_code == 404
    assert PresentCode.objects.count() == 1

    revoke = reverse("sessions:present_code_revoke", args=[running_session.pk, code.pk])
    assert client_for(Client, notulist).post(revoke).status_code == 403
    assert client_for(Client, moderator).post(revoke).status_code == 302
    code.refresh_from_db()
    assert code.revoked_at is not None


def test_each_code_has_a_qr_code_that_opens_the_screen_with_the_code_filled_in(running_session, moderator):
    html = client_for(Client, moderator).post(
        reverse("sessions:present_code_create", args=[running_session.pk])).content.decode()
    code = PresentCode.objects.get()
    code.code = re.search(r'class="present-code"[^>]*>([A-Z0-9-]+)<', html).group(1).replace("-", "")
    image = re.search(r'<img class="present-codes__qr" src="([^"]+)"[^>]*alt="([^"]+)"', html)
    assert image, "a QR code beside the code"
    # An SVG image from a data: address, which the CSP allows for images (no inline script
    # or style); it carries the /scherm/ address with the code in the fragment only.
    assert image.group(1).startswith("data:image/svg+xml")
    assert code.display_code in image.group(2)
    qr = segno.make(f"http://testserver/scherm/#{code.code}", error="m")
    assert unescape(image.group(1)) == qr.svg_data_uri(scale=4, border=4)


def test_a_code_opens_the_screen_without_an_account(running_session, moderator):
    code = make_code(running_session, moderator)
    client = Client()
    # Typed loosely: small letters, a dash, spaces.
    response = enter(client, f" {code.display_code.lower()} ")
    assert response.status_code == 302 and response.url == screen_url(running_session)
    page = client.get(screen_url(running_session))
    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    first = running_session.factors.order_by("position").first()
    html = page.content.decode()
    assert escape(first.title) in html and escape(first.snapshot["main_question"]) in html
    assert client.get(sync_url(running_session), {"since": 0}).status_code == 200
    # The code is not in the address: the URL alone opens nothing.
    assert code.code not in page.request["PATH_INFO"]
    assert Client().get(screen_url(running_session)).status_code == 302


def test_a_code_opens_only_its_own_session(running_session, moderator, notulist, initiative):
    other = plan_session(initiative, moderator, notulist)
    client = Client()
    enter(client, make_code(running_session, moderator).code)
    assert client.get(screen_url(running_session)).status_code == 200
    assert client.get(screen_url(other)).status_code == 302
    assert client.get(sync_url(other), {"since": 0}).status_code == 401


def test_a_revoked_or_expired_code_stops_working_at_once(running_session, moderator):
    code = make_code(running_session, moderator)
    client = Client()
    enter(client, code.code)
    assert client.get(screen_url(running_session)).status_code == 200
    present.revoke_code(code=code)
    assert client.get(screen_url(running_session)).status_code == 302
    response = client.get(sync_url(running_session), {"since": 0})
    assert response.status_code == 401 and "gesloten" in response.json()["message"]
    # An open screen's next refresh says it is closed.
    fragment = client.get(screen_url(running_session), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="present-body")
    assert fragment.status_code == 200 and "Dit scherm is gesloten" in fragment.content.decode()
    assert "hx-trigger" not in fragment.content.decode()

    expired = make_code(running_session, moderator, expires_at=timezone.now() - timedelta(minutes=1))
    response = enter(Client(), expired.code)
    assert response.status_code == 400 and "verlopen" in response.content.decode()


def test_wrong_codes_are_rate_limited(running_session, moderator, settings):
    settings.ACTIESCAN_PRESENT_CODE_MAX_FAILURES = 3
    good = make_code(running_session, moderator)
    client = Client()
    # Failures from long ago neither count nor stay (kept a day at most).
    old = PresentCodeFailure.objects.create(
        fingerprint=client_fingerprint(RequestFactory().get("/"), "present-code"),  # the test client's address
        at=timezone.now() - timedelta(days=2),
    )
    for attempt in ("AAAAAAAA", "nonsense", "BBBB-BBBB"):
        assert enter(client, attempt).status_code == 400
    assert PresentCodeFailure.objects.count() == 3
    assert not PresentCodeFailure.objects.filter(pk=old.pk).exists()
    # From now on wrong codes are refused for a while, from this address; the right code opens
    # (someone behind the same address may have typed the wrong ones).
    response = enter(client, "CCCC-CCCC")
    assert response.status_code == 429
    assert PresentCodeFailure.objects.count() == 3
    assert client.get(screen_url(running_session)).status_code == 302
    assert enter(client, good.code).status_code == 302
    other_address = Client(REMOTE_ADDR="10.1.2.3")
    assert enter(other_address, "CCCC-CCCC").status_code == 400


def test_closing_the_screen_forgets_the_code(running_session, moderator):
    client = Client()
    enter(client, make_code(running_session, moderator).code)
    assert client.post(reverse("sessions:present_leave")).status_code == 302
    assert client.get(screen_url(running_session)).status_code == 302


# --- What the screen shows --------------------------------------------------------------------

def test_the_screen_shows_the_current_factor_with_levels_highlighted_and_is_read_only(running_session, moderator):
    first, second, _third = running_session.factors.order_by("position")
    services.set_current_factor(session=running_session, session_factor=second)
    SessionFactor.objects.filter(pk=second.pk).update(
        current_level="startend", desired_level="voldragen", discussed=[0],
        minutes="Geheime notulen", rationale="Interne toelichting",
    )
    client = Client()
    enter(client, make_code(running_session, moderator).code)
    html = client.get(screen_url(running_session)).content.decode()
    second.refresh_from_db()
    assert f">{escape(second.title)}</h1>" in html
    assert escape(second.snapshot["main_question"]) in html
    for question in second.snapshot["sub_questions"]:
        assert escape(question) in html
    for text in second.snapshot["levels"].values():
        assert escape(text) in html
    assert "is-current" in level_card(html, "startend") and "is-desired" not in level_card(html, "startend")
    assert "is-desired" in level_card(html, "voldragen") and "is-current" not in level_card(html, "voldragen")
    assert level_card(html, "gevorderd") == ["present-level", "present-level--gevorderd"]
    assert "Hier staan we nu" in html and "Hier willen we naartoe" in html
    assert html.count('class="is-discussed"') == 1
    # Read-only: nothing to type or click that changes the session; no minutes on the wall.
    assert "data-autosave" not in html and "<textarea" not in html and "<input type=\"radio\"" not in html
    assert "Geheime notulen" not in html and "Interne toelichting" not in html
    assert escape(first.title) not in re.sub(r"<title>.*?</title>", "", html, flags=re.S).split("</header>")[1]
    # It follows the moderator through live.js's polling of its own sync endpoint.
    assert f'data-sync-url="{sync_url(running_session)}"' in html
    assert 'hx-trigger="live:refresh from:body"' in html
    assert "css/present.css" in html and "css/actiescan.css" not in html


def test_the_fragment_follows_the_moderator(running_session, moderator):
    client = Client()
    enter(client, make_code(running_session, moderator).code)
    _first, second, third = running_session.factors.order_by("position")
    services.set_current_factor(session=running_session, session_factor=third)
    fragment = client.get(screen_url(running_session), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="present-body")
    html = fragment.content.decode()
    assert fragment.status_code == 200 and html.lstrip().startswith('<div id="present-body"')
    assert f">{escape(third.title)}</h1>" in html and "<html" not in html


def test_a_planned_and_a_closed_session_show_what_fits(scan_session, moderator):
    client = client_for(Client, moderator)
    html = client.get(screen_url(scan_session)).content.decode()
    assert "Het gesprek begint zo" in html
    services.start_session(session=scan_session, user=moderator)
    sf = scan_session.factors.order_by("position").first()
    SessionFactor.objects.filter(pk=sf.pk).update(current_level="gevorderd", desired_level="voldragen")
    services.close_session(session=scan_session, user=moderator)
    html = client.get(screen_url(scan_session)).content.decode()
    assert "Totaaloverzicht" in html and "Gevorderd" in html and "Voldragen" in html


def test_the_wrap_up_shows_as_soon_as_the_moderator_opens_it_with_the_clock_stopped(running_session, moderator):
    first, second, third = running_session.factors.order_by("position")
    services.set_current_factor(session=running_session, session_factor=third)
    SessionFactor.objects.filter(pk=first.pk).update(current_level="startend", desired_level="gevorderd")
    first.action_points.filter(position=1).update(text="Coaches inzetten", owner="Marieke",
                                                  timeframe="voor 1 maart")
    client = Client()
    enter(client, make_code(running_session, moderator).code)
    html = client.get(screen_url(running_session)).content.decode()
    assert f">{escape(third.title)}</h1>" in html and "data-timer-start=\"20" in html

    # The moderator takes the table to the wrap-up (the cockpit's POST).
    response = client_for(Client, moderator).post(
        reverse("sessions:go_to_wrap_up", args=[running_session.pk]))
    assert response.status_code == 302
    html = client.get(screen_url(running_session)).content.decode()
    assert ">Totaaloverzicht</h1>" in html
    # Every factor with its levels, the chart, and the action points per theme.
    for sf in (first, second, third):
        assert f'<th scope="row">{escape(sf.title)}</th>' in html
        assert f'<h3 class="present-actions__theme">{escape(sf.title)}</h3>' in html
    assert "<td>Startend</td><td>Gevorderd</td>" in html
    assert '<svg class="level-chart"' in html
    assert "Coaches inzetten" in html and "Trekker: Marieke" in html and "Termijn: voor 1 maart" in html
    # The clock stopped: no running timer, no question of the factor left behind.
    assert "data-timer-start" not in html and "present-timer" not in html
    assert escape(third.snapshot["main_question"]) not in html

    # An action point typed at the wrap-up shows on the screen.
    running_session.refresh_from_db()
    revision = running_session.revision
    action = second.action_points.get(position=2)
    saved = client_for(Client, moderator).post(
        reverse("sessions:save", args=[running_session.pk]),
        {"field": f"action:{action.pk}:text", "value": "Werkgevers uitnodigen", "version": 0})
    assert saved.status_code == 200
    data = client.get(sync_url(running_session), {"since": revision}).json()
    assert data["refresh"] is True and data["wrap_up"] is True
    assert "Werkgevers uitnodigen" in client.get(screen_url(running_session)).content.decode()

    # Back to a factor: the screen shows it again, its clock running.
    client_for(Client, moderator).post(
        reverse("sessions:go_to_factor", args=[running_session.pk, second.pk]))
    html = client.get(screen_url(running_session)).content.decode()
    assert f">{escape(second.title)}</h1>" in html and "data-timer-start=\"20" in html
    assert "Totaaloverzicht" not in html


def test_action_points_typed_during_a_factor_do_not_reload_the_screen(running_session, moderator):
    client = Client()
    enter(client, make_code(running_session, moderator).code)
    running_session.refresh_from_db()
    revision = running_session.revision
    action = running_session.factors.order_by("position").first().action_points.first()
    client_for(Client, moderator).post(
        reverse("sessions:save", args=[running_session.pk]),
        {"field": f"action:{action.pk}:text", "value": "Iets", "version": 0})
    data = client.get(sync_url(running_session), {"since": revision}).json()
    assert data["refresh"] is False and data["wrap_up"] is False


# --- Live updates -----------------------------------------------------------------------------

def test_sync_answers_204_until_something_on_the_screen_changes(running_session, moderator):
    client = Client()
    enter(client, make_code(running_session, moderator).code)
    running_session.refresh_from_db()
    revision = running_session.revision
    assert client.get(sync_url(running_session), {"since": revision}).status_code == 204

    # The moderator moves to another factor: the screen must reload.
    second = running_session.factors.order_by("position")[1]
    services.set_current_factor(session=running_session, session_factor=second)
    data = client.get(sync_url(running_session), {"since": revision}).json()
    assert data["refresh"] is True and data["current_factor"] == second.pk
    assert data["revision"] == revision + 1 and data["fields"] == {}
    revision = data["revision"]

    # Typed minutes are not on the screen: the revision moves on, no reload.
    moderator_save = client_for(Client, moderator).post(
        reverse("sessions:save", args=[running_session.pk]),
        {"field": f"factor:{second.pk}:minutes", "value": "Notulen", "version": 0})
    assert moderator_save.status_code == 200
    data = client.get(sync_url(running_session), {"since": revision}).json()
    assert data["refresh"] is False and data["revision"] == revision + 1
    revision = data["revision"]

    # A level is on the screen: reload.
    client_for(Client, moderator).post(
        reverse("sessions:save", args=[running_session.pk]),
        {"field": f"factor:{second.pk}:current_level", "value": "gevorderd"})
    data = client.get(sync_url(running_session), {"since": revision}).json()
    assert data["refresh"] is True
    # A client that lost count (no or a future revision) reloads.
    assert client.get(sync_url(running_session), {"since": "x"}).json()["refresh"] is True
    assert client.get(sync_url(running_session), {"since": 10_000}).json()["refresh"] is True
    assert client.get(sync_url(running_session), {"since": "9" * 5000}).json()["refresh"] is True


def test_the_sync_poll_is_cheap(running_session, moderator, django_assert_max_num_queries):
    client = Client()
    enter(client, make_code(running_session, moderator).code)
    running_session.refresh_from_db()
    with django_assert_max_num_queries(2):  # the browser session, then access + revision at once
        assert client.get(sync_url(running_session), {"since": running_session.revision}).status_code == 204
