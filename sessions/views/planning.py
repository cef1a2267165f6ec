"""Planning: the start page, the session list, planning and editing a session, initiatives."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from actiescan.roles import can_plan_sessions, is_ser_staff

from .. import invitations, services
from ..access import get_managed_session
from ..charts import held_level_path, level_path_charts
from ..fields import whole_number
from ..forms import InitiativeForm, SessionForm
from ..models import Initiative, ScanSession, Status


@login_required
@require_GET
def home(request):
    """What this user may do next: their sessions today and coming up, and planning."""
    sessions = (
        ScanSession.objects.visible_to(request.user)
        .select_related("initiative", "moderator", "notulist")
    )
    now = timezone.now()
    context = {
        "running": sessions.filter(status=Status.BEZIG).order_by("starts_at")[:20],
        "upcoming": sessions.filter(status=Status.GEPLAND, starts_at__gte=now - timezone.timedelta(days=1))
        .order_by("starts_at")[:20],
        "recent": sessions.filter(status=Status.AFGEROND).order_by("-closed_at")[:10],
        "can_plan_sessions": can_plan_sessions(request.user),
        "is_staff": is_ser_staff(request.user),
    }
    return render(request, "home.html", context)


@login_required
@require_GET
def session_list(request):
    sessions = (
        ScanSession.objects.visible_to(request.user)
        .select_related("initiative", "moderator", "notulist")
        .annotate(factor_count=Count("factors"))
        .order_by("-starts_at")
    )
    return render(request, "sessions/list.html", {"sessions": sessions[:200]})


def warn_about(request, problems):
    """Invitations that did not go out: the planning stands, the planner hears why."""
    for problem in problems:
        messages.warning(request, problem)


def require_planner(request):
    if not can_plan_sessions(request.user):
        raise PermissionDenied(_("Alleen SER-medewerkers en moderatoren kunnen sessies plannen."))


@login_required
@require_http_methods(["GET", "POST"])
def initiative_create(request):
    require_planner(request)
    form = InitiativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        initiative = form.save()
        messages.success(request, _("Initiatief %(name)s is toegevoegd.") % {"name": initiative})
        return redirect(f"{reverse('sessions:plan')}?initiatief={initiative.pk}")
    return render(request, "sessions/initiative_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def plan(request):
    require_planner(request)
    initial = {"moderator": request.user.pk if not is_ser_staff(request.user) else None}
    if (initiative_pk := whole_number(request.GET.get("initiatief"))) is not None:
        initial["initiative"] = initiative_pk
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        session = services.plan_session(session=form.save(commit=False), user=request.user)
        messages.success(request, _("De sessie is gepland. Kies nu de succesfactoren."))
        warn_about(request, invitations.invite(session=session))
        return redirect(session)
    return render(request, "sessions/plan.html", {"form": form, "is_new": True})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    session = get_managed_session(request, pk)
    # As planned before the form changes the session: a change sends the invitations again.
    before, invited = invitations.details(session), invitations.people(session)
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("De planning is opgeslagen."))
        warn_about(request, invitations.update(session=session, before=before, previous_people=invited))
        return redirect(session)
    return render(request, "sessions/plan.html", {"form": form, "session": session})


@login_required
@require_GET
def initiative_detail(request, pk):
    initiative = get_object_or_404(Initiative, pk=pk)
    sessions = ScanSession.objects.visible_to(request.user).filter(initiative=initiative)
    if not is_ser_staff(request.user) and not sessions.exists():
        raise Http404
    # The path over the sessions this user may see: a moderator of one session does not see
    # the levels of sessions led by others.
    path = held_level_path(sessions)
    return render(
        request, "sessions/initiative_detail.html",
        {"initiative": initiative, "sessions": sessions.select_related("moderator", "notulist"),
         "path_charts": level_path_charts(path) if path else None},
    )
