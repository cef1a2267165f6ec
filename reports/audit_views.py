"""The audit log of one session, for SER staff: who viewed or changed its minutes and advice."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from actiescan.roles import is_ser_staff
from sessions.access import get_session

from .models import ShareLinkAccess


@login_required
@require_GET
def session_log(request, pk):
    session = get_session(request, pk)
    if not is_ser_staff(request.user):
        raise PermissionDenied(_("Alleen SER-medewerkers kunnen het logboek inzien."))
    events = session.audit_events.select_related("user")[:1000]
    openings = ShareLinkAccess.objects.filter(link__version__advice__session=session)
    return render(
        request,
        "pages/audit_log.html",
        {
            "session": session,
            "events": events,
            "share_openings": openings.count(),
            "throttle_minutes": settings.ACTIESCAN_AUDIT_THROTTLE_MINUTES,
        },
    )
