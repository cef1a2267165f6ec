"""Who may open and who may run a scan session: one gate per rule, used by every view (the
pattern of healthchecks' `_get_rw_check_for_user`).

- get_session: anyone who may see the session (its moderator, its notulist, SER staff);
  everyone else gets a 404, whatever the URL, so an outsider cannot even learn it exists.
- get_managed_session: who may run it (ScanSession.can_manage: the moderator and staff); the
  notulist, who may see it, gets a 403 with a message; everyone else a 404."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from .models import ScanSession


def get_session(request, pk) -> ScanSession:
    return get_object_or_404(
        ScanSession.objects.visible_to(request.user).select_related(
            "initiative", "moderator", "notulist"
        ),
        pk=pk,
    )


def get_managed_session(request, pk) -> ScanSession:
    session = get_session(request, pk)
    if not session.can_manage(request.user):
        raise PermissionDenied(
            _("Dit kan alleen de moderator van deze sessie of een SER-medewerker.")
        )
    return session
