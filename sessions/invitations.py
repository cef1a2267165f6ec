"""Calendar invitations (uitnodigingen) for the moderator and the notulist of a planned session.

Each gets a short mail with an .ics file (icalendar): UID stable per session, so a calendar
replaces its earlier copy; SEQUENCE raised on every change (ScanSession.invitation_sequence);
METHOD:CANCEL when the session is removed or someone is no longer in it. Times are in
Europe/Amsterdam with the zone's rules in the file. People without an e-mail address are skipped.
A mail that does not go out never undoes the planning: the planner is told, and it is logged."""

import copy
from datetime import timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from actiescan.mail import MailNotSent, absolute_url, compose, deliver
from actiescan.users import display_name

from .models import ScanSession, Status

# The session design plans 60–90 minutes for a scan conversation.
SESSION_DURATION = timedelta(minutes=90)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
REQUEST, CANCEL = "REQUEST", "CANCEL"


def uid(session) -> str:
    """The same for every invitation of one session (the creation time keeps it unique across
    databases that reuse ids)."""
    return f"actiescan-sessie-{session.pk}-{int(session.created_at.timestamp())}@actiescan"


def people(session) -> dict:
    """Who is invited, by role: {"moderator": user, "notulist": user} (missing ones left out)."""
    return {role: user for role, user in (("moderator", session.moderator), ("notulist", session.notulist))
            if user is not None}


def details(session) -> tuple:
    """What an invitation shows: a change in these sends an update."""
    return (session.starts_at, session.location, session.moderator_id, session.notulist_id,
            session.initiative_id)


def ics(session, *, method: str, sequence: int) -> bytes:
    with translation.override(session.language):
        start = timezone.localtime(session.starts_at, AMSTERDAM)
        event = Event()
        event.add("uid", uid(session))
        event.add("sequence", sequence)
        event.add("dtstamp", timezone.now())
        event.add("dtstart", start)
        event.add("dtend", start + SESSION_DURATION)
        event.add("summary", _("LLO Actiescan met %(initiative)s") % {"initiative": session.initiative.name})
        if session.location:
            event.add("location", session.location)
        url = "" if method == CANCEL else absolute_url(reverse("sessions:detail", args=[session.pk]))
        if url:
            event.add("url", url)
            event.add("description", _("De sessie in de Actiescan: %(url)s") % {"url": url})
        organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
        organizer.params["cn"] = vText(_("LLO Actiescan"))
        event.add("organizer", organizer)
        for user in people(session).values():
            if user.email:
                attendee = vCalAddress(f"mailto:{user.email}")
                attendee.params["cn"] = vText(display_name(user))
                attendee.params["role"] = vText("REQ-PARTICIPANT")
                event.add("attendee", attendee)
        event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    calendar = Calendar()
    calendar.add("prodid", "-//SER//LLO Actiescan//NL")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _send(session, user, role: str, *, method: str, sequence: int, changed: bool) -> str:
    """Mail one person; "" when it went out (or they have no address), else what went wrong."""
    if not user.email:
        return ""
    message = compose(
        name="invitation",
        context={"session": session, "user": user, "role": role, "cancelled": method == CANCEL,
                 "changed": changed,
                 "url": "" if method == CANCEL else absolute_url(reverse("sessions:detail", args=[session.pk])),
                 "starts_at": timezone.localtime(session.starts_at, AMSTERDAM)},
        to=[user.email], language=session.language,
    )
    message.attach("uitnodiging.ics", ics(session, method=method, sequence=sequence),
                   f"text/calendar; method={method}")
    try:
        deliver(message)
    except MailNotSent as error:
        return _("Uitnodiging voor %(name)s niet verstuurd: %(error)s") % {
            "name": display_name(user), "error": error}
    return ""


def invite(*, session) -> list[str]:
    """The first invitation, when a session is planned. Returns what went wrong (if anything)."""
    return [problem for role, user in people(session).items()
            if (problem := _send(session, user, role, method=REQUEST,
                                 sequence=session.invitation_sequence, changed=False))]


def update(*, session, before: tuple, previous_people: dict) -> list[str]:
    """After an edit: when what the invitation shows changed, everyone in the session gets the
    new version (SEQUENCE + 1), and whoever left the session a cancellation."""
    if details(session) == before:
        return []
    ScanSession.objects.filter(pk=session.pk).update(invitation_sequence=F("invitation_sequence") + 1)
    session.refresh_from_db(fields=["invitation_sequence"])
    sequence = session.invitation_sequence
    current = people(session)
    problems = [_send(session, user, role, method=REQUEST, sequence=sequence, changed=True)
                for role, user in current.items()]
    current_ids = {user.pk for user in current.values()}
    problems += [_send(session, user, role, method=CANCEL, sequence=sequence, changed=True)
                 for role, user in previous_people.items() if user.pk not in current_ids]
    return [problem for problem in problems if problem]


def cancel(*, session) -> list[str]:
    """The session is removed: a cancellation to everyone in it, if it was still to come."""
    if session.status != Status.GEPLAND or session.starts_at <= timezone.now():
        return []
    sequence = session.invitation_sequence + 1
    return [problem for role, user in people(session).items()
            if (problem := _send(session, user, role, method=CANCEL, sequence=sequence, changed=False))]


def cancel_when_removed(sender, instance, **kwargs):
    """post_delete of a ScanSession (the admin's delete, or an initiative removed with its
    sessions): the cancellation goes out once the removal is committed. Failures are logged
    (actiescan.mail); there is nobody to tell on screen."""
    if instance.status != Status.GEPLAND or instance.starts_at <= timezone.now():
        return
    # A copy keeps its id (Django clears the instance's after the delete), with its people and
    # initiative loaded now: after the commit an initiative removed along with it is gone.
    session = copy.copy(instance)
    people(session), session.initiative  # noqa: B018
    transaction.on_commit(lambda: cancel(session=session))
