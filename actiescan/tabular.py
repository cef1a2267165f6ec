"""Tables as files: CSV for Dutch Excel, XLSX and JSON, written from rows of Python values.
Used by every export (staff overviews, workshop reflections, the admin).

- CSV is written for Dutch Excel: UTF-8 with a byte order mark (without it Excel reads the
  file as Windows-1252 and mangles é, ë, …) and `;` between columns (Dutch Excel's list
  separator; a comma would put every row in one column). Dates are written as dd-mm-jjjj uu:mm.
- Formulas are neutralised only where a cell could become one. In CSV every cell is plain text
  that a spreadsheet parses, so every text starting with = + - @, tab or carriage return gets a
  leading apostrophe: `=HYPERLINK(…)` typed into a session is shown as text, never run. XLSX
  cells are typed: text is written as a string cell (never a formula), marked "quote prefix"
  where it looks like one (so editing it in Excel keeps it text); only text starting with "="
  (which openpyxl would write as a formula) also gets the apostrophe. A "- bullet" thus shows as
  typed. JSON is data for programs and is left as typed.
- XLSX is made to be read: bold header with an autofilter and frozen, column widths from the
  content (bounded), multi-line and long text wrapped.
- Rows are streamed: an export of a year of sessions never holds the whole table in memory.
"""

import csv
import io
import itertools
import json
import tempfile
from datetime import date, datetime
from operator import attrgetter

from asgiref.sync import sync_to_async
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import resources

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


def local(moment):
    return timezone.localtime(moment) if moment else None


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


# Column widths (in characters) come from the header and the first rows: enough to read the
# content, never so wide that one long text pushes the other columns off the screen.
XLSX_WIDTH_SAMPLE_ROWS = 200
XLSX_MIN_WIDTH = 8
XLSX_MAX_WIDTH = 60


def _shown_length(value) -> int:
    """About how many characters a cell needs to show `value` on one line."""
    if isinstance(value, datetime):
        return len(XLSX_DATETIME_FORMAT)
    if isinstance(value, date):
        return len(XLSX_DATE_FORMAT)
    if isinstance(value, bool):
        return len(yes_no(value))
    if value is None:
        return 0
    return max((len(line) for line in str(value).splitlines()), default=0)


def column_widths(headers, sample) -> list[int]:
    widths = []
    for index, header in enumerate(headers):
        longest = max([_shown_length(header)] + [_shown_length(row[index]) for row in sample])
        widths.append(min(max(longest + 2, XLSX_MIN_WIDTH), XLSX_MAX_WIDTH))
    return widths


def write_xlsx(headers, rows, target, *, title="Export"):
    """Write an XLSX workbook with one sheet into the binary file `target`. openpyxl's
    write-only mode streams rows to disk, so memory stays flat however many rows there are;
    only the first XLSX_WIDTH_SAMPLE_ROWS rows are held, to size the columns."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    headers = [str(header) for header in headers]
    rows = iter(rows)
    sample = [list(row) for row in itertools.islice(rows, XLSX_WIDTH_SAMPLE_ROWS)]
    widths = column_widths(headers, sample)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    top = Alignment(vertical="top")
    wrapped = Alignment(vertical="top", wrap_text=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)

    def text_cell(value: str, width: int):
        # Control characters are not allowed in XLSX.
        text = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
        looks_like_formula = text.startswith(FORMULA_PREFIXES)
        if text.startswith("="):
            text = "'" + text
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"  # a string cell, whatever it starts with: never a formula
        cell.quotePrefix = looks_like_formula
        cell.alignment = wrapped if "\n" in text or len(text) > width else top
        return cell

    def cell_for(value, width):
        if isinstance(value, bool):
            value = yes_no(value)
        if isinstance(value, str):
            return text_cell(value, width)
        if isinstance(value, datetime):
            naive = timezone.make_naive(value) if timezone.is_aware(value) else value
            cell = WriteOnlyCell(sheet, value=naive)
            cell.number_format = XLSX_DATETIME_FORMAT
        elif isinstance(value, date):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = XLSX_DATE_FORMAT
        else:
            cell = WriteOnlyCell(sheet, value=value)
        cell.alignment = top
        return cell

    count = 0
    for row in itertools.chain(sample, rows):
        sheet.append([cell_for(value, width) for value, width in zip(row, widths, strict=False)])
        count += 1
    if headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    workbook.save(target)


# --- Responses --------------------------------------------------------------------------------

FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
}


async def pulled(chunks):
    """The chunks of a sync generator (which reads the database) for the ASGI server, one at a
    time in the request's thread: Django reads a *sync* iterator of a streaming response
    completely into memory before it sends anything under ASGI."""
    iterator = iter(chunks)
    done = object()
    while (chunk := await sync_to_async(next)(iterator, done)) is not done:
        yield chunk


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
    response = StreamingHttpResponse(pulled(chunks), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Columns ----------------------------------------------------------------------------------

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
