"""Exports for staff: sessions, scores (one row per session × factor), action points and
reflections (of workshop tables and events), as XLSX, CSV and JSON (file formats:
actiescan.tabular).

The columns are defined once, as django-import-export Resources with Dutch headers. The admin
uses them through ExportMixin (reports.admin); the export buttons of the staff overview stream
rows straight from a queryset iterator (`ExportResource.rows`) into the file.

- Minutes (notulen) are only exported when explicitly asked for: they come with the separate
  *…WithMinutesResource* classes.
"""

from django.db.models import Count, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export.fields import Field

from actiescan.tabular import ExportResource, file_response, local
from actiescan.users import display_name
from sessions.models import ActionPoint, Event, Reflection, ScanSession, SessionFactor
from sessions.reflection_export import ReflectionResource

from .pipeline import PipelineStage, with_pipeline


class SessionColumns(ExportResource):
    """The first columns, which say which session a row belongs to; `session_of` returns the
    ScanSession of a row's object."""

    session_id = Field(column_name=_("Sessie-ID"))
    date = Field(column_name=_("Datum"))
    initiative_code = Field(column_name=_("Code initiatief"))
    initiative = Field(column_name=_("LLO-initiatief"))
    is_case = Field(column_name=_("Casus"))

    def session_of(self, obj):
        return obj

    def dehydrate_session_id(self, obj):
        return self.session_of(obj).pk

    def dehydrate_date(self, obj):
        return local(self.session_of(obj).starts_at)

    def dehydrate_initiative_code(self, obj):
        return self.session_of(obj).initiative.code

    def dehydrate_initiative(self, obj):
        return self.session_of(obj).initiative.name

    def dehydrate_is_case(self, obj):
        return self.session_of(obj).initiative.is_case


class SessionResource(SessionColumns):
    sector = Field(column_name=_("Sector"))
    region = Field(column_name=_("Regio"))
    location = Field(column_name=_("Locatie"))
    moderator = Field(column_name=_("Moderator"))
    notulist = Field(column_name=_("Notulist"))
    status = Field(column_name=_("Status"))
    stage = Field(column_name=_("Fase"))
    advice_finalized_at = Field(column_name=_("Advies definitief op"))
    follow_up_due = Field(column_name=_("Follow-up nodig"))
    previous_session = Field(attribute="previous_session_id", column_name=_("Vorige sessie-ID"))
    factor_count = Field(column_name=_("Aantal succesfactoren"))
    choice_rationale = Field(column_name=_("Waarom deze succesfactoren"))

    class Meta:
        name = _("Sessies")

    minutes_fields = ()

    def prepare(self, queryset):
        deferred = [
            name for name in ("general_minutes", "wrap_up_notes")
            if name not in self.minutes_fields
        ]
        return (
            with_pipeline(queryset)
            .select_related("initiative", "moderator", "notulist")
            .annotate(factor_count=Count("factors"))
            .defer(*deferred)
            .order_by("starts_at", "pk")
        )

    def dehydrate_sector(self, obj):
        return obj.initiative.sector

    def dehydrate_region(self, obj):
        return obj.initiative.region

    def dehydrate_moderator(self, obj):
        return display_name(obj.moderator)

    def dehydrate_notulist(self, obj):
        return display_name(obj.notulist)

    def dehydrate_status(self, obj):
        return obj.get_status_display()

    def dehydrate_stage(self, obj):
        return str(PipelineStage(obj.pipeline_stage).label)

    def dehydrate_advice_finalized_at(self, obj):
        return local(obj.advice_finalized_at)


class SessionWithMinutesResource(SessionResource):
    general_minutes = Field(column_name=_("Algemene notulen"))
    wrap_up_notes = Field(column_name=_("Aanvullende vragen van de notulist"))

    minutes_fields = ("general_minutes", "wrap_up_notes")

    class Meta:
        name = _("Sessies inclusief notulen")


SESSION_ONLY = [
    "session", "session__initiative", "session__starts_at", "session__initiative__code",
    "session__initiative__name", "session__initiative__is_case",
]


class ScoreResource(SessionColumns):
    """One row per session × chosen factor, with the catalogue code and the levels."""

    factor_code = Field(column_name=_("Code succesfactor"))
    factor = Field(column_name=_("Succesfactor"))
    position = Field(column_name=_("Volgorde in het gesprek"))
    current_level = Field(column_name=_("Huidig niveau"))
    desired_level = Field(column_name=_("Gewenst niveau"))
    discussed = Field(column_name=_("Besproken subvragen"))
    minutes_spent = Field(column_name=_("Bestede tijd (minuten)"))
    rationale = Field(column_name=_("Toelichting op het niveau"))

    minutes_fields = ()

    class Meta:
        name = _("Scores per succesfactor")

    def session_of(self, obj):
        return obj.session

    def prepare(self, queryset):
        return (
            queryset.select_related("session__initiative", "factor")
            .annotate(factor_title=KeyTextTransform("title", "snapshot"))
            .only(
                "pk", "position", "current_level", "desired_level", "discussed", "rationale",
                "seconds_spent", *self.minutes_fields, *SESSION_ONLY,
                "factor", "factor__code", "factor__title",
            )
            .order_by("session__starts_at", "session_id", "position", "pk")
        )

    def dehydrate_factor_code(self, obj):
        return obj.factor.code

    def dehydrate_factor(self, obj):
        return obj.factor_title or obj.factor.title

    def dehydrate_current_level(self, obj):
        return obj.get_current_level_display()

    def dehydrate_desired_level(self, obj):
        return obj.get_desired_level_display()

    def dehydrate_discussed(self, obj):
        return len(obj.discussed or [])

    def dehydrate_minutes_spent(self, obj):
        return round(obj.seconds_spent / 60)


class ScoreWithMinutesResource(ScoreResource):
    minutes = Field(column_name=_("Notulen"))

    minutes_fields = ("minutes",)

    class Meta:
        name = _("Scores per succesfactor inclusief notulen")


class ActionPointResource(SessionColumns):
    factor_code = Field(column_name=_("Code succesfactor"))
    factor = Field(column_name=_("Succesfactor"))
    number = Field(attribute="position", column_name=_("Nummer"))
    text = Field(column_name=_("Actiepunt"))
    owner = Field(column_name=_("Trekker"))
    timeframe = Field(column_name=_("Termijn"))
    status = Field(column_name=_("Stand van zaken"))
    status_comment = Field(column_name=_("Toelichting op de stand van zaken"))
    status_updated_at = Field(column_name=_("Stand bijgewerkt op"))

    class Meta:
        name = _("Actiepunten")

    def session_of(self, obj):
        return obj.session_factor.session

    def prepare(self, queryset):
        prefix = "session_factor__"
        return (
            queryset.select_related(f"{prefix}session__initiative", f"{prefix}factor")
            .annotate(factor_title=KeyTextTransform("title", f"{prefix}snapshot"))
            .only(
                "pk", "position", "text", "owner", "timeframe", "status", "status_comment",
                "status_updated_at", "session_factor", f"{prefix}position",
                *(prefix + name for name in SESSION_ONLY),
                f"{prefix}factor", f"{prefix}factor__code", f"{prefix}factor__title",
            )
            .order_by(f"{prefix}session__starts_at", f"{prefix}session_id",
                      f"{prefix}position", "position", "pk")
        )

    def dehydrate_factor_code(self, obj):
        return obj.session_factor.factor.code

    def dehydrate_factor(self, obj):
        return obj.factor_title or obj.session_factor.factor.title

    def dehydrate_status(self, obj):
        return obj.get_status_display()

    def dehydrate_status_updated_at(self, obj):
        return local(obj.status_updated_at)


EXPORT_KINDS = {
    # kind: (title, resource, resource with minutes or None)
    "sessies": (_("Sessies"), SessionResource, SessionWithMinutesResource),
    "scores": (_("Scores"), ScoreResource, ScoreWithMinutesResource),
    "actiepunten": (_("Actiepunten"), ActionPointResource, None),
    "reflecties": (_("Reflecties"), ReflectionResource, None),
}


def rows_for(kind: str, sessions):
    """The queryset an export of `kind` reads, for the selected `sessions`."""
    if kind == "sessies":
        return ScanSession.objects.filter(pk__in=sessions.values("pk"))
    if kind == "scores":
        return SessionFactor.objects.filter(session__in=sessions.values("pk"))
    if kind == "reflecties":
        # The tables' own reflections, and those of the events these tables belong to.
        events = Event.objects.filter(tables__in=sessions.values("pk")).values("pk")
        return Reflection.objects.filter(Q(session__in=sessions.values("pk")) | Q(event__in=events))
    return ActionPoint.objects.filter(session_factor__session__in=sessions.values("pk"))


def session_export_response(*, kind: str, fmt: str, sessions, include_minutes: bool):
    title, plain, with_minutes = EXPORT_KINDS[kind]
    resource = (with_minutes if include_minutes and with_minutes else plain)()
    return file_response(
        headers=resource.headers(),
        rows=resource.rows(rows_for(kind, sessions)),
        fmt=fmt,
        filename=f"actiescan-{kind}-{timezone.localdate():%Y-%m-%d}",
        title=str(title),
    )
