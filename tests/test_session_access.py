"""Who may open and change a session: its moderator, its notulist and staff. Everyone else gets
a 404 (the session's existence is not revealed); anonymous users go to the login page. Every
URL's gate is in the access tables of tests/test_security.py; here what they do not show: ids of
another session inside this session's URLs, and lists that show only one's own sessions."""

import pytest
from django.test import Client
from django.urls import reverse

from sessions.models import ActionPoint

from .helpers import client_for


@pytest.mark.parametrize("who", ["moderator", "notulist", "staff"])
def test_members_and_staff_open_every_screen(who, scan_session, request):
    user = request.getfixturevalue(who)
    client = client_for(Client, user)
    for name in ("detail", "cockpit", "notulist", "wrap_up"):
        response = client.get(reverse(f"sessions:{name}", args=[scan_session.pk]))
        assert response.status_code == 200, (who, name)


def test_history_is_for_the_sessions_members_and_staff(scan_session, moderator, notulist, staff, outsider):
    url = reverse("sessions:history", args=[scan_session.pk])
    for user in (moderator, notulist, staff):
        assert client_for(Client, user).get(url).status_code == 200
    assert client_for(Client, outsider).get(url).status_code == 404
    # The audit log stays with staff.
    log = reverse("reports:audit_log", args=[scan_session.pk])
    assert log not in client_for(Client, moderator).get(url).content.decode()
    assert log in client_for(Client, staff).get(url).content.decode()


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


def test_the_notulist_sees_the_choice_but_gets_no_buttons_to_run_the_session(scan_session, notulist, moderator):
    """README "Wie mag wat": the moderator chooses the factors and starts; the notulist is told so."""
    html = client_for(Client, notulist).get(reverse("sessions:detail", args=[scan_session.pk])).content.decode()
    assert reverse("sessions:choose_factors", args=[scan_session.pk]) not in html
    assert reverse("sessions:start", args=[scan_session.pk]) not in html
    assert "De moderator kiest de succesfactoren en start de sessie." in html
    cockpit = client_for(Client, notulist).get(reverse("sessions:cockpit", args=[scan_session.pk])).content.decode()
    assert reverse("sessions:start", args=[scan_session.pk]) not in cockpit
    html = client_for(Client, moderator).get(reverse("sessions:detail", args=[scan_session.pk])).content.decode()
    assert reverse("sessions:choose_factors", args=[scan_session.pk]) in html
    assert reverse("sessions:start", args=[scan_session.pk]) in html
