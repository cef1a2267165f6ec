"""Exports for staff: sessions, scores (one row per session × factor), action points,
reflections (of workshop tables and events) and initiatives, as XLSX, CSV and JSON.

The columns are defined once, as django-import-export Resources with Dutch headers. The admin
uses them through ExportMixin and the Format classes below; the export buttons of the staff
overview stream rows straight from a queryset iterator (`ExportResource.rows`) into the file,
so an export of a year of sessions never holds the whole table in memory.

- CSV is written for Dutch Excel: UTF-8 with a byte order mark (without it Excel reads the
  file as Windows-1252 and mangles é, ë, …) and `;` between columns (Dutch Excel's list
  separator; a comma would put every row in one column). Dates are written as dd-mm-jjjj uu:mm.
- Every text cell that a spreadsheet would read as a formula (starting with = + - @, tab or
  carriage return) gets a leading apostrophe in CSV and XLSX, so `=HYPERLINK(…)` typed into a
  session is shown as text, never run. JSON is data for programs and is left as typed.
- Minutes (notulen) are only exported when explicitly asked for: they come with the separate
  *…WithMinutesResource* classes.
"""

import csv
import io
import json
import tempfile
from datetime import date, datetime
from operator import attrgetter

from django.db.models import Count, F, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats

from sessions.models import (
    ActionPoint,
    Event,
    Reflection,
    ReflectionQuestion,
    ScanSession,
    SessionFactor,
)

CSV_DELIMITER = ";"
BOM = "\ufeff"
# OWASP "CSV injection": a cell starting with one of these is read as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "%d-%m-%Y %H:%M"
DATE_FORMAT = "%d-%m-%Y"
XLSX_DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
XLSX_DATE_FORMAT = "dd-mm-yyyy"


def neutralise(value):
    """A text that a spreadsheet would run as a formula, prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def yes_no(value: bool) -> str:
    return str(_("ja")) if value else str(_("nee"))


def person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def local(moment):
    return timezone.localtime(moment) if moment else None


# --- Resources --------------------------------------------------------------------------------

class ExportResource(resources.Resource):
    """Columns with Dutch headers whose values are Python objects (text, numbers, dates,
    booleans); each format writer renders them. `prepare` selects what the rows need.

    A column's value comes from its `dehydrate_<name>` method, or else straight from the
    object's attribute `<name>` (or the Field's `attribute`)."""

    class Meta:
        chunk_size = 1000

    @classmethod
    def get_display_name(cls):
        return getattr(cls._meta, "name", cls.__name__)

    def prepare(self, queryset):
        return queryset

    def filter_export(self, queryset, **kwargs):
        # The admin's export path (Resource.export) comes through here.
        return self.prepare(queryset)

    def _getter(self, field):
        name = self.get_field_name(field)
        return getattr(self, f"dehydrate_{name}", None) or attrgetter(field.attribute or name)

    def _getters(self, selected_fields=None):
        key = tuple(selected_fields or ())
        cache = self.__dict__.setdefault("_getter_cache", {})
        if key not in cache:
            cache[key] = [self._getter(field) for field in self.get_export_fields(selected_fields)]
        return cache[key]

    def export_resource(self, instance, selected_fields=None, **kwargs):
        return [getter(instance) for getter in self._getters(selected_fields)]

    def headers(self) -> list[str]:
        return self.get_export_headers()

    def rows(self, queryset):
        """Row values for `queryset`, read in chunks from the database."""
        getters = self._getters()
        for instance in self.iter_queryset(self.prepare(queryset)):
            yield [getter(instance) for getter in getters]


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
            queryset.with_pipeline()
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
        return person(obj.moderator)

    def dehydrate_notulist(self, obj):
        return person(obj.notulist)

    def dehydrate_status(self, obj):
        return obj.get_status_display()

    def dehydrate_stage(self, obj):
        from sessions.models import PipelineStage

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
        return person(obj.updated_by)


# --- Writers ----------------------------------------------------------------------------------

def csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime):
        return (local(value) if timezone.is_aware(value) else value).strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    return neutralise(str(value))


def csv_chunks(headers, rows, *, rows_per_chunk=500):
    """The CSV file as bytes, in chunks: BOM, then `;`-separated rows with CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([str(h) for h in headers])
    for n, row in enumerate(rows, start=1):
        writer.writerow([csv_text(value) for value in row])
        if n % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def json_value(value):
    if isinstance(value, datetime):
        return (local(value) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def json_chunks(headers, rows, *, rows_per_chunk=500):
    """A JSON array of objects keyed by the Dutch headers, in chunks."""
    headers = [str(h) for h in headers]
    parts = ["["]
    for n, row in enumerate(rows):
        item = {header: json_value(value) for header, value in zip(headers, row, strict=True)}
        parts.append(("," if n else "") + "\n" + json.dumps(item, ensure_ascii=False))
        if len(parts) >= rows_per_chunk:
            yield "".join(parts).encode("utf-8")
            parts = []
    parts.append("\n]\n")
    yield "".join(parts).encode("utf-8")


def write_xlsx(headers, rows, target, *, title="Export"):
    """Write an XLSX workbook with one sheet into the binary file `target`. openpyxl's
    write-only mode streams rows to disk, so memory stays flat however many rows there are."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(len(str(header)) + 4, 40))
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=str(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)

    def cell_for(value):
        if isinstance(value, bool):
            return yes_no(value)
        if isinstance(value, datetime):
            naive = timezone.make_naive(value) if timezone.is_aware(value) else value
            cell = WriteOnlyCell(sheet, value=naive)
            cell.number_format = XLSX_DATETIME_FORMAT
            return cell
        if isinstance(value, date):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = XLSX_DATE_FORMAT
            return cell
        if isinstance(value, str):
            # Control characters are not allowed in XLSX; the apostrophe keeps "=…" text.
            return neutralise(ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value))
        return value

    for row in rows:
        sheet.append([cell_for(value) for value in row])
    workbook.save(target)


# --- Responses --------------------------------------------------------------------------------

FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
}


def file_response(*, headers, rows, fmt: str, filename: str, title: str):
    """A download of the rows in format `fmt` (xlsx, csv or json)."""
    content_type, extension = FORMATS[fmt]
    filename = f"{filename}.{extension}"
    if fmt == "xlsx":
        target = tempfile.TemporaryFile()
        write_xlsx(headers, rows, target, title=title)
        target.seek(0)
        return FileResponse(target, as_attachment=True, filename=filename,
                             content_type=content_type)
    chunks = csv_chunks(headers, rows) if fmt == "csv" else json_chunks(headers, rows)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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


def reflection_export_response(*, reflections, fmt: str, filename: str):
    """The reflections (a queryset of Reflection) as a download in `fmt` (xlsx, csv, json)."""
    resource = ReflectionResource()
    return file_response(
        headers=resource.headers(), rows=resource.rows(reflections), fmt=fmt,
        filename=filename, title=str(_("Reflecties")),
    )


# --- Formats for the admin (django-import-export) ---------------------------------------------

class DutchCSV(base_formats.CSV):
    """CSV for Dutch Excel (see the module docstring); reads what it writes."""

    CONTENT_TYPE = "text/csv; charset=utf-8"

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def export_data(self, dataset, **kwargs):
        return b"".join(csv_chunks(dataset.headers or [], dataset))

    def create_dataset(self, in_stream, **kwargs):
        from .imports import read_csv

        return read_csv(in_stream if isinstance(in_stream, bytes) else in_stream.encode())


class SafeXLSX(base_formats.XLSX):
    """XLSX with neutralised formula cells and Dutch dates; reads with the import's limits."""

    def export_data(self, dataset, **kwargs):
        target = io.BytesIO()
        write_xlsx(dataset.headers or [], dataset, target, title=dataset.title or "Export")
        return target.getvalue()

    def create_dataset(self, in_stream):
        from .imports import read_xlsx

        return read_xlsx(in_stream)


ADMIN_EXPORT_FORMATS = [SafeXLSX, DutchCSV, base_formats.JSON]
ADMIN_IMPORT_FORMATS = [DutchCSV, SafeXLSX]
