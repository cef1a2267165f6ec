"""What the staff overview pages show: the filtered sessions with their pipeline counts, the
initiatives with their state, one initiative over time, and per factor across sessions.

Every function here runs a fixed number of queries, whatever the number of sessions: rows are
fetched in one query per kind and joined in Python (the tests hold us to it)."""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actiescan.models import Level, SuccessFactor
from sessions.charts import level_path
from sessions.models import (
    ActionPoint,
    ActionStatus,
    Initiative,
    ScanSession,
    SessionFactor,
    Status,
)

from .pipeline import PipelineStage, with_pipeline

FOLLOW_UP = "follow_up"
STAGE_CHOICES = [*PipelineStage.choices, (FOLLOW_UP, _("follow-up nodig"))]
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d-%m-%y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def distinct_values(field_name: str) -> list[tuple[str, str]]:
    values = (
        Initiative.objects.exclude(**{field_name: ""})
        .order_by(field_name).values_list(field_name, flat=True).distinct()
    )
    return [("", _("Alle"))] + [(value, value) for value in values]


class SessionFilterForm(forms.Form):
    """The filters of the sessions overview (GET). Also used by the export buttons, so an
    export holds exactly the sessions the page shows."""

    q = forms.CharField(label=_("Zoeken"), required=False, max_length=100,
                        help_text=_("Naam of code van het initiatief, organisatie of locatie."))
    start = forms.DateField(label=_("Vanaf"), required=False, widget=DateInput(),
                            input_formats=DATE_INPUT_FORMATS)
    end = forms.DateField(label=_("Tot en met"), required=False, widget=DateInput(),
                          input_formats=DATE_INPUT_FORMATS)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Alle"))] + Status.choices)
    stage = forms.ChoiceField(label=_("Fase"), required=False,
                              choices=[("", _("Alle"))] + STAGE_CHOICES)
    initiative = forms.ModelChoiceField(
        label=_("LLO-initiatief"), required=False, queryset=Initiative.objects.none(),
        empty_label=_("Alle"),
    )
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    region = forms.ChoiceField(label=_("Regio"), required=False)
    moderator = forms.ModelChoiceField(
        label=_("Moderator"), required=False, queryset=get_user_model().objects.none(),
        empty_label=_("Iedereen"),
    )
    cases = forms.BooleanField(label=_("Ook casussen (oefensessies) tonen"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["initiative"].queryset = Initiative.objects.order_by("name")
        self.fields["moderator"].queryset = (
            get_user_model().objects.filter(
                pk__in=ScanSession.objects.exclude(moderator=None).values("moderator")
            ).order_by("first_name", "last_name", "username")
        )
        self.fields["moderator"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["sector"].choices = distinct_values("sector")
        self.fields["region"].choices = distinct_values("region")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("De einddatum ligt vóór de begindatum."))
        return data

    def filter_values(self) -> dict:
        """The submitted filters that have a value, to repeat them in links and exports."""
        return {name: value for name, value in self.data.items() if name in self.fields and value}


def day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def day_end(day):
    return timezone.make_aware(datetime.combine(day, time.max))


def in_period_and_place(sessions, data: dict):
    """The filters both the sessions overview and the factor aggregates offer: casus or not,
    the period, sector and region."""
    if not data.get("cases"):
        sessions = sessions.filter(initiative__is_case=False)
    if data.get("start"):
        sessions = sessions.filter(starts_at__gte=day_start(data["start"]))
    if data.get("end"):
        sessions = sessions.filter(starts_at__lte=day_end(data["end"]))
    if data.get("sector"):
        sessions = sessions.filter(initiative__sector=data["sector"])
    if data.get("region"):
        sessions = sessions.filter(initiative__region=data["region"])
    return sessions


def filtered_sessions(form: SessionFilterForm, *, apply_stage=True):
    """The sessions the valid `form` asks for, with their pipeline annotations. The stage
    filter can be left off, to count every stage within the other filters."""
    data = form.cleaned_data
    sessions = in_period_and_place(with_pipeline(), data)
    if data.get("status"):
        sessions = sessions.filter(status=data["status"])
    if data.get("initiative"):
        sessions = sessions.filter(initiative=data["initiative"])
    if data.get("moderator"):
        sessions = sessions.filter(moderator=data["moderator"])
    if data.get("q"):
        words = data["q"].split()
        for word in words:
            sessions = sessions.filter(
                Q(initiative__name__icontains=word) | Q(initiative__code__icontains=word)
                | Q(initiative__organisations__icontains=word) | Q(location__icontains=word)
            )
    stage = data.get("stage")
    if apply_stage and stage == FOLLOW_UP:
        sessions = sessions.filter(follow_up_due=True)
    elif apply_stage and stage:
        sessions = sessions.filter(pipeline_stage=stage)
    return sessions


def pipeline_counts(sessions) -> list[dict]:
    """How many of `sessions` are in each stage, plus how many need a follow-up: one query."""
    keys = [value for value, _label in STAGE_CHOICES]
    aggregates = {
        value: Count("pk", filter=Q(pipeline_stage=value)) for value in PipelineStage.values
    }
    aggregates[FOLLOW_UP] = Count("pk", filter=Q(follow_up_due=True))
    counts = sessions.aggregate(**aggregates)
    labels = dict(STAGE_CHOICES)
    return [{"value": key, "label": labels[key], "count": counts[key]} for key in keys]


def total_in_stage(pipeline: list[dict], stage: str) -> int:
    """How many sessions the list shows, from `pipeline_counts` of the same filters: every
    session is in exactly one stage; follow-up is counted on its own."""
    counts = {step["value"]: step["count"] for step in pipeline}
    return counts[stage] if stage else sum(counts[value] for value in PipelineStage.values)


def session_rows(sessions):
    return (
        sessions.select_related("initiative", "moderator", "notulist")
        .annotate(factor_count=Count("factors"))
        .defer("general_minutes", "wrap_up_notes", "choice_rationale",
               "initiative__description", "initiative__organisations")
        .order_by("-starts_at", "-pk")
    )


# --- Initiatives ------------------------------------------------------------------------------

class InitiativeFilterForm(forms.Form):
    q = forms.CharField(label=_("Zoeken"), required=False, max_length=100)
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    region = forms.ChoiceField(label=_("Regio"), required=False)
    follow_up = forms.BooleanField(label=_("Alleen follow-up nodig"), required=False)
    cases = forms.BooleanField(label=_("Ook casussen tonen"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = distinct_values("sector")
        self.fields["region"].choices = distinct_values("region")

    def filter_values(self) -> dict:
        return {name: value for name, value in self.data.items() if name in self.fields and value}


def filtered_initiatives(form: InitiativeFilterForm):
    data = form.cleaned_data
    initiatives = Initiative.objects.all()
    if not data.get("cases"):
        initiatives = initiatives.filter(is_case=False)
    if data.get("sector"):
        initiatives = initiatives.filter(sector=data["sector"])
    if data.get("region"):
        initiatives = initiatives.filter(region=data["region"])
    for word in (data.get("q") or "").split():
        initiatives = initiatives.filter(
            Q(name__icontains=word) | Q(code__icontains=word) | Q(organisations__icontains=word)
        )
    if data.get("follow_up"):
        initiatives = initiatives.filter(
            Exists(with_pipeline().filter(
                initiative=OuterRef("pk"), follow_up_due=True
            ))
        )
    latest = ScanSession.objects.filter(initiative=OuterRef("pk")).order_by("-starts_at", "-pk")
    return initiatives.annotate(
        session_count=Count("sessions"),
        latest_session_id=Subquery(latest.values("pk")[:1]),
    ).order_by("name", "pk")


def attach_latest_sessions(initiatives: list) -> list:
    """Set `latest` (the newest session, with its pipeline annotations) on each initiative
    of the page: one query."""
    ids = [i.latest_session_id for i in initiatives if i.latest_session_id]
    latest = {
        s.pk: s for s in with_pipeline().filter(pk__in=ids)
        .select_related("moderator").defer("general_minutes", "wrap_up_notes", "choice_rationale")
    }
    for initiative in initiatives:
        initiative.latest = latest.get(initiative.latest_session_id)
    return initiatives


@dataclass
class InitiativeOverview:
    initiative: Initiative
    sessions: list
    factor_rows: list = field(default_factory=list)
    actions_by_session: list = field(default_factory=list)
    path: dict | None = None  # sessions.charts.level_path of the sessions held


def initiative_overview(initiative: Initiative) -> InitiativeOverview:
    """All sessions of an initiative over time; per factor (by catalogue code) the levels of
    each session side by side; every action point with its status. Four queries."""
    sessions = list(
        with_pipeline().filter(initiative=initiative)
        .select_related("moderator", "notulist")
        .defer("general_minutes", "wrap_up_notes")
        .order_by("starts_at", "pk")
    )
    chosen = list(
        SessionFactor.objects.filter(session__initiative=initiative)
        .select_related("factor")
        .defer("minutes", "rationale")
        .order_by("factor__order", "position")
    )
    actions = list(
        ActionPoint.objects.filter(session_factor__session__initiative=initiative)
        .select_related("session_factor", "status_updated_by")
        .defer("session_factor__minutes", "session_factor__rationale")
        .order_by("session_factor__position", "position")
    )
    by_code = defaultdict(dict)
    titles, orders = {}, {}
    for session_factor in chosen:
        code = session_factor.factor_code
        by_code[code][session_factor.session_id] = session_factor
        titles.setdefault(code, session_factor.title)
        orders.setdefault(code, session_factor.factor.order)
    factor_rows = [
        {
            "code": code,
            "title": titles[code],
            "cells": [by_code[code].get(session.pk) for session in sessions],
        }
        for code in sorted(by_code, key=lambda c: (orders[c], titles[c]))
    ]
    per_session = defaultdict(list)
    for action in actions:
        if action.text.strip() or action.status != ActionStatus.NIET_GESTART:
            per_session[action.session_factor.session_id].append(action)
    return InitiativeOverview(
        initiative=initiative,
        sessions=sessions,
        factor_rows=factor_rows,
        actions_by_session=[(s, per_session[s.pk]) for s in reversed(sessions) if per_session[s.pk]],
        path=level_path([s for s in sessions if s.status != Status.GEPLAND], chosen),
    )


# --- Across sessions --------------------------------------------------------------------------

class AggregateFilterForm(forms.Form):
    start = forms.DateField(label=_("Vanaf"), required=False, widget=DateInput(),
                            input_formats=DATE_INPUT_FORMATS)
    end = forms.DateField(label=_("Tot en met"), required=False, widget=DateInput(),
                          input_formats=DATE_INPUT_FORMATS)
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    region = forms.ChoiceField(label=_("Regio"), required=False)
    cases = forms.BooleanField(label=_("Casussen (oefensessies) meetellen"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = distinct_values("sector")
        self.fields["region"].choices = distinct_values("region")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("De einddatum ligt vóór de begindatum."))
        return data


# Short Dutch words that say nothing about the theme of an action point.
STOPWORDS = set("""
aan al als bij dan dat de deze die dit door een en er met naar niet nog of om ook op over
te ten ter tot uit van voor wat we wij wie zijn zij zich zo het is in hun hoe meer worden
wordt werd kan kunnen moet moeten gaan gaat samen alle andere eigen goed beter nieuwe
daarbij waar waarin tussen onder binnen zodat eerste twee drie jaar per via
""".split())
WORD = re.compile(r"[a-zà-ÿ][a-zà-ÿ'-]{3,}")


def themes(texts, limit=5) -> list[tuple[str, int]]:
    """The words that come back most in the action points (each counted once per action
    point), as a rough look at frequent themes. Words in only one action point are left out."""
    counter = Counter()
    for text in texts:
        counter.update({w for w in WORD.findall(text.lower()) if w not in STOPWORDS})
    return [(word, n) for word, n in counter.most_common(limit) if n > 1]


def factor_aggregates(form: AggregateFilterForm) -> dict:
    """Per factor, across the held sessions (status bezig or afgerond) in the selection: how
    often it was chosen, how often not (counted apart: not chosen is not a low level), the
    current levels of the sessions that chose it (and how many left the level open), and
    frequent words in its action points. Casus sessions only when asked for. Four queries."""
    data = form.cleaned_data
    sessions = in_period_and_place(ScanSession.objects.exclude(status=Status.GEPLAND), data)
    total = sessions.count()
    level_counts = {
        value: Count("pk", filter=Q(current_level=value)) for value in Level.values
    }
    counts = {
        row["factor__code"]: row
        for row in SessionFactor.objects.filter(session__in=sessions.values("pk"))
        .values("factor__code")
        .annotate(chosen=Count("pk"), no_level=Count("pk", filter=Q(current_level="")),
                  **level_counts)
        .order_by()
    }
    texts = defaultdict(list)
    for code, text in (
        ActionPoint.objects.filter(session_factor__session__in=sessions.values("pk"))
        .exclude(text="").values_list("session_factor__factor__code", "text")
    ):
        texts[code].append(text)
    rows = []
    for factor in SuccessFactor.objects.order_by("order", "pk"):
        row = counts.get(factor.code, {})
        chosen = row.get("chosen", 0)
        if not factor.is_active and not chosen:
            continue
        levels = [
            {"value": value, "label": label, "count": row.get(value, 0),
             "percent": round(100 * row.get(value, 0) / chosen) if chosen else 0}
            for value, label in Level.choices
        ]
        rows.append({
            "code": factor.code,
            "title": factor.title,
            "chosen": chosen,
            "not_chosen": total - chosen,
            "chosen_percent": round(100 * chosen / total) if total else 0,
            "levels": levels,
            "no_level": row.get("no_level", 0),
            "themes": themes(texts.get(factor.code, [])),
        })
    return {"total": total, "rows": rows}
