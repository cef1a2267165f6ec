"""Inspiration for action points: the curated example action points (actiescan.ActionExample)
that fit a chosen factor's step from the current to the desired level, and taking one over as
the starting text of action point 1 or 2.

A self-contained piece: a page of its own, and a fragment that the cockpit loads with one
include (templates/sessions/_inspiration.html)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from actiescan.http import render_page_or_partial
from actiescan.models import ActionExample, Step

from .. import audit, autosave, services
from ..access import get_session
from ..fields import FieldError, whole_number
from ..models import ActionPoint, SessionFactor

TEMPLATE = "sessions/inspiration.html"
PARTIALS = ("inspiration", "inspiration-notice")


def inspiration_context(session, session_factor, *, show_all: bool) -> dict:
    steps = Step.between(session_factor.current_level, session_factor.desired_level)
    examples = ActionExample.objects.active().filter(factor_id=session_factor.factor_id)
    if not show_all:
        examples = examples.filter(step__in=steps)
    examples = list(examples)
    groups = [
        {"step": value, "label": label, "examples": [e for e in examples if e.step == value]}
        for value, label in Step.choices
    ]
    if not (session_factor.current_level and session_factor.desired_level):
        state = "choose_levels"
    elif not steps:
        state = "no_step"
    else:
        state = "fitting"
    url = reverse("sessions:inspiration", args=[session.pk, session_factor.pk])
    return {
        "session": session,
        "session_factor": session_factor,
        "action_points": list(session_factor.action_points.order_by("position")),
        "groups": [group for group in groups if group["examples"]],
        "state": state,
        "show_all": show_all,
        "readonly": session.is_closed,
        "inspiration_url": f"{url}?alle=1" if show_all else url,
        "fitting_url": url,
        "all_url": f"{url}?alle=1",
        "take_over_url": reverse("sessions:take_over_example", args=[session.pk, session_factor.pk]),
        "cockpit_url": f"{reverse('sessions:cockpit', args=[session.pk])}?factor={session_factor.pk}",
    }


def wants_all(request) -> bool:
    return (request.GET.get("alle") or request.POST.get("alle")) == "1"


@login_required
@require_GET
def inspiration(request, pk, factor_pk):
    """The examples that fit this factor's current → desired level (or all of its examples),
    each with a button per action point. Anyone who may see the session may see them."""
    session = get_session(request, pk)
    session_factor = get_object_or_404(SessionFactor.objects.select_related("factor"),
                                       session=session, pk=factor_pk)
    audit.record(request, session, audit.VIEWED_MINUTES, detail="inspiratie")
    return render_page_or_partial(
        request, TEMPLATE,
        inspiration_context(session, session_factor, show_all=wants_all(request)),
        partials=PARTIALS,
    )


@login_required
@require_POST
def take_over_example(request, pk, factor_pk):
    """Put an example into action point 1 or 2 as a starting text (services.take_over_example:
    empty fields are filled, existing text is only added to after the user confirms)."""
    session = get_session(request, pk)
    session_factor = get_object_or_404(SessionFactor.objects.select_related("factor"),
                                       session=session, pk=factor_pk)
    context = inspiration_context(session, session_factor, show_all=wants_all(request))
    action_point = ActionPoint.objects.filter(
        session_factor=session_factor, position=whole_number(request.POST.get("position"))
    ).first()
    example = ActionExample.objects.active().filter(
        factor_id=session_factor.factor_id, pk=whole_number(request.POST.get("example"))
    ).first()
    if action_point is None or example is None:
        return answer(request, context, error=_(
            "Dit voorbeeld of dit actiepunt bestaat niet (meer). Laad de lijst opnieuw."
        ), status=400)
    n = action_point.position
    try:
        result = services.take_over_example(
            session=session, action_point=action_point, example=example, user=request.user,
            append=request.POST.get("append") == "1",
            on_saved=lambda: audit.record(request, session, audit.CHANGED_MINUTES),
        )
    except services.NeedsConfirmation:
        context["confirm"] = {"example": example, "action_point": action_point}
        return answer(request, context, status=409)
    except autosave.SessionClosed:
        return answer(request, context, error=_(
            "Deze sessie is afgesloten; er kan niets meer worden overgenomen."
        ), status=403)
    except autosave.Conflict:
        return answer(request, context, error=_(
            "Iemand heeft actiepunt %(n)s net gewijzigd. Er is niets overgenomen. Bekijk de "
            "tekst en probeer het daarna opnieuw."
        ) % {"n": n}, status=409)
    except FieldError as error:
        return answer(request, context, error=str(error), status=400)
    if result.already_there:
        done = _("Dit voorbeeld staat al in actiepunt %(n)s.") % {"n": n}
    elif result.appended:
        done = _("Het voorbeeld staat nu onder de tekst die al in actiepunt %(n)s stond.") % {"n": n}
    else:
        done = _("Het voorbeeld staat nu in actiepunt %(n)s. Pas de tekst gerust aan.") % {"n": n}
    if result.filled:
        done += " " + _("De lege velden trekker en termijn zijn ook ingevuld.")
    if not request.htmx:
        messages.success(request, done)
        return redirect(context["inspiration_url"])
    context["done"] = done
    context["done_action_point"] = result.action_point
    return answer(request, context)


def answer(request, context, *, error="", status=200):
    """The outcome of a take-over: for htmx the message fragment, else the whole page. htmx
    only swaps 2xx answers, so its refusals (which need the user's eye, or a confirmation)
    come as 200; the page itself gets the real status."""
    context["error"] = error
    if request.htmx:
        return render(request, f"{TEMPLATE}#inspiration-notice", context)
    return render(request, TEMPLATE, context, status=status)
