"""Downloads of the printable scan (reports.worksheet): for a session, whoever may see it; the
blank one without a session, for SER staff and moderators."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from actiescan.roles import can_plan_sessions
from sessions.access import get_session

from . import worksheet
from .advice_views import pdf_response


def session_filename(kind: str, session) -> str:
    name = slugify(session.initiative.name)[:60] or "initiatief"
    return f"{kind}-{name}-{session.starts_at:%Y-%m-%d}.pdf"


@login_required
@require_GET
def session_worksheet(request, pk):
    """The chosen factors (all eight with ?alle=1, or while nothing is chosen)."""
    session = get_session(request, pk)
    factors = worksheet.sheet_factors(session, everything=request.GET.get("alle") == "1")
    pdf = worksheet.worksheet_pdf(factors=factors, session=session, language=session.language)
    return pdf_response(pdf, session_filename("werkblad", session))


@login_required
@require_GET
def session_preparation(request, pk):
    session = get_session(request, pk)
    pdf = worksheet.preparation_pdf(session=session, language=session.language)
    return pdf_response(pdf, session_filename("voorbereiding", session))


def require_planner(request):
    if not can_plan_sessions(request.user):
        raise PermissionDenied(_("Alleen SER-medewerkers en moderatoren kunnen de lege scan downloaden."))


@login_required
@require_GET
def blank_worksheet(request):
    """Every active factor of the catalogue, in the language of the interface."""
    require_planner(request)
    pdf = worksheet.worksheet_pdf(factors=worksheet.sheet_factors(),
                                  language=translation.get_language() or "nl")
    return pdf_response(pdf, "werkblad-llo-actiescan.pdf")


@login_required
@require_GET
def blank_preparation(request):
    require_planner(request)
    pdf = worksheet.preparation_pdf(language=translation.get_language() or "nl")
    return pdf_response(pdf, "voorbereiding-llo-actiescan.pdf")
