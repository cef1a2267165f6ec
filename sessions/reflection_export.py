"""The workshop reflections as a download (XLSX, CSV, JSON): one row per reflection, of a table
or of a whole event, with the three questions of seed 000 verbatim as column headers."""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from import_export.fields import Field

from actiescan.tabular import ExportResource, file_response, local
from actiescan.users import display_name

from .models import ReflectionQuestion


class ReflectionResource(ExportResource):
    """One row per reflection (seed 000): of a table (session) or of a whole event, with the
    three questions verbatim as column headers."""

    kind = Field(column_name=_("Soort"))
    event = Field(column_name=_("Bijeenkomst"))
    event_date = Field(column_name=_("Datum bijeenkomst"))
    session_id = Field(column_name=_("Sessie-ID"))
    table = Field(column_name=_("Tafel"))
    initiative_code = Field(column_name=_("Code initiatief"))
    initiative = Field(column_name=_("LLO-initiatief"))
    is_case = Field(column_name=_("Casus"))
    insights = Field(column_name=ReflectionQuestion.INSIGHTS.label)
    levels = Field(column_name=ReflectionQuestion.LEVELS.label)
    possibilities = Field(column_name=ReflectionQuestion.POSSIBILITIES.label)
    updated_at = Field(column_name=_("Bijgewerkt op"))
    updated_by = Field(column_name=_("Bijgewerkt door"))

    class Meta:
        name = _("Reflecties")

    def prepare(self, queryset):
        return (
            queryset.select_related("event", "session__initiative", "session__event", "updated_by")
            .defer("session__general_minutes", "session__wrap_up_notes",
                   "session__choice_rationale", "session__initiative__description",
                   "session__event__description", "event__description")
            .order_by(
                Coalesce("event__starts_at", "session__event__starts_at", "session__starts_at"),
                Coalesce("event_id", "session__event_id"),
                F("session_id").asc(nulls_first=True),
                "pk",
            )
        )

    @staticmethod
    def event_of(obj):
        return obj.event or (obj.session.event if obj.session else None)

    def dehydrate_kind(self, obj):
        return str(_("bijeenkomst")) if obj.event_id else str(_("tafel / sessie"))

    def dehydrate_event(self, obj):
        event = self.event_of(obj)
        return event.name if event else ""

    def dehydrate_event_date(self, obj):
        event = self.event_of(obj)
        return local(event.starts_at) if event else None

    def dehydrate_table(self, obj):
        return obj.session.location if obj.session else ""

    def dehydrate_initiative_code(self, obj):
        return obj.session.initiative.code if obj.session else ""

    def dehydrate_initiative(self, obj):
        return obj.session.initiative.name if obj.session else ""

    def dehydrate_is_case(self, obj):
        return obj.session.initiative.is_case if obj.session else None

    def dehydrate_updated_at(self, obj):
        return local(obj.updated_at)

    def dehydrate_updated_by(self, obj):
        return display_name(obj.updated_by)


def reflection_export_response(*, reflections, fmt: str, filename: str):
    """The reflections (a queryset of Reflection) as a download in `fmt` (xlsx, csv, json)."""
    resource = ReflectionResource()
    return file_response(
        headers=resource.headers(), rows=resource.rows(reflections), fmt=fmt,
        filename=filename, title=str(_("Reflecties")),
    )
