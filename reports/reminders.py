"""The reminders that manage.py send_reminders mails once a day:

- staff: a digest of the initiatives whose follow-up session is due (reports.pipeline), each
  initiative in one digest only;
- the initiative's contact, once, when staff switched it on (Initiative.remind_contact): a short
  note with the action points it chose and how they stand;
- the sender of a share link, a week (ACTIESCAN_SHARE_EXPIRY_REMINDER_DAYS) before it expires,
  when the initiative never opened it.

Each reminder is claimed first (a SentReminder row, unique per kind and subject) and only then
mailed, so running twice, or two runs at once, sends nothing twice. A mail that does not go out
gives its claim back and is tried again the next day."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from actiescan.mail import MailNotSent, absolute_url, compose, deliver
from sessions.models import ActionPoint, ScanSession

from .models import SentReminder, ShareLink, ShareLinkAccess
from .pipeline import with_pipeline

logger = logging.getLogger("actiescan.reminders")

FOLLOW_UP_DIGEST = "follow_up_digest"
FOLLOW_UP_CONTACT = "follow_up_contact"
SHARE_EXPIRY = "share_expiry"


def claim(kind: str, key) -> bool:
    """True when this run may send the reminder (and no other run ever will)."""
    try:
        with transaction.atomic():
            SentReminder.objects.create(kind=kind, key=str(key))
    except IntegrityError:
        return False
    return True


def release(kind: str, keys) -> None:
    SentReminder.objects.filter(kind=kind, key__in=[str(key) for key in keys]).delete()


def sent(message) -> bool:
    try:
        deliver(message)
    except MailNotSent:
        return False  # logged by deliver; tried again tomorrow
    return True


def due_follow_ups(now):
    return (with_pipeline(ScanSession.objects.select_related("initiative"), now=now)
            .filter(follow_up_due=True).order_by("advice_finalized_at", "pk"))


def send_follow_up_digest(now) -> int:
    """One digest per staff member with an address, listing the initiatives newly due."""
    sessions = [session for session in due_follow_ups(now) if claim(FOLLOW_UP_DIGEST, session.pk)]
    if not sessions:
        return 0
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    items = [{"session": session, "url": absolute_url(reverse("reports:initiative_overview",
                                                              args=[session.initiative_id]))}
             for session in sessions]
    context = {"items": items, "months": settings.ACTIESCAN_FOLLOW_UP_MONTHS,
               "overview_url": absolute_url(reverse("reports:sessions_overview"))}
    delivered = sum(
        sent(compose(name="follow_up_digest", context={**context, "user": user}, to=[user.email],
                     language=settings.LANGUAGE_CODE))
        for user in staff
    )
    if not delivered:
        release(FOLLOW_UP_DIGEST, [session.pk for session in sessions])
    return delivered


def send_follow_up_contact_notes(now) -> int:
    """The initiative's contact, once per due session, where staff switched it on."""
    count = 0
    due = due_follow_ups(now).filter(initiative__remind_contact=True).exclude(initiative__contact_email="")
    for session in due:
        if not claim(FOLLOW_UP_CONTACT, session.pk):
            continue
        actions = (ActionPoint.objects.filter(session_factor__session=session).exclude(text="")
                   .select_related("session_factor").order_by("session_factor__position", "position"))
        message = compose(name="follow_up_contact",
                          context={"session": session, "initiative": session.initiative,
                                   "actions": list(actions)},
                          to=[session.initiative.contact_email], language=session.language)
        if sent(message):
            count += 1
        else:
            release(FOLLOW_UP_CONTACT, [session.pk])
    return count


def send_share_expiry_reminders(now) -> int:
    """The sender of a share link that expires within the week and was never opened."""
    count = 0
    soon = now + timezone.timedelta(days=settings.ACTIESCAN_SHARE_EXPIRY_REMINDER_DAYS)
    links = (ShareLink.objects.usable(now).filter(expires_at__lte=soon)
             .exclude(Exists(ShareLinkAccess.objects.filter(link=OuterRef("pk"))))
             .filter(created_by__is_active=True).exclude(created_by__email="")
             .select_related("created_by", "version__advice__session__initiative")
             .defer("version__pdf", "version__content"))
    for link in links:
        if not claim(SHARE_EXPIRY, link.pk):
            continue
        session = link.version.advice.session
        message = compose(
            name="share_expiry",
            context={"link": link, "session": session, "user": link.created_by,
                     "url": absolute_url(reverse("reports:advice", args=[session.pk]) + "#versturen")},
            to=[link.created_by.email], language=session.language,
        )
        if sent(message):
            count += 1
        else:
            release(SHARE_EXPIRY, [link.pk])
    return count
