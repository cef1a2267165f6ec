"""Staff overviews: sessions with their pipeline, initiatives and their state, one initiative
over time, factors across sessions, exports and the import of initiatives. Only SER staff:
others get 403, anonymous users go to the login page.

Also the status update of an action point (the follow-up review), which is not staff-only:
the moderator and notulist of a session may update the action points of its previous session.
"""

import secrets
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from actiescan.http import local_path, render_page_or_partial
from actiescan.models import Level
from actiescan.roles import is_ser_staff
from sessions import services
from sessions.charts import level_path_charts
from sessions.fields import FieldError
from sessions.models import ActionPoint, Initiative

from . import overviews
from .exports import EXPORT_KINDS, session_export_response
from .imports import (
    ImportRefused,
    ParsedFile,
    initiatives_export_response,
    parse_upload,
    run_import,
)

PAGE_SIZE = 50
IMPORT_SESSION_KEY = "actiescan_initiative_import"


def staff_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_ser_staff(request.user):
            raise PermissionDenied(_("Alleen SER-medewerkers kunnen de overzichten zien."))
        return view(request, *args, **kwargs)

    return wrapper


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Wat"),
        choices=[(key, title) for key, (title, _r, _m) in EXPORT_KINDS.items()],
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Bestand"),
        choices=[("xlsx", gettext_lazy("Excel (.xlsx)")),
                 ("csv", gettext_lazy("CSV voor Excel (.csv)")),
                 ("json", gettext_lazy("JSON"))],
    )
    minutes = forms.BooleanField(label=gettext_lazy("inclusief notulen"), required=False)


# --- Sessions ---------------------------------------------------------------------------------

def sessions_context(request, form):
    context = {"form": form, "export_form": ExportForm(initial={"kind": "scores", "format": "xlsx"}),
               "active_tab": "sessions", "page": None, "pipeline": [], "filters": {}}
    if form.is_valid():
        all_stages = overviews.filtered_sessions(form, apply_stage=False)
        context["pipeline"] = overviews.pipeline_counts(all_stages)
        rows = overviews.session_rows(overviews.filtered_sessions(form))
        paginator = Paginator(rows, PAGE_SIZE)
        # The pipeline already counted them: spares a COUNT over the annotated query.
        paginator.count = overviews.total_in_stage(context["pipeline"], form.cleaned_data.get("stage"))
        context["page"] = paginator.get_page(request.GET.get("pagina"))
        context["filters"] = form.filter_values()
        context["query"] = urlencode(context["filters"])
        others = {k: v for k, v in context["filters"].items() if k != "stage"}
        for step in context["pipeline"]:
            step["query"] = urlencode({**others, "stage": step["value"]})
            step["active"] = context["filters"].get("stage") == step["value"]
    context["follow_up_months"] = settings.ACTIESCAN_FOLLOW_UP_MONTHS
    return context


@staff_required
@require_GET
def sessions_overview(request):
    form = overviews.SessionFilterForm(request.GET)
    context = sessions_context(request, form)
    return render_page_or_partial(
        request, "reports/overview/sessions.html", context, partials=("overview-results",),
        status=200 if form.is_valid() else 400,
    )


@staff_required
@require_GET
def sessions_export(request):
    """The export buttons of the sessions overview: the sessions the filters select, as
    sessions, scores or action points, in XLSX, CSV or JSON."""
    form = overviews.SessionFilterForm(request.GET)
    export_form = ExportForm(request.GET)
    if not (form.is_valid() and export_form.is_valid()):
        context = sessions_context(request, form)
        context["export_form"] = export_form
        context["export_error"] = _("Deze export kan niet: kies wat u wilt exporteren en in welk "
                                    "bestand, en controleer de filters.")
        return render(request, "reports/overview/sessions.html", context, status=400)
    data = export_form.cleaned_data
    return session_export_response(
        kind=data["kind"], fmt=data["format"],
        sessions=overviews.filtered_sessions(form), include_minutes=data["minutes"],
    )


# --- Initiatives ------------------------------------------------------------------------------

class InitiativeExportForm(forms.Form):
    format = ExportForm.base_fields["format"]


@staff_required
@require_GET
def initiatives_overview(request):
    form = overviews.InitiativeFilterForm(request.GET)
    page = None
    if form.is_valid():
        paginator = Paginator(overviews.filtered_initiatives(form), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("pagina"))
        overviews.attach_latest_sessions(page.object_list)
    return render_page_or_partial(
        request, "reports/overview/initiatives.html",
        {"form": form, "page": page, "active_tab": "initiatives",
         "filters": form.filter_values() if form.is_valid() else {},
         "query": urlencode(form.filter_values()) if form.is_valid() else "",
         "export_form": InitiativeExportForm(initial={"format": "xlsx"})},
        partials=("overview-results",), status=200 if form.is_valid() else 400,
    )


@staff_required
@require_GET
def initiatives_export(request):
    form = overviews.InitiativeFilterForm(request.GET)
    export_form = InitiativeExportForm(request.GET)
    if not (form.is_valid() and export_form.is_valid()):
        messages.error(request, _("Kies een geldig bestandstype voor de export."))
        return render(
            request, "reports/overview/initiatives.html",
            {"form": form, "page": None, "active_tab": "initiatives", "filters": {},
             "export_form": export_form},
            status=400,
        )
    return initiatives_export_response(
        fmt=export_form.cleaned_data["format"],
        queryset=overviews.filtered_initiatives(form).order_by(),
    )


@staff_required
@require_GET
def initiative_page(request, pk):
    initiative = get_object_or_404(Initiative, pk=pk)
    overview = overviews.initiative_overview(initiative)
    return render(
        request, "reports/overview/initiative.html",
        {"overview": overview, "initiative": initiative, "active_tab": "initiatives",
         "path_charts": level_path_charts(overview.path) if overview.path else None},
    )


# --- Across sessions --------------------------------------------------------------------------

@staff_required
@require_GET
def factors_overview(request):
    form = overviews.AggregateFilterForm(request.GET)
    aggregates = overviews.factor_aggregates(form) if form.is_valid() else None
    return render_page_or_partial(
        request, "reports/overview/factors.html",
        {"form": form, "aggregates": aggregates, "active_tab": "factors", "levels": Level.choices},
        partials=("overview-results",), status=200 if form.is_valid() else 400,
    )


# --- Import -----------------------------------------------------------------------------------

class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Bestand met initiatieven"),
        help_text=gettext_lazy("CSV (UTF-8) of Excel (.xlsx), met een kopregel. Verplichte kolommen: "
                               "Code en Naam."),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def initiatives_import(request):
    """Step 1 (POST with a file): read and check the file, try the import without writing,
    and show the preview. Step 2 (POST `confirm` with the preview's token): import, all or
    nothing. The checked rows wait in the user's session between the two steps."""
    context = {"active_tab": "import", "form": ImportForm(), "outcome": None}
    if request.method == "GET":
        return render(request, "reports/overview/import.html", context)

    if "confirm" in request.POST:
        stored = request.session.get(IMPORT_SESSION_KEY)
        if not stored or not secrets.compare_digest(
            stored.get("token", ""), request.POST.get("token", "")
        ):
            context["refused"] = _("Deze voorvertoning is verlopen of al gebruikt. Upload het "
                                   "bestand opnieuw.")
            return render(request, "reports/overview/import.html", context, status=400)
        outcome = run_import(ParsedFile.from_session_data(stored["file"]), dry_run=False)
        if not outcome.ok:
            context.update({"outcome": outcome, "filename": stored["name"],
                            "refused": _("Er is niets geïmporteerd: sinds de voorvertoning is er "
                                         "iets veranderd waardoor deze rijen niet meer kloppen.")})
            return render(request, "reports/overview/import.html", context, status=400)
        del request.session[IMPORT_SESSION_KEY]
        messages.success(request, _(
            "Import klaar: %(new)s nieuw, %(updated)s bijgewerkt, %(skipped)s ongewijzigd."
        ) % {"new": outcome.count("new"), "updated": outcome.count("update"),
             "skipped": outcome.count("skip")})
        return redirect("reports:initiatives_overview")

    form = ImportForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "reports/overview/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    try:
        parsed = parse_upload(upload)
    except ImportRefused as refused:
        request.session.pop(IMPORT_SESSION_KEY, None)
        context["refused"] = str(refused)
        return render(request, "reports/overview/import.html", context, status=400)
    outcome = run_import(parsed, dry_run=True)
    context.update({"outcome": outcome, "filename": upload.name})
    if not outcome.ok:
        request.session.pop(IMPORT_SESSION_KEY, None)
        return render(request, "reports/overview/import.html", context, status=400)
    token = secrets.token_urlsafe(16)
    request.session[IMPORT_SESSION_KEY] = {
        "token": token, "name": upload.name, "file": parsed.as_session_data(),
    }
    context["token"] = token
    return render(request, "reports/overview/import.html", context)


# --- Follow-up: the status of an action point -------------------------------------------------

def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    return local_path(request, target) or fallback


@login_required
@require_http_methods(["GET", "POST"])
def action_status(request, pk):
    """Show or update how an action point stands (gedaan / bezig / niet gestart / vervallen,
    with a comment). Allowed for staff and for the moderator and notulist of its session or of
    the session that follows it; also when that session is closed. Others get a 404."""
    action = get_object_or_404(
        ActionPoint.objects.follow_up_editable_by(request.user).select_related(
            "session_factor__session__initiative", "status_updated_by"
        ),
        pk=pk,
    )
    session = action.session_factor.session
    fallback = reverse("sessions:detail", args=[session.pk])
    context = {"action": action, "next": safe_next(request, fallback), "session": session}
    if request.method == "GET":
        return render(request, "reports/overview/action_status.html", context)
    try:
        services.set_action_status(
            action_point=action, status=request.POST.get("status", ""),
            comment=request.POST.get("status_comment", ""), user=request.user,
        )
    except FieldError as error:
        context.update({"error": str(error), "posted_comment": request.POST.get("status_comment", "")})
        template = ("sessions/_follow_up_review.html#review-item" if request.htmx
                    else "reports/overview/action_status.html")
        return render(request, template, context, status=400)
    if request.htmx:
        context["saved"] = True
        return render(request, "sessions/_follow_up_review.html#review-item", context)
    messages.success(request, _("De stand van zaken is opgeslagen."))
    return HttpResponseRedirect(context["next"])  # a path (local_path), never a URL name
