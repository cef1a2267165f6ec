"""Who may open and change a session: its moderator, its notulist and staff. Everyone else gets
a 404 (the session's existence is not revealed); anonymous users go to the login page."""

import pytest
from django.test import Client
from django.urls import reverse

from sessions.models import ActionPoint, Participant, SessionFactor, Status

from .helpers import client_for


def session_urls(session):
    factor = session.factors.first()
    participant = Participant.objects.create(session=session, name="Marieke")
    pk = session.pk
    return [
        ("get", reverse("sessions:detail", args=[pk]), {}),
        ("get", reverse("sessions:edit", args=[pk]), {}),
        ("get", reverse("sessions:cockpit", args=[pk]), {}),
        ("get", reverse("sessions:notulist", args=[pk]), {}),
        ("get", reverse("sessions:wrap_up", args=[pk]), {}),
        ("get", reverse("sessions:sync", args=[pk]) + "?since=0", {}),
        ("get", reverse("sessions:history", args=[pk]), {}),
        ("post", reverse("sessions:choose_factors", args=[pk]), {"factors": [factor.factor_id]}),
        ("post", reverse("sessions:move_factor", args=[pk, factor.pk, "omlaag"]), {}),
        ("post", reverse("sessions:add_participant", args=[pk]), {"name": "X", "role": "representant"}),
        ("post", reverse("sessions:remove_participant", args=[pk, participant.pk]), {}),
        ("post", reverse("sessions:start", args=[pk]), {}),
        ("post", reverse("sessions:save", args=[pk]),
         {"field": f"factor:{factor.pk}:minutes", "value": "x", "version": "0"}),
        ("post", reverse("sessions:close", args=[pk]), {}),
        ("post", reverse("sessions:reopen", args=[pk]), {}),
    ]


def test_outsider_gets_404_on_every_session_url(scan_session, outsider):
    client = client_for(Client, outsider)
    for method, url, data in session_urls(scan_session):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
    scan_session.refresh_from_db()
    assert scan_session.status == Status.GEPLAND
    assert not SessionFactor.objects.filter(session=scan_session, minutes="x").exists()
    assert Participant.objects.filter(session=scan_session).count() == 1


def test_anonymous_is_sent_to_login_or_told_to_log_in(scan_session):
    client = Client()
    for method, url, data in session_urls(scan_session):
        response = getattr(client, method)(url, data)
        if "/opslaan/" in url or "/sync/" in url:
            assert response.status_code == 401
            assert "Log" in response.json()["message"]
        else:
            assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["moderator", "notulist", "staff"])
def test_members_and_staff_open_every_screen(who, scan_session, request):
    user = request.getfixturevalue(who)
    client = client_for(Client, user)
    for name in ("detail", "cockpit", "notulist", "wrap_up"):
        response = client.get(reverse(f"sessions:{name}", args=[scan_session.pk]))
        assert response.status_code == 200, (who, name)


def test_notulist_may_not_close_reopen_or_replan(scan_session, notulist):
    client = client_for(Client, notulist)
    assert client.post(reverse("sessions:close", args=[scan_session.pk])).status_code == 403
    assert client.get(reverse("sessions:edit", args=[scan_session.pk])).status_code == 403
    assert client.get(reverse("sessions:plan")).status_code == 403
    scan_session.refresh_from_db()
    assert scan_session.status == Status.GEPLAND


def test_history_is_for_staff_only(scan_session, moderator, staff):
    assert client_for(Client, moderator).get(
        reverse("sessions:history", args=[scan_session.pk])).status_code == 403
    assert client_for(Client, staff).get(
        reverse("sessions:history", args=[scan_session.pk])).status_code == 200


def test_foreign_ids_inside_a_session_are_not_found(scan_session, moderator, notulist, initiative):
    """An action point of another session cannot be saved through this session's URL."""
    from .helpers import plan_session

    other = plan_session(initiative, notulist, moderator)
    foreign_action = ActionPoint.objects.filter(session_factor__session=other).first()
    foreign_factor = other.factors.first()
    client = client_for(Client, moderator)
    url = reverse("sessions:save", args=[scan_session.pk])
    for key in (f"action:{foreign_action.pk}:text", f"factor:{foreign_factor.pk}:minutes",
                f"session:{other.pk}:general_minutes"):
        response = client.post(url, {"field": key, "value": "gekaapt", "version": "0"})
        assert response.status_code == 404, key
    foreign_action.refresh_from_db()
    assert foreign_action.text == ""
    response = client.post(
        reverse("sessions:move_factor", args=[scan_session.pk, foreign_factor.pk, "omhoog"])
    )
    assert response.status_code == 404


def test_session_list_shows_only_own_sessions(scan_session, outsider, moderator, staff):
    assert "Leerwerkloket" not in client_for(Client, outsider).get(reverse("sessions:list")).content.decode()
    assert "Leerwerkloket" in client_for(Client, moderator).get(reverse("sessions:list")).content.decode()
    assert "Leerwerkloket" in client_for(Client, staff).get(reverse("sessions:list")).content.decode()
