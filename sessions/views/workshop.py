"""Screens of a workshop (bijeenkomst): the organiser's live overview of all tables, adding
tables, the casus text, and the reflection per table and per event.

Who sees what: an event's overview, its reflection and its export are for its organiser and SER
staff; anyone else gets a 404. Each table is a scan session and keeps the session's own access
(moderator, notulist, staff): the overview links to a table only for those who may open it."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actiescan.models import SuccessFactor
from actiescan.roles import MODERATOR_GROUP, can_plan_sessions, is_ser_staff
from actiescan.tabular import FORMATS

from .. import events, invitations
from ..access import get_session
from ..forms import TableRolesForm, UserChoiceField, users_in
from ..models import (
    FACTOR_BUDGET_SECONDS,
    Event,
    Initiative,
    Reflection,
    ReflectionQuestion,
)
from ..reflection_export import reflection_export_response
from .planning import warn_about

# How often the organiser's overview asks whether a table changed (seconds).
OVERVIEW_POLL_SECONDS = 5


# --- Forms -------------------------------------------------------------------------------------

class DateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M"]


class EventForm(forms.ModelForm):
    starts_at = DateTimeField(label=gettext_lazy("Datum en tijd"))
    organiser = UserChoiceField(queryset=users_in(MODERATOR_GROUP), label=gettext_lazy("Organisator"))

    class Meta:
        model = Event
        fields = ["name", "starts_at", "location", "organiser", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if is_ser_staff(user):
            self.fields["organiser"].queryset = users_in(MODERATOR_GROUP)
            if not self.instance.pk:
                self.initial.setdefault("organiser", user.pk)
        else:
            # A moderator organises their own events.
            del self.fields["organiser"]


class InitiativeChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", gettext_lazy("– kies een initiatief –"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, initiative):
        if initiative.is_case:
            return _("%(name)s (casus)") % {"name": initiative.name}
        return initiative.name


class TableForm(TableRolesForm):
    field_order = ["initiative", "location", "moderator", "notulist", "factors", "language"]

    initiative = InitiativeChoiceField(
        queryset=Initiative.objects.none(), label=gettext_lazy("LLO-initiatief of casus"),
        help_text=gettext_lazy("Zit er geen initiatief aan tafel, kies dan een casus."),
    )
    location = forms.CharField(
        label=gettext_lazy("Tafel"), max_length=200,
        help_text=gettext_lazy("Naam of nummer van de tafel, bijvoorbeeld Tafel 1."),
    )
    factors = forms.ModelMultipleChoiceField(
        queryset=SuccessFactor.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Succesfactoren"),
        help_text=gettext_lazy("Mag leeg blijven: dan kiest de representant aan tafel."),
    )
    language = forms.ChoiceField(
        choices=settings.LANGUAGES, initial="nl", label=gettext_lazy("Taal van het advies")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["initiative"].queryset = Initiative.objects.order_by("-is_case", "name")
        self.fields["factors"].queryset = SuccessFactor.objects.active()


class ReflectionForm(forms.Form):
    insights = forms.CharField(
        label=ReflectionQuestion.INSIGHTS.label, required=False,
        max_length=settings.ACTIESCAN_MAX_FIELD_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
    )
    levels = forms.CharField(
        label=ReflectionQuestion.LEVELS.label, required=False,
        max_length=settings.ACTIESCAN_MAX_FIELD_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
    )
    possibilities = forms.CharField(
        label=ReflectionQuestion.POSSIBILITIES.label, required=False,
        max_length=settings.ACTIESCAN_MAX_FIELD_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        for name in Reflection.ANSWER_FIELDS:
            if isinstance(data.get(name), str):
                data[name] = data[name].replace("\r\n", "\n").replace("\r", "\n")
        return data


# --- Access ------------------------------------------------------------------------------------

def get_event(request, pk) -> Event:
    """The event if this user may see its overview (organiser, staff); 404 otherwise."""
    return get_object_or_404(
        Event.objects.visible_to(request.user).select_related("organiser"), pk=pk
    )


def get_managed_event(request, pk) -> Event:
    """The event if this user may change it (Event.can_manage: organiser, staff); others who
    may see it get a 403, everyone else a 404."""
    event = get_event(request, pk)
    if not event.can_manage(request.user):
        raise PermissionDenied(_("Alleen de organisator of een SER-medewerker kan dit wijzigen."))
    return event


# --- Events ------------------------------------------------------------------------------------

@login_required
@require_GET
def event_list(request):
    events_ = (
        Event.objects.visible_to(request.user)
        .select_related("organiser")
        .annotate(table_count=Count("tables"))
        .order_by("-starts_at", "-pk")
    )
    return render(request, "events/list.html", {
        "events": events_[:200],
        "can_create": can_plan_sessions(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request):
    if not can_plan_sessions(request.user):
        raise PermissionDenied(_("Alleen SER-medewerkers en moderatoren kunnen een bijeenkomst plannen."))
    form = EventForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        event = form.save(commit=False)
        event.created_by = request.user
        if "organiser" not in form.fields:
            event.organiser = request.user
        event.save()
        messages.success(request, _("De bijeenkomst is gepland. Voeg nu de tafels toe."))
        return redirect(event)
    return render(request, "events/form.html", {"form": form, "is_new": True})


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request, pk):
    event = get_managed_event(request, pk)
    form = EventForm(request.POST or None, instance=event, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("De bijeenkomst is opgeslagen."))
        return redirect(event)
    return render(request, "events/form.html", {"form": form, "event": event})


def tables_context(request, event):
    tables = events.event_tables(event, request.user)
    now = timezone.now()
    for table in tables:
        table.seconds_now = table.seconds_spent(now)
        table.current_seconds_now = table.current_seconds(now)
        table.running_iso = (
            timezone.localtime(table.running_since).isoformat() if table.running_since else ""
        )
    return {
        "event": event,
        "tables": tables,
        "fingerprint": events.tables_fingerprint(event),
        "poll_seconds": OVERVIEW_POLL_SECONDS,
        "budget_seconds": FACTOR_BUDGET_SECONDS,
        "cases": events.case_initiatives(tables),
    }


@login_required
@require_GET
def event_detail(request, pk):
    """The organiser's screen: every table live, adding tables, casus, reflection, export."""
    event = get_event(request, pk)
    can_manage = event.can_manage(request.user)
    form = None
    if can_manage:
        form = TableForm(initial={"location": events.next_table_name(event)})
    context = tables_context(request, event)
    context.update({
        "can_manage": can_manage,
        "table_form": form,
        "reflection": Reflection.objects.filter(event=event).first(),
    })
    return render(request, "events/detail.html", context)


@never_cache
@login_required
@require_GET
def event_tables(request, pk):
    """The live part of the overview, polled by htmx: 204 while nothing changed."""
    event = get_event(request, pk)
    if request.GET.get("sinds") == events.tables_fingerprint(event):
        return HttpResponse(status=204)
    return render(request, "events/detail.html#event-tables", tables_context(request, event))


@login_required
@require_POST
def add_table(request, pk):
    event = get_managed_event(request, pk)
    form = TableForm(request.POST)
    if not form.is_valid():
        context = tables_context(request, event)
        context.update({
            "can_manage": True, "table_form": form,
            "reflection": Reflection.objects.filter(event=event).first(),
        })
        return render(request, "events/detail.html", context, status=400)
    data = form.cleaned_data
    session = events.add_table(
        event=event, initiative=data["initiative"], moderator=data["moderator"],
        notulist=data["notulist"], location=data["location"],
        factor_ids=[f.pk for f in data["factors"]], language=data["language"], user=request.user,
    )
    messages.success(request, _("%(table)s is toegevoegd.") % {"table": session.location})
    warn_about(request, invitations.invite(session=session))
    return redirect(event)


@login_required
@require_GET
def event_export(request, pk):
    """The reflections of the event and of its tables, as a spreadsheet."""
    event = get_event(request, pk)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        raise Http404
    return reflection_export_response(
        reflections=events.event_reflections(event), fmt=fmt,
        filename=f"actiescan-reflecties-{timezone.localtime(event.starts_at):%Y-%m-%d}",
    )


# --- Reflection --------------------------------------------------------------------------------

def reflection_page(request, *, session=None, event=None, context):
    reflection = events.reflection_for(session=session, event=event)
    stored = None
    status = 200
    if request.method == "POST":
        form = ReflectionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                events.save_reflection(
                    answers={name: data[name] for name in Reflection.ANSWER_FIELDS},
                    version=data["version"], user=request.user, session=session, event=event,
                )
            except events.ReflectionConflict as conflict:
                stored = conflict.stored
                # Keep what this user typed; the next save is based on the stored version.
                retry = request.POST.copy()
                retry["version"] = stored.version
                form = ReflectionForm(retry)
                status = 409
            else:
                messages.success(request, _("De reflectie is opgeslagen."))
                return redirect(request.path)
        else:
            status = 400
    else:
        form = ReflectionForm(initial={
            **{name: getattr(reflection, name) for name in Reflection.ANSWER_FIELDS},
            "version": reflection.version,
        })
    context.update({
        "form": form,
        "reflection": reflection,
        "stored": stored,
        "stored_answers": [
            (label, getattr(stored, name)) for name, label in ReflectionQuestion.choices
        ] if stored else [],
    })
    return render(request, "events/reflection.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def session_reflection(request, pk):
    """The reflection of one table (session): its moderator, notulist and staff fill it in,
    also after the session was closed (it is about the scan, not part of the minutes)."""
    session = get_session(request, pk)
    return reflection_page(request, session=session, context={
        "session": session, "subject": session.initiative.name,
    })


@login_required
@require_http_methods(["GET", "POST"])
def event_reflection(request, pk):
    """The joint reflection at the end of the workshop."""
    event = get_managed_event(request, pk)
    return reflection_page(request, event=event, context={"event": event, "subject": event.name})


# --- Casus -------------------------------------------------------------------------------------

@login_required
@require_GET
def case_list(request):
    return render(request, "events/case_list.html", {
        "cases": Initiative.objects.filter(is_case=True).order_by("name"),
    })


@login_required
@require_GET
def case_detail(request, pk):
    """A casus on one page, to read on screen or print (5 minutes of preparation)."""
    initiative = get_object_or_404(Initiative, pk=pk, is_case=True)
    return render(request, "present/case.html", {
        "initiative": initiative, "back_url": reverse("sessions:case_list"),
    })
