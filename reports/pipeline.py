"""Where each scan session stands on its way to the initiative (the staff overview's pipeline),
and when an initiative is due for a follow-up session. It lives here, not with the session,
because it reads the advice: the reports app knows both."""

import calendar

from django.conf import settings
from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sessions.models import ScanSession, Status

from .models import AdviceVersion, ShareLink


class PipelineStage(models.TextChoices):
    """Where a session stands, for the staff overview. Exactly one stage per session:

    - gepland: status *gepland*;
    - gehouden: status *bezig* or *afgerond*, and its advice has no finalized version yet;
    - advies definitief: the advice has at least one finalized version (AdviceVersion), and no
      share link was ever created for any of its versions;
    - gedeeld: a share link was created for one of its versions (also when that link has been
      revoked or has expired since: the advice did reach the initiative).

    *Follow-up nodig* is not a stage but a flag on top (`follow_up_due`): the session's latest
    finalized advice version is older than ACTIESCAN_FOLLOW_UP_MONTHS months, no other session
    of the same initiative starts later (whatever its status), and the initiative is no casus.
    """

    GEPLAND = "gepland", _("gepland")
    GEHOUDEN = "gehouden", _("gehouden")
    ADVIES_DEFINITIEF = "advies_definitief", _("advies definitief")
    GEDEELD = "gedeeld", _("gedeeld")


def months_before(moment, months: int):
    """The same moment `months` calendar months earlier (31 March minus one month is
    28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def follow_up_cutoff(now=None):
    """Advice finalized before this moment is due for a follow-up session."""
    return months_before(now or timezone.now(), settings.ACTIESCAN_FOLLOW_UP_MONTHS)


def with_pipeline(sessions=None, now=None):
    """The sessions (all when None) annotated with where each stands (see PipelineStage):
    `pipeline_stage`, `advice_finalized_at` (latest finalized advice version), `advice_shared`,
    `has_newer_session` and `follow_up_due`."""
    if sessions is None:
        sessions = ScanSession.objects.all()
    versions = AdviceVersion.objects.filter(advice__session=OuterRef("pk"))
    newer = ScanSession.objects.filter(
        initiative=OuterRef("initiative"), starts_at__gt=OuterRef("starts_at")
    )
    cutoff = follow_up_cutoff(now)
    return sessions.annotate(
        advice_finalized_at=Subquery(
            versions.order_by("-finalized_at").values("finalized_at")[:1]
        ),
        advice_shared=Exists(ShareLink.objects.filter(version__advice__session=OuterRef("pk"))),
        has_newer_session=Exists(newer),
    ).annotate(
        pipeline_stage=Case(
            When(status=Status.GEPLAND, then=Value(PipelineStage.GEPLAND.value)),
            When(advice_shared=True, then=Value(PipelineStage.GEDEELD.value)),
            When(advice_finalized_at__isnull=False,
                 then=Value(PipelineStage.ADVIES_DEFINITIEF.value)),
            default=Value(PipelineStage.GEHOUDEN.value),
            output_field=CharField(),
        ),
        follow_up_due=Case(
            When(
                Q(advice_finalized_at__lt=cutoff, has_newer_session=False,
                  initiative__is_case=False),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
