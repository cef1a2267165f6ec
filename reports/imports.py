"""Importing initiatives from CSV or XLSX, with a preview and a confirm step.

- Identity is the `Code` column (Initiative.code): a row whose code exists updates that
  initiative, a new code creates one. Re-importing an export therefore never duplicates.
- Nothing is written unless every row is valid: the preview is a dry run in a transaction
  that is rolled back, and the confirm step runs the same import again in one transaction that
  is rolled back as soon as one row fails (data may have changed since the preview).
- Files are refused before any row is looked at when they are empty, too large, not UTF-8
  (CSV), not a real XLSX, or have missing, unknown or doubled columns. The work a file can cause
  is bounded, so that no upload pins a worker: every row read counts (blank ones too), an XLSX
  is refused on its declared dimension, its unpacked size (declared and counted) and its number
  of XML elements and rows, CSV on line length, cells per row and NUL bytes. Each bad row gets its
  own message, with the row number as the spreadsheet shows it (the header is row 1).
- The column headers are those of the export (Code, Naam, …), matched without regard to
  capitals; CSV may use `;`, `,` or tabs. A leading apostrophe that our export put before a
  formula-like text (`'=…`) is taken off again, so an export → import round trip is exact.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.fields import Field
from import_export.results import RowResult
from tablib import Dataset

from actiescan.tabular import FORMULA_PREFIXES, file_response
from sessions.models import Initiative


def max_import_bytes() -> int:
    return getattr(settings, "ACTIESCAN_IMPORT_MAX_BYTES", 2 * 1024 * 1024)


def max_import_rows() -> int:
    return getattr(settings, "ACTIESCAN_IMPORT_MAX_ROWS", 2000)


MAX_COLUMNS = 50
# Every row read counts, blank ones included: a sheet that declares (or jumps to) row 1,048,576
# would otherwise make the reader produce a million empty rows, minutes of CPU per request.
MAX_BLANK_ROWS = 1000
# A CSV line longer than this is not an initiative (a description is a few paragraphs).
MAX_LINE_CHARS = 50_000


def max_read_rows() -> int:
    """Rows read from a file at most, blank ones and the header included."""
    return max_import_rows() + 1 + MAX_BLANK_ROWS


def max_uncompressed_bytes() -> int:
    """What an XLSX file (a zip) may unpack to: a 2 MB zip can hold gigabytes of XML."""
    return getattr(settings, "ACTIESCAN_IMPORT_MAX_UNCOMPRESSED_BYTES", 20 * 1024 * 1024)


# XML elements in an XLSX file at most: parsing costs time per element, whatever its size. A
# full import (2,000 rows of 9 cells, their shared strings and styles) has about 100,000.
MAX_XML_ELEMENTS = 400_000


class ImportRefused(Exception):
    """The whole file is refused; the message says why, in Dutch."""


# --- The resource -----------------------------------------------------------------------------

class DutchBooleanWidget(widgets.BooleanWidget):
    TRUE_TEXTS = {"ja", "j", "1", "true", "waar", "yes", "y", "x"}
    FALSE_TEXTS = {"nee", "n", "0", "false", "onwaar", "no", ""}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().lower()
        if text in self.TRUE_TEXTS:
            return True
        if text in self.FALSE_TEXTS:
            return False
        raise ValueError(_("Vul ja of nee in (nu: “%(value)s”).") % {"value": value})

    def render(self, value, obj=None, **kwargs):
        return _("ja") if value else _("nee")


# Column headers of the file (not translated: they are the file format) and the model field.
COLUMNS = [
    ("Code", "code"),
    ("Naam", "name"),
    ("Organisaties", "organisations"),
    ("Sector", "sector"),
    ("Regio", "region"),
    ("Beschrijving", "description"),
    ("Contactpersoon", "contact_name"),
    ("E-mail contactpersoon", "contact_email"),
    ("Casus", "is_case"),
]
REQUIRED_COLUMNS = ("Code", "Naam")
LABELS = {attribute: header for header, attribute in COLUMNS}
HEADER_ALIASES = {
    **{header.lower(): header for header, _attribute in COLUMNS},
    "organisatie": "Organisaties",
    "organisatie(s)": "Organisaties",
    "korte beschrijving": "Beschrijving",
    "e-mail": "E-mail contactpersoon",
    "email": "E-mail contactpersoon",
    "e-mailadres": "E-mail contactpersoon",
    "e-mail contact": "E-mail contactpersoon",
}
CODE_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")


def normalise_header(header) -> str:
    text = "" if header is None else str(header)
    return " ".join(text.replace("\ufeff", "").replace("_", " ").split()).lower()


def canonical_headers(headers) -> list[str]:
    """The file's headers as the resource's column names; ImportRefused when a required
    column is missing or a column is unknown or doubled."""
    canonical, unknown, doubled = [], [], []
    for header in headers:
        name = HEADER_ALIASES.get(normalise_header(header))
        if name is None:
            unknown.append(str(header).strip() or _("(lege kolomnaam)"))
        elif name in canonical:
            doubled.append(name)
        canonical.append(name)
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in canonical]
    if missing:
        problems.append(_("Deze kolommen ontbreken: %(names)s.") % {"names": ", ".join(missing)})
    if unknown:
        problems.append(_("Deze kolommen kennen we niet: %(names)s.") % {"names": ", ".join(unknown)})
    if doubled:
        problems.append(_("Deze kolommen staan er twee keer in: %(names)s.") % {"names": ", ".join(doubled)})
    if problems:
        problems.append(
            _("Gebruik de kolommen %(names)s (alleen Code en Naam zijn verplicht). Tip: exporteer "
              "eerst de initiatieven; dat bestand heeft de juiste kolommen.")
            % {"names": ", ".join(header for header, _attribute in COLUMNS)}
        )
        raise ImportRefused(" ".join(problems))
    return canonical


def unneutralise(value: str) -> str:
    """Undo the apostrophe that the export puts before formula-like text."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


class InitiativeResource(resources.ModelResource):
    code = Field(attribute="code", column_name="Code", widget=widgets.CharWidget())
    name = Field(attribute="name", column_name="Naam", widget=widgets.CharWidget())
    organisations = Field(attribute="organisations", column_name="Organisaties",
                          widget=widgets.CharWidget())
    sector = Field(attribute="sector", column_name="Sector", widget=widgets.CharWidget())
    region = Field(attribute="region", column_name="Regio", widget=widgets.CharWidget())
    description = Field(attribute="description", column_name="Beschrijving",
                        widget=widgets.CharWidget())
    contact_name = Field(attribute="contact_name", column_name="Contactpersoon",
                         widget=widgets.CharWidget())
    contact_email = Field(attribute="contact_email", column_name="E-mail contactpersoon",
                          widget=widgets.CharWidget())
    is_case = Field(attribute="is_case", column_name="Casus", widget=DutchBooleanWidget())

    class Meta:
        model = Initiative
        name = "LLO-initiatieven"
        fields = tuple(attribute for _header, attribute in COLUMNS)
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        skip_html_diff = True
        store_instance = True
        use_transactions = True

    def before_import(self, dataset, **kwargs):
        # Through the admin the headers arrive as typed; map them (or refuse the file).
        dataset.headers = canonical_headers(dataset.headers or [])
        self._seen_codes = set()

    def before_import_row(self, row, **kwargs):
        for key, value in list(row.items()):
            if value is None:
                row[key] = ""
            elif isinstance(value, str):
                row[key] = unneutralise(value.strip())
        code = row.get("Code", "")
        if not code:
            raise ValidationError({"code": _(
                "Vul een code in. Aan de code herkent een volgende import hetzelfde initiatief."
            )})
        if not CODE_PATTERN.match(code) or len(code) > 80:
            raise ValidationError({"code": _(
                "De code “%(code)s” kan niet: gebruik alleen letters, cijfers, - en _, zonder "
                "spaties, hoogstens 80 tekens (bijvoorbeeld leerwerkloket-rivierenland)."
            ) % {"code": code}})
        if code in self._seen_codes:
            raise ValidationError({"code": _(
                "De code “%(code)s” staat al op een eerdere rij van dit bestand."
            ) % {"code": code}})
        self._seen_codes.add(code)

    def export_rows(self, queryset):
        fields = self.get_export_fields()
        for initiative in queryset.iterator(chunk_size=1000):
            yield [field.export(initiative) for field in fields]


def initiatives_export_response(*, fmt: str, queryset):
    from django.utils import timezone

    resource = InitiativeResource()
    return file_response(
        headers=resource.get_export_headers(),
        rows=resource.export_rows(queryset.order_by("name", "pk")),
        fmt=fmt,
        filename=f"actiescan-initiatieven-{timezone.localdate():%Y-%m-%d}",
        title="Initiatieven",
    )


# --- Reading files ----------------------------------------------------------------------------

@dataclass
class ParsedFile:
    """The rows of an uploaded file with canonical headers, and per data row its row number
    as the spreadsheet shows it (the header is row 1; blank rows are left out)."""

    headers: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    row_problems: dict[int, list[str]] = field(default_factory=dict)

    def dataset(self) -> Dataset:
        data = Dataset(headers=list(self.headers))
        for row in self.rows:
            data.append(list(row))
        return data

    def as_session_data(self) -> dict:
        return {"headers": self.headers, "rows": self.rows, "row_numbers": self.row_numbers}

    @classmethod
    def from_session_data(cls, data: dict) -> "ParsedFile":
        return cls(headers=data["headers"], rows=data["rows"], row_numbers=data["row_numbers"])


def cell_text(value) -> str:
    from datetime import date, datetime

    if value is None:
        return ""
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d-%m-%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    return str(value)


def too_many_rows(read_limit: int) -> ImportRefused:
    return ImportRefused(
        _("Het bestand heeft meer dan %(max)s rijen (lege rijen meegeteld). Haal de lege rijen "
          "weg of splits het bestand in kleinere bestanden.")
        % {"max": number_format(read_limit, force_grouping=True)}
    )


def check_size(size: int) -> None:
    if size == 0:
        raise ImportRefused(_("Het bestand is leeg."))
    limit = max_import_bytes()
    if size > limit:
        raise ImportRefused(
            _("Het bestand is te groot (%(size)s kB). Het maximum is %(max)s kB; splits het in "
              "kleinere bestanden.")
            % {"size": number_format(size // 1024, force_grouping=True),
               "max": number_format(limit // 1024, force_grouping=True)}
        )


def _table(raw_rows) -> ParsedFile:
    """Headers and data rows from the raw rows of a file (lists of text), with limits."""
    headers = None
    rows, numbers, problems = [], [], {}
    limit, read_limit = max_import_rows(), max_read_rows()
    for number, raw in enumerate(raw_rows, start=1):
        if number > read_limit:
            raise too_many_rows(read_limit)
        if len(raw) > MAX_COLUMNS + 1:
            raise ImportRefused(
                _("Rij %(row)s heeft %(n)s cellen; een importbestand voor initiatieven heeft er "
                  "hoogstens %(max)s.")
                % {"row": number, "n": number_format(len(raw), force_grouping=True),
                   "max": len(COLUMNS)}
            )
        cells = [cell_text(value) for value in raw]
        if not any(cell.strip() for cell in cells):
            continue
        if headers is None:
            while cells and not cells[-1].strip():
                cells.pop()
            if len(cells) > MAX_COLUMNS:
                raise ImportRefused(
                    _("Het bestand heeft %(n)s kolommen; een importbestand voor initiatieven heeft "
                      "er hoogstens %(max)s.") % {"n": len(cells), "max": len(COLUMNS)}
                )
            headers = canonical_headers(cells)
            continue
        if len(rows) >= limit:
            raise ImportRefused(
                _("Het bestand heeft meer dan %(max)s rijen. Splits het in kleinere bestanden.")
                % {"max": number_format(limit, force_grouping=True)}
            )
        extra = cells[len(headers):]
        if any(cell.strip() for cell in extra):
            problems[number] = [_("Deze rij heeft meer cellen dan er kolommen zijn.")]
        cells = (cells + [""] * len(headers))[: len(headers)]
        rows.append(cells)
        numbers.append(number)
    if headers is None:
        raise ImportRefused(_("Het bestand is leeg: er staat niets in."))
    if not rows:
        raise ImportRefused(_("Het bestand heeft alleen een kopregel en nog geen initiatieven."))
    return ParsedFile(headers=headers, rows=rows, row_numbers=numbers, row_problems=problems)


def _csv_rows(data: bytes):
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused(
            _("Het bestand is opgeslagen als UTF-16 (Unicode-tekst). Kies in Excel ‘Opslaan als’ "
              "en dan ‘CSV UTF-8 (door lijstscheidingsteken gescheiden)’.")
        )
    if b"\x00" in data[:4096]:
        raise ImportRefused(_("Dit is geen tekstbestand. Kies een CSV- of Excel-bestand."))
    if b"\x00" in data:
        # No database stores a NUL in text (PostgreSQL refuses it): refuse the file, not a row.
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportRefused(
            _("Regel %(line)s van het bestand bevat een ongeldig teken (NUL). Sla het bestand "
              "opnieuw op als ‘CSV UTF-8’.") % {"line": line}
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRefused(
            _("Het bestand is niet opgeslagen als UTF-8 (het eerste onleesbare teken staat in regel "
              "%(line)s). Kies in Excel ‘Opslaan als’ en dan ‘CSV UTF-8 (door "
              "lijstscheidingsteken gescheiden)’, of upload het Excel-bestand (.xlsx) zelf.")
            % {"line": line}
        ) from None
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise ImportRefused(
                _("Regel %(line)s van het bestand is te lang (%(n)s tekens; hoogstens %(max)s). "
                  "Is dit wel een CSV-bestand met initiatieven?")
                % {"line": number, "n": number_format(len(line), force_grouping=True),
                   "max": number_format(MAX_LINE_CHARS, force_grouping=True)}
            )
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        yield from reader
    except csv.Error:
        # csv's own message is English ("field larger than field limit", "unexpected end of data").
        raise ImportRefused(
            _("Het bestand kan niet als CSV worden gelezen (rond regel %(line)s). Controleer de "
              "aanhalingstekens: een tekst die met \" begint, moet ook met \" eindigen.")
            % {"line": reader.line_num}
        ) from None


def not_an_xlsx() -> ImportRefused:
    return ImportRefused(
        _("Dit is geen geldig Excel-bestand (.xlsx). Sla het in Excel op als "
          "‘Excel-werkmap (.xlsx)’ of als ‘CSV UTF-8’.")
    )


XML_START_TAG = re.compile(rb"<(?![/?!])")
XML_ROW_TAG = re.compile(rb"<(?:[^\s<>/?!:]+:)?row[\s/>]")
UNPACK_CHUNK = 64 * 1024


def _check_xlsx_archive(data: bytes) -> None:
    """Refuse an XLSX file (a zip of XML files) before openpyxl parses it, when unpacking or
    parsing it would cost more than a real import file does: unpacked size (as declared in the
    zip AND as counted while unpacking, since a declaration can lie), number of XML elements,
    number of rows (blank ones included) and DTDs (entities can multiply text)."""
    import zipfile

    limit = max_uncompressed_bytes()
    too_big = ImportRefused(
        _("Het Excel-bestand is uitgepakt te groot (meer dan %(max)s MB). Een bestand met "
          "initiatieven is veel kleiner; sla het opnieuw op of splits het.")
        % {"max": number_format(limit // (1024 * 1024), force_grouping=True)}
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_an_xlsx() from None
    with archive:
        members = archive.infolist()
        if len(members) > 1000 or sum(member.file_size for member in members) > limit:
            raise too_big
        unpacked = elements = rows = 0
        for member in members:
            if member.is_dir():
                continue
            parts = []
            try:
                with archive.open(member) as stream:
                    while chunk := stream.read(UNPACK_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > limit:
                            raise too_big
                        parts.append(chunk)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError,
                    EOFError):
                # Corrupt data, a wrong checksum (a lying size), encryption, an unknown method.
                raise not_an_xlsx() from None
            if not member.filename.lower().endswith((".xml", ".rels")):
                continue
            xml = b"".join(parts)
            if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
                raise not_an_xlsx()
            elements += len(XML_START_TAG.findall(xml))
            rows += len(XML_ROW_TAG.findall(xml))
            if rows > max_read_rows():
                raise too_many_rows(max_read_rows())
            if elements > MAX_XML_ELEMENTS:
                raise ImportRefused(
                    _("Het Excel-bestand heeft te veel cellen of opmaak om in te lezen. Kopieer "
                      "alleen de initiatieven naar een nieuwe werkmap, of sla het op als ‘CSV "
                      "UTF-8’.")
                )


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            _("Oude Excel-bestanden (.xls) kunnen niet worden ingelezen. Sla het bestand in Excel "
              "op als ‘Excel-werkmap (.xlsx)’.")
        )
    _check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception:  # noqa: BLE001 - any failure to open means: not a usable xlsx
        raise not_an_xlsx() from None
    try:
        # The sheet's declared size (<dimension ref="A1:I50000000"/>) is refused before a row is
        # read. Then it is set aside: openpyxl would fill every row up to it with blank rows,
        # and drop the rows below it when it is too small; _table counts what is really there.
        if (sheet.max_row or 0) > max_read_rows():
            raise too_many_rows(max_read_rows())
        sheet.reset_dimensions()
        yield from sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
    finally:
        workbook.close()


def read_csv(data: bytes) -> Dataset:
    check_size(len(data))
    return _table(_csv_rows(data)).dataset()


def read_xlsx(data: bytes) -> Dataset:
    check_size(len(data))
    return _table(_xlsx_rows(data)).dataset()


def parse_upload(upload) -> ParsedFile:
    """Read an uploaded CSV or XLSX file; ImportRefused for anything that is not usable."""
    check_size(upload.size)
    data = upload.read(max_import_bytes() + 1)
    name = (upload.name or "").lower()
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        return _table(_xlsx_rows(data))
    if name.endswith((".csv", ".txt")):
        return _table(_csv_rows(data))
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        return _table(_xlsx_rows(data))
    raise ImportRefused(_("Kies een CSV-bestand (.csv) of een Excel-bestand (.xlsx)."))


# --- Preview and import -----------------------------------------------------------------------

@dataclass
class PreviewRow:
    number: int
    code: str
    name: str
    action: str  # "new", "update", "skip"
    changed: list[str]

    @property
    def action_label(self) -> str:
        return {"new": _("nieuw"), "update": _("bijwerken"), "skip": _("ongewijzigd")}[self.action]


@dataclass
class RowError:
    number: int | None
    code: str
    messages: list[str]


@dataclass
class ImportOutcome:
    rows: list[PreviewRow]
    errors: list[RowError]
    file_errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_errors

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def new_count(self) -> int:
        return self.count("new")

    @property
    def update_count(self) -> int:
        return self.count("update")

    @property
    def skip_count(self) -> int:
        return self.count("skip")


def _messages(error_dict) -> list[str]:
    messages = []
    for attribute, texts in error_dict.items():
        label = LABELS.get(attribute)
        for text in texts:
            messages.append(text if attribute == NON_FIELD_ERRORS or not label else f"{label}: {text}")
    return messages


def run_import(parsed: ParsedFile, *, dry_run: bool) -> ImportOutcome:
    """Import (or, with dry_run, only try) every row in one transaction. Rolled back when
    anything fails, so either all rows are written or none."""
    resource = InitiativeResource()
    result = resource.import_data(
        parsed.dataset(), dry_run=dry_run or bool(parsed.row_problems), raise_errors=False,
        use_transactions=True, rollback_on_validation_errors=True,
    )
    code_at = {number: row[parsed.headers.index("Code")] for number, row in
               zip(parsed.row_numbers, parsed.rows, strict=True)}
    file_errors = [str(error.error) for error in result.base_errors]
    errors = {number: list(texts) for number, texts in parsed.row_problems.items()}
    for invalid in result.invalid_rows:
        number = parsed.row_numbers[invalid.number - 1]
        errors.setdefault(number, []).extend(_messages(invalid.error_dict))
    for error_row in result.error_rows:
        number = parsed.row_numbers[error_row.number - 1]
        for error in error_row.errors:
            text = str(error.error) if isinstance(error.error, ValueError) else _(
                "Deze rij kon niet worden verwerkt. Controleer de waarden."
            )
            errors.setdefault(number, []).append(text)
    rows = []
    fields = resource.get_import_fields()
    for row_result, number in zip(result.rows, parsed.row_numbers, strict=True):
        if row_result.import_type not in RowResult.valid_import_types or number in errors:
            continue
        instance = row_result.instance
        changed = []
        if row_result.import_type == RowResult.IMPORT_TYPE_UPDATE and row_result.original:
            changed = [
                f.column_name for f in fields
                if f.get_value(row_result.original) != f.get_value(instance)
            ]
        rows.append(PreviewRow(
            number=number, code=instance.code, name=instance.name,
            action=row_result.import_type, changed=changed,
        ))
    return ImportOutcome(
        rows=rows,
        errors=[RowError(number=n, code=code_at.get(n, ""), messages=m) for n, m in sorted(errors.items())],
        file_errors=file_errors,
    )
