"""The moderator's side of taking part from a phone (sessions/phones.py): the join code with its
QR code, "wat denken jullie?" with the spread of the marks, and the table's ideas for action
points. Self-contained pages whose fragments the cockpit, the wrap-up and the present screen
include (templates/sessions/_table_voices.html, _mark_spreads.html, present/_mark_spread.html);
they refresh themselves every few seconds."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from actiescan.http import local_path, render_page_or_partial

from .. import audit, phones, present
from ..access import get_managed_session, get_session
from ..autosave import SessionClosed
from ..fields import FieldError, whole_number
from ..models import ActionPoint, ActionProposal, JoinCode, PhoneParticipant, SessionFactor
from .live import pick_factor, requested_factor
from .present import refuse_robots

# --- The join code ------------------------------------------------------------------------------


def codes_context(request, session, *, new_code: str = "") -> dict:
    enter_url = request.build_absolute_uri(reverse("sessions:phone_enter"))
    return {
        "session": session,
        "codes": list(session.join_codes.usable().select_related("created_by")),
        "phones": list(session.phones.present().only("pk", "name", "joined_at", "session_id")),
        "can_manage": session.can_manage(request.user),
        "enter_url": enter_url,
        "hours": phones.code_hours(),
        "limit": phones.phones_per_table(),
        "new_code": phones.display_code(new_code) if new_code else "",
        "qr_uri": phones.qr_code_uri(enter_url=enter_url, plain=new_code) if new_code else "",
    }


@login_required
@require_GET
def join_codes(request, pk):
    session = get_session(request, pk)
    return render(request, "phones/codes.html", codes_context(request, session))


@login_required
@require_POST
def join_code_create(request, pk):
    """A new join code, shown once, here, with its QR code: only its hash is stored. The page
    is the answer to the POST (not a redirect), so the code is not kept anywhere for a next
    page."""
    session = get_managed_session(request, pk)
    if session.is_closed:
        messages.error(request, _("Deze sessie is afgesloten; meedoen met de telefoon kan niet "
                                  "meer."))
        return redirect("sessions:join_codes", pk=session.pk)
    _code, plain = phones.create_code(session=session, user=request.user)
    return render(request, "phones/codes.html", codes_context(request, session, new_code=plain))


@login_required
@require_POST
def join_code_revoke(request, pk, code_pk):
    session = get_managed_session(request, pk)
    code = get_object_or_404(JoinCode, session=session, pk=code_pk)
    phones.revoke_code(code=code)
    messages.success(request, _("De code is ingetrokken; telefoons die ermee meededen, zien de "
                                "tafel niet meer."))
    return redirect("sessions:join_codes", pk=session.pk)


@login_required
@require_POST
def phone_remove(request, pk, phone_pk):
    session = get_managed_session(request, pk)
    participant = get_object_or_404(PhoneParticipant.objects.present(), session=session, pk=phone_pk)
    phones.remove_phone(participant=participant)
    messages.success(request, _("De telefoon doet niet meer mee; zijn plaats is vrij."))
    return redirect("sessions:join_codes", pk=session.pk)


# --- The table's voices: marks and proposals of the current factor -----------------------------

def chosen_factor(request, session):
    """The factor asked for (?factor=, also in the embedding page's address), else the table's
    current factor, else the first."""
    factors = list(session.factors.select_related(None).only(
        "pk", "position", "snapshot", "factor_id", "session_id",
        "marks_open", "marks_revealed", "marks_on_screen"))
    return pick_factor(factors, requested_factor(request), session.current_factor_id), factors


def voices_context(request, session, session_factor=None) -> dict:
    """What the fragment shows, for `session_factor` (the one just changed by a form), else
    the factor asked for."""
    chosen, factors = chosen_factor(request, session)
    if session_factor is not None:
        session_factor = next((sf for sf in factors if sf.pk == session_factor.pk), chosen)
    else:
        session_factor = chosen
    spread = phones.mark_spread(session_factor) if session_factor else None
    proposals = list(phones.open_proposals(session_factor)) if session_factor else []
    phone_count = session.phones.present().count()
    context = {
        "session": session,
        "selected": session_factor,
        "factor_count": len(factors),
        "spread": spread,
        "proposals": proposals,
        "phone_count": phone_count,
        "can_manage": session.can_manage(request.user),
        "next_url": back_url(request, session, session_factor),
        "positions": range(1, ActionPoint.ACTIONS_PER_FACTOR + 1),
    }
    context["digest"] = digest(
        session.status, session_factor and (session_factor.pk, session_factor.marks_open,
                                            session_factor.marks_revealed,
                                            session_factor.marks_on_screen),
        spread and (spread.count, sorted(spread.current.items()), sorted(spread.desired.items())),
        [(p.pk, p.adopted_into) for p in proposals], phone_count,
    )
    return context


def digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def back_url(request, session, session_factor) -> str:
    """Where a form of the fragment returns to without JavaScript: the page it is shown in (the
    cockpit), else this page."""
    if current := local_path(request, request.htmx.current_url if request.htmx else None):
        return current
    url = reverse("sessions:table_voices", args=[session.pk])
    return f"{url}?factor={session_factor.pk}" if session_factor else url


def unchanged(request, context) -> bool:
    """A fragment refresh that would show the same: answer 204, so htmx keeps the fragment (and
    the keyboard focus in it) as it is."""
    return bool(request.htmx) and request.GET.get("seen") == context["digest"]


@never_cache
@login_required
@require_GET
def table_voices(request, pk):
    """The table's marks (spread) and ideas for action points for one factor, for the moderator
    (who runs them), the notulist and staff (who see them). Page and fragment (`table-voices`)."""
    session = get_session(request, pk)
    context = voices_context(request, session)
    if unchanged(request, context):
        return HttpResponse(status=204)
    return render_page_or_partial(request, "sessions/table_voices.html", context,
                                  partials=("table-voices",))


def after_post(request, session, session_factor, *, error: str = "", done: str = ""):
    """The fragment again for htmx (with the error, if any, in it), else back to where the form
    was (with the message)."""
    if request.htmx:
        context = voices_context(request, session, session_factor)
        context["error"] = error
        return render(request, "sessions/table_voices.html#table-voices", context)
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    target = local_path(request, request.POST.get("next")) or (
        f"{reverse('sessions:table_voices', args=[session.pk])}?factor={session_factor.pk}")
    return HttpResponseRedirect(target)  # a path (local_path), never a URL name


@login_required
@require_POST
def mark_round(request, pk, factor_pk):
    """Open or close "wat denken jullie?" for a factor, reveal its spread, or show it on the
    present screen (or not)."""
    session = get_managed_session(request, pk)
    session_factor = get_object_or_404(SessionFactor, session=session, pk=factor_pk)
    error = ""
    try:
        phones.set_mark_round(session=session, session_factor=session_factor,
                              action=request.POST.get("action", ""))
    except FieldError as refused:
        error = str(refused)
    except SessionClosed:
        error = _("Deze sessie is afgesloten.")
    return after_post(request, session, session_factor, error=error)


@login_required
@require_POST
def proposal_adopt(request, pk, proposal_pk):
    """Take a phone's idea over into action point 1 or 2 (added, never replacing text)."""
    session = get_managed_session(request, pk)
    proposal = get_object_or_404(
        ActionProposal.objects.select_related("session_factor"),
        session_factor__session=session, pk=proposal_pk,
    )
    position = whole_number(request.POST.get("position"), 0)
    error = ""
    try:
        phones.adopt_proposal(
            session=session, proposal=proposal, position=position, user=request.user,
            on_saved=lambda: audit.record(request, session, audit.CHANGED_MINUTES),
        )
    except FieldError as refused:
        error = str(refused)
    except SessionClosed:
        error = _("Deze sessie is afgesloten; er kan niets meer bij.")
    except phones.StillTyping:
        error = _("Iemand typt net in dit actiepunt. Probeer het zo nog eens.")
    return after_post(request, session, proposal.session_factor, error=error,
                      done=_("Het idee staat nu in actiepunt %(n)s.") % {"n": position})


@login_required
@require_POST
def proposal_dismiss(request, pk, proposal_pk):
    session = get_managed_session(request, pk)
    proposal = get_object_or_404(
        ActionProposal.objects.select_related("session_factor"),
        session_factor__session=session, pk=proposal_pk,
    )
    phones.dismiss_proposal(proposal=proposal)
    return after_post(request, session, proposal.session_factor)


@never_cache
@login_required
@require_GET
def mark_spreads(request, pk):
    """The spread of every factor, for the wrap-up (totaaloverzicht). Page and fragment."""
    session = get_session(request, pk)
    factors = list(session.factors.select_related(None).only(
        "pk", "position", "snapshot", "factor_id", "session_id", "marks_revealed"))
    spreads = phones.mark_spreads(factors)
    rows = [(sf, spreads[sf.pk]) for sf in factors if spreads[sf.pk].count]
    return render_page_or_partial(request, "sessions/mark_spreads.html",
                                  {"session": session, "rows": rows},
                                  partials=("mark-spreads",))


# --- On the present screen ---------------------------------------------------------------------

@never_cache
@require_GET
def present_spread(request, pk):
    """The spread of the current factor on the present screen, when the moderator chose to show
    it there (for whoever may see the screen: a member, staff or a present code)."""
    session = present.presentable(request).only("pk", "current_factor_id").filter(pk=pk).first()
    spread = session_factor = None
    if session is not None and session.current_factor_id:
        session_factor = SessionFactor.objects.filter(
            pk=session.current_factor_id, marks_on_screen=True
        ).only("pk", "marks_revealed", "session_id").first()
        if session_factor is not None:
            spread = phones.mark_spread(session_factor)
    return refuse_robots(render(request, "present/_mark_spread.html",
                                {"session": session, "spread": spread, "selected": session_factor}))
