"""Every page with every relation that may be empty, empty (issue 13, item 3).

A session planned without a notulist (the plan form allows it), an event whose organiser's account
is gone, rows written by a user who has since been deleted (audit log, history, versions, status
updates, deliveries, reflections, codes), no previous session, an initiative without a contact
e-mail: each is a None where a template expects a person or an object. The test builds one data
set with all of them and opens every URL of the project — found by walking the URL resolver, so a
new page is covered without being listed — as staff, as the moderator and as the notulist. No
answer may be a 500."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actiescan.roles import MODERATOR_GROUP
from reports import services as advice_services
from reports.models import AdviceDelivery, AdviceVersion, ShareLink
from sessions import autosave, events, phones, present, services
from sessions.models import (
    ActionPoint,
    ActionProposal,
    AuditEvent,
    Event,
    FieldRevision,
    Participant,
    PhoneParticipant,
    Reflection,
    ScanSession,
    Status,
)

from .helpers import client_for, make_user, plan_session
from .test_security import every_route

pytestmark = pytest.mark.django_db

# Live streams never end by themselves; their answers are covered in tests/test_push.py and
# tests/test_phones.py. The admin is Django's own.
SKIPPED = {"sessions:stream", "sessions:phone_stream"}


@pytest.fixture
def empty_world(initiative, moderator, notulist, staff):
    """Two sessions of an initiative without a contact e-mail: `held` was led, closed and turned
    into an advice by a moderator whose account was deleted afterwards (moderator None, and None
    on every row they wrote); `lonely` was planned without a notulist, is running and is a table
    of an event whose organiser's account is gone too. Neither has a previous session."""
    gone = make_user("weg", MODERATOR_GROUP, first_name="Weg")
    assert initiative.contact_email == ""

    held = plan_session(initiative, gone, notulist)
    services.start_session(session=held, user=gone)
    factor = held.factors.order_by("position").first()
    autosave.save_field(session=held, key=f"factor:{factor.pk}:minutes", values=["Notulen"], version=0, user=gone)
    autosave.save_field(session=held, key=f"factor:{factor.pk}:current_level", values=["gevorderd"],
                        version=None, user=gone)
    ActionPoint.objects.filter(session_factor=factor, position=1).update(text="Coaches inzetten", owner="Ans")
    action = factor.action_points.get(position=1)
    services.set_action_status(action_point=action, status="bezig", comment="Loopt", user=gone)
    Participant.objects.create(session=held, name="Marieke", role="representant")
    code, _plain = phones.create_code(session=held, user=gone)
    phone = PhoneParticipant.objects.create(session=held, join_code=code, name="Anna")
    ActionProposal.objects.create(participant=phone, session_factor=factor, text="Idee")
    present.create_code(session=held, user=gone)
    events.save_reflection(answers={"insights": "Veel geleerd"}, version=0, user=gone, session=held)
    services.close_session(session=held, user=gone)
    advice = advice_services.get_or_draft_advice(session=held, user=gone)
    version = advice_services.finalize(advice=advice, user=gone)
    link, token = advice_services.issue_share_link(version=version, user=gone)
    AdviceDelivery.objects.create(version=version, share_link=None, recipients=["a@example.org"], sent_by=gone)
    AuditEvent.objects.create(session=held, user=gone, action="viewed_minutes")

    event = Event.objects.create(name="Werkbijeenkomst", starts_at=timezone.now(), organiser=gone)
    events.save_reflection(answers={"insights": "Samen"}, version=0, user=gone, event=event)
    lonely = plan_session(initiative, moderator, None)
    ScanSession.objects.filter(pk=lonely.pk).update(event=event)
    services.start_session(session=lonely, user=moderator)

    gone.delete()
    held.refresh_from_db()
    lonely.refresh_from_db()
    event.refresh_from_db()
    # What the data set is for: every one of these is empty.
    assert held.moderator is None and held.closed_by is None and held.previous_session is None
    assert lonely.notulist is None and lonely.previous_session is None and event.organiser is None
    assert not FieldRevision.objects.filter(session=held, author__isnull=False).exists()
    assert AuditEvent.objects.filter(session=held, user__isnull=True).exists()
    assert ActionPoint.objects.get(pk=action.pk).status_updated_by is None
    assert AdviceVersion.objects.get(pk=version.pk).finalized_by is None
    assert ShareLink.objects.get(pk=link.pk).created_by is None
    assert not Reflection.objects.filter(updated_by__isnull=False).exists()
    phone.join_code = None
    phone.save()
    return {
        "held": held, "lonely": lonely, "event": event, "initiative": initiative,
        "version": version, "link": link, "token": token, "action": action, "phone": phone,
    }


def url_values(world, session) -> dict:
    """The value of every URL argument for pages about `session`."""
    factor = session.factors.order_by("position").first()
    revision = FieldRevision.objects.filter(session=session).first()
    return {
        "pk": session.pk, "factor_pk": factor.pk if factor else 1,
        "participant_pk": getattr(session.participants.first(), "pk", 1),
        "revision_pk": revision.pk if revision else 1,
        "number": world["version"].number, "link_pk": world["link"].pk,
        "code_pk": 1, "phone_pk": world["phone"].pk, "proposal_pk": 1,
        "direction": "omhoog", "token": world["token"], "uidb64": "MQ",
    }


def urls_of(route: str, values: dict, world) -> list[str]:
    """`route` with its arguments filled in; a `pk` means the object the route's prefix names."""
    pk_of = {
        "initiatieven/": [world["initiative"].pk], "overzicht/initiatieven/": [world["initiative"].pk],
        "bijeenkomsten/": [world["event"].pk], "actiepunten/": [world["action"].pk],
        "casus/": [world["initiative"].pk],
    }
    pks = next((ids for prefix, ids in pk_of.items() if route.startswith(prefix)), [values["pk"]])

    def fill(pk):
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>",
                            lambda m: str(pk if m.group(1) == "pk" else values.get(m.group(1), "x")), route)

    return [fill(pk) for pk in pks]


@pytest.mark.parametrize("role", ["staff", "moderator", "notulist"])
def test_every_page_opens_with_every_empty_relation_empty(empty_world, role, request):
    client = client_for(Client, request.getfixturevalue(role))
    answered = {}
    for session in (empty_world["held"], empty_world["lonely"]):
        values = url_values(empty_world, session)
        for route, name in every_route():
            if name in SKIPPED:
                continue
            for url in urls_of(route, values, empty_world):
                if url in answered:  # a page without a session in its address, seen already
                    continue
                try:
                    response = client.get(url)
                except Exception as error:  # the test client re-raises what would be a 500
                    pytest.fail(f"{role} GET {url} ({name}): {error!r}")
                assert response.status_code < 500, (role, url, name, response.status_code)
                answered[url] = response.status_code
    assert len(answered) >= 100
    # The pages this is about did open (not only refused).
    opened = [reverse("sessions:list"), reverse("sessions:events"),
              reverse("sessions:detail", args=[empty_world[
                  "held" if role == "notulist" else "lonely"].pk])]
    if role == "staff":
        opened += [reverse("sessions:event", args=[empty_world["event"].pk]),
                   reverse("sessions:detail", args=[empty_world["held"].pk]),
                   reverse("sessions:history", args=[empty_world["held"].pk]),
                   reverse("reports:audit_log", args=[empty_world["held"].pk]),
                   reverse("reports:advice", args=[empty_world["held"].pk])]
    for url in opened:
        assert answered[url] == 200, (role, url, answered[url])


def test_the_pages_of_the_issue_show_a_dash_for_a_missing_person(empty_world, staff, moderator):
    client = client_for(Client, staff)
    lonely = empty_world["lonely"]
    html = client.get(reverse("sessions:detail", args=[lonely.pk])).content.decode()
    assert re.search(r"<dt>Notulist</dt><dd>–</dd>", html)
    html = client.get(reverse("sessions:event", args=[empty_world["event"].pk])).content.decode()
    assert "Organisator: –" in html
    html = client.get(reverse("sessions:history", args=[empty_world["held"].pk])).content.decode()
    assert "<td>–</td>" in html
    assert client_for(Client, moderator).get(reverse("sessions:list")).status_code == 200
    assert Status.BEZIG == ScanSession.objects.get(pk=lonely.pk).status


def test_every_export_holds_the_sessions_with_empty_relations(empty_world, staff):
    """The exports and the initiative export, as staff downloads them, with the deleted moderator,
    the missing notulist and the event without organiser in the rows."""
    from reports.exports import EXPORT_KINDS

    client = client_for(Client, staff)
    for kind in EXPORT_KINDS:
        for fmt in ("xlsx", "csv", "json"):
            response = client.get(reverse("reports:sessions_export"), {"kind": kind, "format": fmt, "minutes": "on"})
            assert response.status_code == 200, (kind, fmt, response.status_code)
    for fmt in ("xlsx", "csv", "json"):
        assert client.get(reverse("reports:initiatives_export"), {"format": fmt}).status_code == 200
    response = client.get(reverse("sessions:event_export", args=[empty_world["event"].pk]))
    assert response.status_code == 200
