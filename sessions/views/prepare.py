"""Preparing a session: who is at the table, which factors in which order, and starting it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from actiescan.http import render_page_or_partial
from actiescan.models import SuccessFactor

from .. import audit, services
from ..access import get_managed_session, get_session
from ..fields import key_for
from ..forms import ChooseFactorsForm, ParticipantForm
from ..models import FACTOR_BUDGET_SECONDS, Participant, SessionFactor


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
        "can_manage": session.can_manage(request.user),
        "budget_minutes": len(chosen) * FACTOR_BUDGET_SECONDS // 60,
    }


@login_required
@require_GET
def detail(request, pk):
    """The prepare screen: who is at the table, which factors, and the way of working."""
    session = get_session(request, pk)
    # It shows (and edits) the table's reasons for its choice, a text of the minutes.
    audit.record(request, session, audit.VIEWED_MINUTES, detail="voorbereiding")
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
    session = get_managed_session(request, pk)
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
    return render(request, "sessions/detail.html#chosen-factors", context, status=status)


@login_required
@require_POST
def move_factor(request, pk, factor_pk, direction):
    session = get_managed_session(request, pk)
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
    session = get_managed_session(request, pk)
    if not session.factors.exists():
        messages.error(request, _("Kies eerst minstens één succesfactor."))
        return redirect(session)
    services.start_session(session=session, user=request.user)
    return redirect("sessions:cockpit", pk=session.pk)


