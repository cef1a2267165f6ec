"""Screens of a scan session. Every view fetches the session through
ScanSession.objects.visible_to(user): someone who is not its moderator, notulist or staff gets
a 404, whatever the URL. One view serves a page and its htmx fragments
(`template#partial`, chosen by the HX-Target header)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from actiescan import audit
from actiescan.models import Level, SuccessFactor
from actiescan.roles import can_plan_sessions, is_ser_staff

from . import services, sync_tokens
from .charts import level_chart
from .fields import FieldError, key_for, whole_number
from .forms import ChooseFactorsForm, InitiativeForm, ParticipantForm, SessionForm
from .models import (
    FACTOR_BUDGET_SECONDS,
    QUESTIONING_SECONDS,
    Initiative,
    Participant,
    ScanSession,
    SessionFactor,
)


def json_error(code: str, message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def json_login_required(view):
    """For autosave and sync calls: an expired login answers 401 with a message instead of a
    redirect to the login page, so the screen can keep the typed text and say what happened."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return json_error(
                "login",
                _("U bent uitgelogd. Uw tekst is bewaard in deze browser. Log in een nieuw "
                  "tabblad opnieuw in; daarna wordt alles alsnog opgeslagen."),
                401,
            )
        return view(request, *args, **kwargs)

    return wrapper


def get_session(request, pk) -> ScanSession:
    return get_object_or_404(
        ScanSession.objects.visible_to(request.user).select_related(
            "initiative", "moderator", "notulist"
        ),
        pk=pk,
    )


def render_page_or_partial(request, template_name, context, partials=()):
    """Render the page, or only the partial named by the htmx request's target."""
    target = request.htmx.target if request.htmx else None
    if target in partials:
        template_name = f"{template_name}#{target}"
    return render(request, template_name, context)


# --- Lists and planning -----------------------------------------------------------------------

@login_required
def session_list(request):
    sessions = (
        ScanSession.objects.visible_to(request.user)
        .select_related("initiative", "moderator", "notulist")
        .annotate(factor_count=Count("factors"))
        .order_by("-starts_at")
    )
    return render(request, "sessions/list.html", {"sessions": sessions[:200]})


def require_planner(request):
    if not can_plan_sessions(request.user):
        raise PermissionDenied(_("Alleen SER-medewerkers en moderatoren kunnen sessies plannen."))


@login_required
def initiative_create(request):
    require_planner(request)
    form = InitiativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        initiative = form.save()
        messages.success(request, _("Initiatief %(name)s is toegevoegd.") % {"name": initiative})
        return redirect(f"{reverse('sessions:plan')}?initiatief={initiative.pk}")
    return render(request, "sessions/initiative_form.html", {"form": form})


@login_required
def plan(request):
    require_planner(request)
    initial = {"moderator": request.user.pk if not is_ser_staff(request.user) else None}
    if (initiative_pk := whole_number(request.GET.get("initiatief"))) is not None:
        initial["initiative"] = initiative_pk
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        session = services.plan_session(session=form.save(commit=False), user=request.user)
        messages.success(request, _("De sessie is gepland. Kies nu de succesfactoren."))
        return redirect(session)
    return render(request, "sessions/plan.html", {"form": form, "is_new": True})


@login_required
def edit(request, pk):
    session = get_session(request, pk)
    if not session.can_close(request.user):
        raise PermissionDenied(_("Alleen de moderator of een SER-medewerker kan de planning wijzigen."))
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("De planning is opgeslagen."))
        return redirect(session)
    return render(request, "sessions/plan.html", {"form": form, "session": session})


# --- Prepare ----------------------------------------------------------------------------------

def prepare_context(request, session, *, choose_form=None, participant_form=None):
    chosen = list(services.factors_with_actions(session).select_related("factor"))
    catalogue = list(SuccessFactor.objects.active())
    chosen_ids = {sf.factor_id for sf in chosen}
    return {
        "session": session,
        "role": session.role_of(request.user),
        "chosen": chosen,
        "choose_form": choose_form
        or ChooseFactorsForm(catalogue=catalogue, initial={"factors": list(chosen_ids)}),
        "catalogue": catalogue,
        "participants": list(session.participants.all()),
        "participant_form": participant_form or ParticipantForm(),
        "choice_key": key_for("session", session.pk, "choice_rationale"),
        "can_close": session.can_close(request.user),
        "budget_minutes": len(chosen) * FACTOR_BUDGET_SECONDS // 60,
    }


@login_required
def detail(request, pk):
    """The prepare screen: who is at the table, which factors, and the way of working."""
    session = get_session(request, pk)
    return render_page_or_partial(
        request, "sessions/detail.html", prepare_context(request, session),
        partials=("chosen-factors", "participants"),
    )


def refuse_when_closed(request, session):
    if session.is_closed:
        messages.error(request, _("Deze sessie is afgesloten. Heropen haar eerst om te wijzigen."))
        return True
    return False


@login_required
@require_POST
def choose_factors(request, pk):
    session = get_session(request, pk)
    if refuse_when_closed(request, session):
        return redirect(session)
    catalogue = list(SuccessFactor.objects.active())
    form = ChooseFactorsForm(request.POST, catalogue=catalogue)
    if form.is_valid():
        for message in services.choose_factors(
            session=session, factor_ids=form.cleaned_data["factors"], user=request.user
        ):
            messages.warning(request, message)
        if not request.htmx:
            messages.success(request, _("De keuze van succesfactoren is opgeslagen."))
            return redirect(session)
    context = prepare_context(request, session, choose_form=form if not form.is_valid() else None)
    status = 200 if form.is_valid() else 400
    response = render(request, "sessions/detail.html#chosen-factors", context, status=status)
    return response


@login_required
@require_POST
def move_factor(request, pk, factor_pk, direction):
    session = get_session(request, pk)
    if direction not in ("omhoog", "omlaag"):
        raise Http404
    if refuse_when_closed(request, session):
        return redirect(session)
    session_factor = get_object_or_404(SessionFactor, session=session, pk=factor_pk)
    services.move_factor(
        session=session, session_factor=session_factor, step=-1 if direction == "omhoog" else 1
    )
    if request.htmx:
        return render(request, "sessions/detail.html#chosen-factors", prepare_context(request, session))
    return redirect(session)


@login_required
@require_POST
def add_participant(request, pk):
    session = get_session(request, pk)
    if refuse_when_closed(request, session):
        return redirect(session)
    form = ParticipantForm(request.POST)
    if form.is_valid():
        participant = form.save(commit=False)
        participant.session = session
        participant.save()
        form = None
    elif not request.htmx:
        return render(request, "sessions/detail.html",
                      prepare_context(request, session, participant_form=form), status=400)
    if request.htmx:
        return render(
            request, "sessions/detail.html#participants",
            prepare_context(request, session, participant_form=form),
            status=200 if form is None else 400,
        )
    return redirect(session)


@login_required
@require_POST
def remove_participant(request, pk, participant_pk):
    session = get_session(request, pk)
    if refuse_when_closed(request, session):
        return redirect(session)
    get_object_or_404(Participant, session=session, pk=participant_pk).delete()
    if request.htmx:
        return render(request, "sessions/detail.html#participants", prepare_context(request, session))
    return redirect(session)


@login_required
@require_POST
def start(request, pk):
    session = get_session(request, pk)
    if not session.factors.exists():
        messages.error(request, _("Kies eerst minstens één succesfactor."))
        return redirect(session)
    services.start_session(session=session, user=request.user)
    return redirect("sessions:cockpit", pk=session.pk)


# --- Cockpit and notulist view ----------------------------------------------------------------

def requested_factor(request):
    """The factor asked for: in the URL, or, for a fragment refresh, in the page's URL."""
    raw = request.GET.get("factor")
    if not raw and request.htmx and request.htmx.current_url:
        from urllib.parse import parse_qs, urlsplit

        try:
            raw = parse_qs(urlsplit(request.htmx.current_url).query).get("factor", [""])[0]
        except ValueError:  # a malformed HX-Current-URL header: as if none was sent
            raw = ""
    return raw


def pick_factor(factors, raw, fallback_pk=None):
    wanted = whole_number(raw, fallback_pk)
    for session_factor in factors:
        if session_factor.pk == wanted:
            return session_factor
    return factors[0] if factors else None


def live_context(request, session, factors, selected):
    for session_factor in factors:
        # The template reads the session through each factor (timer); share the loaded one.
        session_factor.session = session
    done = sum(1 for sf in factors if sf.is_complete)
    index = factors.index(selected) if selected else 0
    return {
        "session": session,
        "factors": factors,
        "selected": selected,
        "previous": factors[index - 1] if index > 0 else None,
        "next": factors[index + 1] if index + 1 < len(factors) else None,
        "done_count": done,
        "levels": Level.choices,
        "readonly": session.is_closed,
        "role": session.role_of(request.user),
        "questioning_seconds": QUESTIONING_SECONDS,
        "budget_seconds": FACTOR_BUDGET_SECONDS,
        "timer_start": (
            timezone.localtime(session.current_factor_since).isoformat()
            if selected and session.current_factor_id == selected.pk
            and session.current_factor_since
            else ""
        ),
        "general_minutes_key": key_for("session", session.pk, "general_minutes"),
    }


@login_required
def cockpit(request, pk):
    session = get_session(request, pk)
    audit.record(request, session, audit.VIEWED_MINUTES, detail="cockpit")
    factors = list(services.factors_with_actions(session))
    if not factors:
        messages.info(request, _("Kies eerst de succesfactoren voor dit gesprek."))
        return redirect(session)
    selected = pick_factor(factors, requested_factor(request), session.current_factor_id)
    moving = not request.htmx or request.htmx.target in ("live-body", "factor-panel")
    if moving and session.role_of(request.user) != "notulist":
        # Only the moderator (or staff standing in) moves the table's current factor; a
        # notulist correcting an action point here, or a fragment refresh, does not.
        services.set_current_factor(session=session, session_factor=selected)
    return render_page_or_partial(
        request, "sessions/cockpit.html", live_context(request, session, factors, selected),
        partials=("live-body", "factor-panel", "factor-nav", "factor-status"),
    )


@login_required
def notulist(request, pk):
    session = get_session(request, pk)
    audit.record(request, session, audit.VIEWED_MINUTES, detail="notulist")
    factors = list(services.factors_with_actions(session))
    if not factors:
        messages.info(request, _("De moderator heeft nog geen succesfactoren gekozen."))
        return redirect(session)
    selected = pick_factor(factors, requested_factor(request), session.current_factor_id)
    context = live_context(request, session, factors, selected)
    return render_page_or_partial(
        request, "sessions/notulist.html", context,
        partials=("live-body", "factor-panel", "factor-nav", "factor-summary"),
    )


@login_required
def wrap_up(request, pk):
    """The totaaloverzicht: all levels and action points, the notulist's last questions, close."""
    session = get_session(request, pk)
    audit.record(request, session, audit.VIEWED_MINUTES, detail="totaaloverzicht")
    factors = list(services.factors_with_actions(session))
    context = live_context(request, session, factors, factors[0] if factors else None)
    context.update(
        {
            "can_close": session.can_close(request.user),
            "incomplete": [sf for sf in factors if not sf.is_complete],
            "wrap_up_key": key_for("session", session.pk, "wrap_up_notes"),
            "checked_key": key_for("session", session.pk, "notulist_checked"),
            "advice_url": reverse("reports:advice", args=[session.pk]) if session.is_closed else "",
            "chart": level_chart(
                [(sf.title, sf.current_level, sf.desired_level) for sf in factors]
            ),
        }
    )
    return render_page_or_partial(
        request, "sessions/wrap_up.html", context, partials=("overview",)
    )


@login_required
@require_POST
def close(request, pk):
    session = get_session(request, pk)
    if not session.can_close(request.user):
        raise PermissionDenied(_("Alleen de moderator of een SER-medewerker kan de sessie afsluiten."))
    services.close_session(session=session, user=request.user)
    messages.success(request, _("De sessie is afgesloten. De notulist kan nu het advies maken."))
    return redirect("sessions:wrap_up", pk=session.pk)


@login_required
@require_POST
def reopen(request, pk):
    session = get_session(request, pk)
    if not session.can_close(request.user):
        raise PermissionDenied(_("Alleen de moderator of een SER-medewerker kan de sessie heropenen."))
    services.reopen_session(session=session, user=request.user)
    messages.success(request, _("De sessie is heropend. Alle velden zijn weer te bewerken."))
    return redirect("sessions:wrap_up", pk=session.pk)


# --- Autosave and live sync -------------------------------------------------------------------

def saved_payload(saved: services.SavedField) -> dict:
    value = saved.value
    if isinstance(value, list):
        value = [str(v) for v in value]
    return {
        "field": saved.key,
        "value": value,
        "version": saved.version,
        "saved_at": timezone.localtime(saved.saved_at).strftime("%H:%M") if saved.saved_at else "",
        "saved_by": saved.saved_by,
    }


@never_cache
@json_login_required
@require_POST
def save_field(request, pk):
    # Only what the save needs: the session row also holds long texts.
    session = ScanSession.objects.visible_to(request.user).filter(pk=pk).only("pk", "status").first()
    if session is None:
        return json_error("not_found", _("Deze sessie bestaat niet of u heeft er geen toegang toe."), 404)
    try:
        # The audit line goes into the save's own transaction: SQLite's write lock is taken
        # once per save, and no savepoint is needed.
        saved = services.save_field(
            session=session,
            key=request.POST.get("field", ""),
            values=request.POST.getlist("value"),
            version=request.POST.get("version"),
            user=request.user,
            on_saved=lambda: audit.record(request, session, audit.CHANGED_MINUTES),
        )
    except FieldError as error:
        return json_error("invalid", str(error), 400)
    except services.SessionClosed:
        return json_error(
            "closed", _("Deze sessie is afgesloten; wijzigingen worden niet meer opgeslagen."), 403
        )
    except services.FieldNotFound:
        return json_error("not_found", _("Dit veld bestaat niet (meer) in deze sessie."), 404)
    except services.Conflict as conflict:
        return JsonResponse(
            {
                "error": "conflict",
                "message": _("Iemand anders heeft dit veld intussen gewijzigd."),
                **saved_payload(conflict.saved),
            },
            status=409,
        )
    return JsonResponse(saved_payload(saved))


@never_cache
def sync(request, pk):
    since = whole_number(request.GET.get("since", ""), -1)
    # A screen with a valid sync token is checked in one query, without the login-session and
    # user lookups (see sync_tokens); any other request takes the full path.
    session = sync_tokens.session_for(request, pk)
    if session is None:
        return sync_checked(request, pk, since)
    return sync_answer(session, since)


@json_login_required
def sync_checked(request, pk, since):
    session = (
        ScanSession.objects.visible_to(request.user)
        .filter(pk=pk)
        .only("pk", "revision", "status", "current_factor_id")
        .first()
    )
    if session is None:
        return json_error("not_found", _("Deze sessie bestaat niet of u heeft er geen toegang toe."), 404)
    response = sync_answer(session, since)
    response[sync_tokens.HEADER] = sync_tokens.issue(request, session.pk)
    return response


def sync_answer(session, since):
    changes = services.changes_since(session, since)
    return HttpResponse(status=204) if changes is None else JsonResponse(changes)


@login_required
def history(request, pk):
    """Every saved value of the session's fields, newest first, so staff can recover text."""
    session = get_session(request, pk)
    if not is_ser_staff(request.user):
        raise PermissionDenied(_("Alleen SER-medewerkers kunnen de geschiedenis inzien."))
    audit.record(request, session, audit.VIEWED_MINUTES, detail="geschiedenis")
    revisions = session.revisions.select_related("author")
    field = request.GET.get("veld", "")
    if field:
        revisions = revisions.filter(field=field)
    return render(
        request, "sessions/history.html",
        {"session": session, "revisions": revisions[:500], "field": field},
    )


@login_required
def initiative_detail(request, pk):
    initiative = get_object_or_404(Initiative, pk=pk)
    sessions = ScanSession.objects.visible_to(request.user).filter(initiative=initiative)
    if not is_ser_staff(request.user) and not sessions.exists():
        raise Http404
    return render(
        request, "sessions/initiative_detail.html",
        {"initiative": initiative, "sessions": sessions.select_related("moderator", "notulist")},
    )

