"""The live session: the moderator's cockpit, the notulist's view, the wrap-up (totaaloverzicht),
moving the table, closing (a handshake with screens that still hold unsaved text) and
reopening, autosave and live sync, and the history of saved text.

Opening a screen never changes anything: the moderator moves the table with a POST.
Contract of autosave and sync with the browser: docs/live-protocol.md."""

import re
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from actiescan.http import json_error, json_login_required, render_page_or_partial
from actiescan.models import Level
from actiescan.roles import is_ser_staff

from .. import audit, autosave, services, sync_tokens
from .. import history as session_history
from ..access import get_managed_session, get_session
from ..charts import level_chart
from ..fields import FieldError, key_for, whole_number
from ..models import (
    FACTOR_BUDGET_SECONDS,
    QUESTIONING_SECONDS,
    FieldRevision,
    RevisionKind,
    ScanSession,
    SessionFactor,
)


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


# A `refresh` event (docs/live-protocol.md) makes the factor's status or summary fetch itself;
# the navigation (progress, levels, completeness) comes along out of band in the same answer:
# one request and one look-up of the factors per screen instead of two.
REFRESHED_WITH = {"factor-status": ("factor-nav",), "factor-summary": ("factor-nav",)}


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
        "table_factor": next((sf for sf in factors if sf.pk == session.current_factor_id), None),
        "done_count": done,
        "levels": Level.choices,
        "readonly": session.is_closed,
        "role": session.role_of(request.user),
        # Moderator and staff move the table (POST); everyone else looks around (GET).
        "can_manage": session.can_manage(request.user),
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


@never_cache
@login_required
@require_GET
def cockpit(request, pk):
    """The moderator's screen of one factor: the table's current one, or the one asked for
    (only looking: moving the table is go_to_factor)."""
    session = get_session(request, pk)
    audit.record(request, session, audit.VIEWED_MINUTES, detail="cockpit")
    factors = list(services.factors_with_actions(session))
    if not factors:
        messages.info(request, _("Kies eerst de succesfactoren voor dit gesprek."))
        return redirect(session)
    selected = pick_factor(factors, requested_factor(request), session.current_factor_id)
    context = live_context(request, session, factors, selected)
    # Here moderator and staff move the table (go_to_factor, go_to_wrap_up) as they go.
    context["moves_table"] = context["can_manage"] and not session.is_closed
    return render_page_or_partial(
        request, "sessions/cockpit.html", context,
        partials=("live-body", "factor-panel", "factor-nav", "factor-status", "factor-clock"),
        companions=REFRESHED_WITH,
    )


@never_cache
@login_required
@require_GET
def notulist(request, pk):
    session = get_session(request, pk)
    audit.record(request, session, audit.VIEWED_MINUTES, detail="notulist")
    factors = list(services.factors_with_actions(session))
    if not factors:
        messages.info(request, _("De moderator heeft nog geen succesfactoren gekozen."))
        return redirect(session)
    selected = pick_factor(factors, requested_factor(request), session.current_factor_id)
    context = live_context(request, session, factors, selected)
    context["follows"] = True
    return render_page_or_partial(
        request, "sessions/notulist.html", context,
        partials=("live-body", "factor-panel", "factor-nav", "factor-summary", "factor-clock"),
        companions=REFRESHED_WITH,
    )


def wrap_up_context(request, session):
    factors = list(services.factors_with_actions(session))
    context = live_context(request, session, factors, factors[0] if factors else None)
    context.update(
        {
            "incomplete": [sf for sf in factors if not sf.is_complete],
            "wrap_up_key": key_for("session", session.pk, "wrap_up_notes"),
            "checked_key": key_for("session", session.pk, "notulist_checked"),
            "unmerged": session_history.readable_rows(
                session, services.unmerged_conflicts(session=session)
            ),
            # Whoever does not run the session follows the moderator from here too.
            "follows": not session.can_manage(request.user),
            "chart": level_chart(
                [(sf.title, sf.current_level, sf.desired_level) for sf in factors]
            ),
        }
    )
    return context


@never_cache
@login_required
@require_GET
def wrap_up(request, pk):
    """The totaaloverzicht: all levels and action points, the notulist's last questions, close."""
    session = get_session(request, pk)
    audit.record(request, session, audit.VIEWED_MINUTES, detail="totaaloverzicht")
    return render_page_or_partial(
        request, "sessions/wrap_up.html", wrap_up_context(request, session),
        partials=("overview", "close-section"),
    )


@login_required
@require_POST
def go_to_factor(request, pk, factor_pk):
    """The moderator takes the table to a factor: the screens that follow the moderator follow,
    the clock moves along. A POST, never a side effect of opening a page."""
    session = get_managed_session(request, pk)
    session_factor = get_object_or_404(SessionFactor, session=session, pk=factor_pk)
    services.set_current_factor(session=session, session_factor=session_factor)
    return redirect(f"{reverse('sessions:cockpit', args=[session.pk])}?factor={session_factor.pk}")


@login_required
@require_POST
def go_to_wrap_up(request, pk):
    """The moderator takes the table to the wrap-up (totaaloverzicht): clocks stop, the screens
    that follow the moderator show the overview."""
    session = get_managed_session(request, pk)
    services.open_wrap_up(session=session)
    return redirect("sessions:wrap_up", pk=session.pk)


# How long the close button waits, at most, for other screens to save what they hold.
CLOSE_WAIT_SECONDS = 10


@login_required
@require_POST
def close(request, pk):
    """Close the session: a handshake. While another screen of the session holds text that is
    not saved yet, the answer is the wrap-up saying who is still typing, and the session stays
    open; the page asks again every second for up to CLOSE_WAIT_SECONDS, and "Toch afsluiten"
    (force) closes at once. Whatever those screens typed before they showed "closed" is stored
    all the same (autosave.save_field): waiting only keeps it in the ordinary fields."""
    session = get_managed_session(request, pk)
    if not session.is_closed and request.POST.get("force") != "1":
        typing = services.others_with_unsaved_text(session=session, user=request.user)
        if typing:
            now = int(time.time())
            since = min(whole_number(request.POST.get("waiting_since"), now), now)
            context = wrap_up_context(request, session)
            context["closing"] = {
                "names": typing, "waiting_since": since,
                "gave_up": now - since >= CLOSE_WAIT_SECONDS,
            }
            return render_page_or_partial(
                request, "sessions/wrap_up.html", context, partials=("close-section",)
            )
    services.close_session(session=session, user=request.user)
    messages.success(request, _("De sessie is afgesloten. De notulist kan nu het advies maken."))
    url = reverse("sessions:wrap_up", args=[session.pk])
    if request.htmx:
        # The whole page changes (read-only, the advice link): load it, with the message.
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


@login_required
@require_POST
def reopen(request, pk):
    session = get_managed_session(request, pk)
    services.reopen_session(session=session, user=request.user)
    messages.success(request, _("De sessie is heropend. Alle velden zijn weer te bewerken."))
    return redirect("sessions:wrap_up", pk=session.pk)


# --- Autosave and live sync -------------------------------------------------------------------

def session_not_found():
    return json_error("not_found", _("Deze sessie bestaat niet of u heeft er geen toegang toe."), 404)


@never_cache
@json_login_required
@require_POST
def save_field(request, pk):
    # Only what the save needs: the session row also holds long texts.
    session = (
        ScanSession.objects.visible_to(request.user).filter(pk=pk)
        .only("pk", "status", "closed_revision").first()
    )
    if session is None:
        return session_not_found()
    try:
        # The audit line goes into the save's own transaction: SQLite's write lock is taken
        # once per save, and no savepoint is needed.
        saved = autosave.save_field(
            session=session,
            key=request.POST.get("field", ""),
            values=request.POST.getlist("value"),
            version=request.POST.get("version"),
            user=request.user,
            seen_revision=request.POST.get("seen_revision"),
            merge=request.POST.get("merge") == "1",
            on_saved=lambda: audit.record(request, session, audit.CHANGED_MINUTES),
        )
    except FieldError as error:
        return json_error("invalid", str(error), 400)
    except autosave.SessionClosed:
        return json_error(
            "closed", _("Deze sessie is afgesloten; wijzigingen worden niet meer opgeslagen."), 403
        )
    except autosave.FieldNotFound:
        return json_error("not_found", _("Dit veld bestaat niet (meer) in deze sessie."), 404)
    except autosave.Conflict as conflict:
        return JsonResponse(autosave.conflict_payload(conflict), status=409)
    payload = autosave.saved_payload(saved)
    if saved.after_close:
        # The screen says where the text went: the name of the field, as people know it.
        payload["label"] = session_history.field_name(session, saved.key)
    return JsonResponse(payload)


SCREEN_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")


@never_cache
@json_login_required
@require_POST
def unsaved_text(request, pk):
    """An open screen of the session reports how many of its fields hold text that is not
    saved yet (0: all saved), so that closing can wait for it (see close)."""
    session = ScanSession.objects.visible_to(request.user).filter(pk=pk).only(
        "pk", "moderator_id", "notulist_id").first()
    if session is None:
        return session_not_found()
    screen = request.POST.get("screen", "")
    fields = whole_number(request.POST.get("fields"))
    if not SCREEN_ID.fullmatch(screen) or fields is None or fields > 999:
        return json_error("invalid", _("Ongeldige melding van dit scherm."), 400)
    services.report_unsaved_text(session=session, user=request.user, screen=screen, fields=fields)
    return HttpResponse(status=204)


@never_cache
@require_GET
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
        .only("pk", "revision", "status", "current_factor_id", "wrap_up_since")
        .first()
    )
    if session is None:
        return session_not_found()
    # The answer carries the minutes, and the token reads them for two minutes: a view (audit).
    audit.record(request, session, audit.VIEWED_MINUTES, detail="sync")
    response = sync_answer(session, since)
    response[sync_tokens.HEADER] = sync_tokens.issue(request, session.pk)
    return response


def sync_answer(session, since):
    changes = autosave.changes_since(session, since)
    return HttpResponse(status=204) if changes is None else JsonResponse(changes)


@login_required
@require_GET
def history(request, pk):
    """Every saved value of the session's fields, newest first, as a person reads them; older
    versions of the session's own fields can be put back (history_restore). For the session's
    moderator and notulist, who wrote them, and SER staff; every opening is logged."""
    session = get_session(request, pk)
    audit.record(request, session, audit.VIEWED_MINUTES, detail="geschiedenis")
    revisions = session.revisions.select_related("author")
    field = request.GET.get("veld", "")
    if field:
        revisions = revisions.filter(field=field)
    return render(
        request, "sessions/history.html",
        {
            "session": session,
            "rows": session_history.readable_rows(session, revisions[:500]),
            "field": field,
            "is_staff": is_ser_staff(request.user),
        },
    )


@login_required
@require_POST
def history_restore(request, pk, revision_pk):
    """Put an old version of a field back ("zet terug"): saved as a new version through the
    normal autosave path, so a change by someone else in between is never overwritten."""
    session = get_session(request, pk)
    revision = get_object_or_404(FieldRevision, session=session, pk=revision_pk)
    back = f"{reverse('sessions:history', args=[session.pk])}?veld={revision.field}"
    try:
        saved = session_history.restore(
            session=session, revision=revision, user=request.user,
            on_saved=lambda: audit.record(request, session, audit.CHANGED_MINUTES),
        )
    except autosave.SessionClosed:
        messages.error(request, _("Deze sessie is afgesloten. Heropen de sessie om een oude "
                                  "versie terug te zetten."))
    except autosave.Conflict:
        messages.error(request, _("Iemand anders heeft dit veld net gewijzigd. Bekijk de nieuwste "
                                  "versie en zet daarna zo nodig opnieuw terug."))
    except autosave.FieldNotFound:
        messages.error(request, _("Dit veld bestaat niet meer in deze sessie."))
    except FieldError as error:
        messages.error(request, str(error))
    else:
        done = (_("De tekst van %(when)s is samengevoegd met het veld, als nieuwe versie "
                  "%(version)s.") if revision.kind == RevisionKind.CONFLICT
                else _("De versie van %(when)s is teruggezet als nieuwe versie %(version)s."))
        messages.success(request, done % {
            "when": date_format(timezone.localtime(revision.created_at), "j F Y, H:i"),
            "version": saved.version or "",
        })
    return redirect(back)
