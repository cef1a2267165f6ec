"""Views of the present screen (see present.py for who may open it and how codes work)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actiescan.roles import is_ser_staff

from .. import present, services
from ..access import get_managed_session, get_session
from ..charts import level_chart
from ..fields import whole_number
from ..models import (
    FACTOR_BUDGET_SECONDS,
    QUESTIONING_SECONDS,
    PresentCode,
    Status,
)


class PresentCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Schermcode"), max_length=32,
        help_text=gettext_lazy("De code van acht tekens die de moderator u geeft, bijvoorbeeld "
                               "KDTR-7M4P."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false", "class": "input--code"}),
    )


def refuse_robots(response):
    # Not "Referrer-Policy: no-referrer": browsers then send "Origin: null" with the page's
    # forms, which Django's CSRF check refuses. The site-wide "same-origin" policy suffices.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def enter_code(request):
    """/scherm/: the public page where a present code is typed in."""
    form = PresentCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                code = present.redeem(request, form.cleaned_data["code"])
            except present.RateLimited:
                response = render(request, "present/enter.html",
                                  {"form": PresentCodeForm(), "rate_limited": True}, status=429)
                return refuse_robots(response)
            if code is not None:
                return redirect("sessions:present", pk=code.session_id)
            form.add_error("code", _("Deze code klopt niet, is verlopen of is ingetrokken. Vraag "
                                     "de moderator om een nieuwe code."))
        status = 400
    return refuse_robots(render(request, "present/enter.html", {"form": form}, status=status))


@require_POST
def leave(request):
    """Forget the present codes of this browser (the screen is no longer needed)."""
    present.forget_codes(request)
    messages.info(request, _("Dit scherm is gesloten. Voer een code in om een tafel te tonen."))
    return redirect("sessions:present_enter")


def screen_context(request, session):
    """What the screen shows: the wrap-up (levels, chart, action points per theme) from the
    moment the moderator opens it and after closing; otherwise the moderator's current factor."""
    show_wrap_up = session.wrap_up_since is not None or session.is_closed
    if show_wrap_up:
        factors = list(services.factors_with_actions(session).defer("minutes", "rationale"))
    else:
        factors = list(session.factors.select_related(None).defer("minutes", "rationale"))
    selected = next((sf for sf in factors if sf.pk == session.current_factor_id), None)
    if selected is None and factors:
        selected = factors[0]
    for session_factor in factors:
        session_factor.session = session
    running = (
        session.status == Status.BEZIG and not show_wrap_up and selected is not None
        and session.current_factor_id == selected.pk and session.current_factor_since
    )
    return {
        "session": session,
        "factors": factors,
        "selected": selected,
        "show_wrap_up": show_wrap_up,
        "chart": level_chart(
            [(sf.title, sf.current_level, sf.desired_level) for sf in factors]
        ) if show_wrap_up else None,
        "timer_start": (
            timezone.localtime(session.current_factor_since).isoformat() if running else ""
        ),
        "questioning_seconds": QUESTIONING_SECONDS,
        "budget_seconds": FACTOR_BUDGET_SECONDS,
        "is_member": is_ser_staff(request.user) or (
            request.user.is_authenticated
            and request.user.pk in (session.moderator_id, session.notulist_id)
        ),
    }


def presentable_session(request, pk):
    return (
        present.presentable(request)
        .select_related("initiative")
        .defer("general_minutes", "wrap_up_notes", "choice_rationale")
        .filter(pk=pk)
        .first()
    )


@never_cache
@require_GET
def screen(request, pk):
    """The present screen itself, and its htmx fragment (`present-body`)."""
    session = presentable_session(request, pk)
    if session is None:
        if request.htmx:
            # The code was revoked or ran out while the screen was open: say so on the screen.
            return render(request, "present/screen.html#present-closed", {})
        if request.user.is_authenticated:
            raise Http404
        messages.info(request, _("Voer de schermcode in die de moderator u geeft."))
        return redirect("sessions:present_enter")
    context = screen_context(request, session)
    template = "present/screen.html"
    if request.htmx and request.htmx.target == "present-body":
        template += "#present-body"
    return refuse_robots(render(request, template, context))


@never_cache
@require_GET
def sync(request, pk):
    """Live updates of the present screen, in the protocol of docs/live-protocol.md: 204 when
    nothing changed since `since`, else the new revision and whether to reload the screen.
    Answers 401 with a message once the code no longer holds (live.js shows it in a banner)."""
    session = (
        present.presentable(request)
        .only("pk", "revision", "status", "current_factor_id", "wrap_up_since")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        return JsonResponse(
            {"error": "login",
             "message": _("Dit scherm is gesloten: de schermcode is verlopen of ingetrokken. "
                          "Vraag de moderator om een nieuwe code.")},
            status=401,
        )
    raw = request.GET.get("since", "")
    since = whole_number(raw, -1)
    changes = present.screen_changes(session, since)
    if changes is None:
        return HttpResponse(status=204)
    return JsonResponse(changes)


@never_cache
@require_GET
def case(request, pk):
    """The casus text of a table that practises on a casus, for whoever may see its screen."""
    session = presentable_session(request, pk)
    if session is None or not session.initiative.is_case:
        raise Http404
    return refuse_robots(render(request, "present/case.html", {
        "initiative": session.initiative,
        "back_url": reverse("sessions:present", args=[session.pk]),
    }))


# --- Managing codes (moderator) ---------------------------------------------------------------

def codes_context(request, session, *, new_code=None) -> dict:
    enter_url = request.build_absolute_uri(reverse("sessions:present_enter"))
    return {
        "session": session,
        "codes": list(session.present_codes.usable().select_related("created_by")),
        "can_manage": session.can_manage(request.user),
        "enter_url": enter_url,
        "hours": present.code_hours(),
        "new_code": new_code,
        "qr_uri": present.qr_code_uri(enter_url=enter_url, code=new_code) if new_code else "",
    }


@login_required
@require_GET
def codes(request, pk):
    session = get_session(request, pk)
    return render(request, "present/codes.html", codes_context(request, session))


@login_required
@require_POST
def create_code(request, pk):
    """A new present code, shown once, here, with its QR code: only its hash is stored. The
    page is the answer to the POST (not a redirect), so the code is not kept for a next page."""
    session = get_managed_session(request, pk)
    code = present.create_code(session=session, user=request.user)
    return render(request, "present/codes.html", codes_context(request, session, new_code=code))


@login_required
@require_POST
def revoke_code(request, pk, code_pk):
    session = get_managed_session(request, pk)
    code = get_object_or_404(PresentCode, session=session, pk=code_pk)
    present.revoke_code(code=code)
    messages.success(request, _("De schermcode is ingetrokken; schermen met deze code tonen de "
                                "tafel niet meer."))
    return redirect("sessions:present_codes", pk=session.pk)
