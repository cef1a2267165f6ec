"""Importing initiatives: preview and confirm, all or nothing, identity by code (a re-import
updates, never duplicates), a message per bad row, and bad files refused with a message."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from sessions.models import Initiative

from .helpers import client_for

URL = "reports:initiatives_import"
HEADER = "Code;Naam;Organisaties;Sector;Regio;Beschrijving;Contactpersoon;E-mail contactpersoon;Casus"


def csv_file(text: str, name="initiatieven.csv", encoding="utf-8-sig"):
    return SimpleUploadedFile(name, text.replace("\n", "\r\n").encode(encoding), "text/csv")


def xlsx_file(rows, name="initiatieven.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    target = io.BytesIO()
    workbook.save(target)
    return SimpleUploadedFile(name, target.getvalue())


def upload(client, file):
    return client.post(reverse(URL), {"file": file})


def confirm(client, response):
    return client.post(reverse(URL), {"confirm": "1", "token": response.context["token"]})


@pytest.fixture
def client(staff):
    return client_for(Client, staff)


@pytest.fixture
def existing(db):
    return Initiative.objects.create(code="techniekpact-twente", name="Techniekpact Twente",
                                     sector="Techniek", region="Twente")


def test_preview_writes_nothing_and_confirm_imports(client, existing):
    file = csv_file(f"""{HEADER}
techniekpact-twente;Techniekpact Twente;;Techniek;Oost;;;;nee
zorgleerhuis;Zorgleerhuis Utrecht;ROC, UMC;Zorg;Utrecht;Samen leren in de zorg;Anna de Vries;anna@example.org;nee
oefencasus;Oefencasus Leerwerkloket;;;;;;;ja
""")
    response = upload(client, file)
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome.ok
    assert [(r.number, r.code, r.action) for r in outcome.rows] == [
        (2, "techniekpact-twente", "update"), (3, "zorgleerhuis", "new"), (4, "oefencasus", "new")]
    assert outcome.rows[0].changed == ["Regio"]
    html = response.content.decode()
    assert "Importeren" in html and "bijwerken" in html and "nieuw" in html
    # The preview wrote nothing.
    assert Initiative.objects.count() == 1
    existing.refresh_from_db()
    assert existing.region == "Twente"

    response = confirm(client, response)
    assert response.status_code == 302 and response.url == reverse("reports:initiatives_overview")
    assert Initiative.objects.count() == 3
    existing.refresh_from_db()
    assert existing.region == "Oost"
    zorg = Initiative.objects.get(code="zorgleerhuis")
    assert (zorg.organisations, zorg.contact_email, zorg.is_case) == (
        "ROC, UMC", "anna@example.org", False)
    assert Initiative.objects.get(code="oefencasus").is_case is True


def test_a_preview_token_is_used_once(client, existing):
    response = upload(client, csv_file(f"{HEADER}\nnieuw-initiatief;Nieuw;;;;;;;nee\n"))
    assert confirm(client, response).status_code == 302
    again = confirm(client, response)
    assert again.status_code == 400
    assert "verlopen of al gebruikt" in again.content.decode()
    assert Initiative.objects.filter(code="nieuw-initiatief").count() == 1
    bad = client.post(reverse(URL), {"confirm": "1", "token": "geraden"})
    assert bad.status_code == 400


def test_each_bad_row_gets_its_own_message_and_nothing_is_written(client, existing):
    file = csv_file(f"""{HEADER}
goed-initiatief;Een goed initiatief;;;;;;;nee
slecht-mailadres;Slecht adres;;;;;;geen-adres;nee
zonder-naam;;;;;;;;nee
;Zonder code;;;;;;;nee
rare code!;Rare code;;;;;;;nee
casus-fout;Casus fout;;;;;;;misschien
goed-initiatief;Dubbel;;;;;;;nee
techniekpact-twente;{"x" * 201};;;;;;;nee
""")
    response = upload(client, file)
    assert response.status_code == 400
    errors = {e.number: " ".join(e.messages) for e in response.context["outcome"].errors}
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9}
    assert "E-mail contactpersoon: Voer een geldig e-mailadres in." in errors[3]
    assert "Naam: Dit veld kan niet leeg zijn" in errors[4]
    assert "Vul een code in" in errors[5]
    assert "De code “rare code!” kan niet" in errors[6]
    assert "Vul ja of nee in (nu: “misschien”)" in errors[7]
    assert "staat al op een eerdere rij" in errors[8]
    assert "Naam: Zorg dat deze waarde niet meer dan 200 tekens bevat" in errors[9]
    html = response.content.decode()
    assert "Er is niets geïmporteerd" in html and "Rij 3 (slecht-mailadres)" in html
    assert "token" not in response.context or not response.context.get("token")
    # All or nothing: not even the good row was written, and the existing one is unchanged.
    assert list(Initiative.objects.values_list("code", "name")) == [
        ("techniekpact-twente", "Techniekpact Twente")]


def test_export_then_reimport_updates_instead_of_duplicating(client, existing):
    Initiative.objects.create(code="formule", name='=HYPERLINK("http://evil.example","klik")',
                              organisations="-min of meer", is_case=True)
    exported = client.get(reverse("reports:initiatives_export"), {"format": "csv", "cases": "on"})
    assert exported.status_code == 200
    content = b"".join(exported)
    assert content.startswith(b"\xef\xbb\xbf") and b"'=HYPERLINK" in content
    text = content.decode("utf-8-sig").replace("Techniekpact Twente", "Techniekpact Twente-Oost")
    response = upload(client, SimpleUploadedFile("export.csv", text.encode("utf-8-sig")))
    assert response.status_code == 200
    actions = {r.code: r.action for r in response.context["outcome"].rows}
    assert actions == {"techniekpact-twente": "update", "formule": "skip"}
    assert confirm(client, response).status_code == 302
    assert Initiative.objects.count() == 2
    assert Initiative.objects.get(code="techniekpact-twente").name == "Techniekpact Twente-Oost"
    # The apostrophe the export put before the formula is taken off again: exact round trip.
    formule = Initiative.objects.get(code="formule")
    assert formule.name == '=HYPERLINK("http://evil.example","klik")'
    assert formule.organisations == "-min of meer" and formule.is_case is True


def test_xlsx_round_trip(client, existing):
    exported = client.get(reverse("reports:initiatives_export"), {"format": "xlsx"})
    assert exported.status_code == 200
    data = b"".join(exported)
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert [c.value for c in sheet[1]][:2] == ["Code", "Naam"]
    sheet.append(["nieuw-xlsx", "Nieuw uit Excel", None, "Bouw", None, None, None, None, "nee"])
    sheet["E2"] = "Overijssel"
    target = io.BytesIO()
    workbook.save(target)
    response = upload(client, SimpleUploadedFile("terug.xlsx", target.getvalue()))
    assert response.status_code == 200
    assert confirm(client, response).status_code == 302
    assert Initiative.objects.count() == 2
    assert Initiative.objects.get(code="techniekpact-twente").region == "Overijssel"
    assert Initiative.objects.get(code="nieuw-xlsx").sector == "Bouw"


def test_comma_separated_csv_and_header_variants_are_read(client, db):
    file = csv_file("code,NAAM,e-mail,casus\nkomma,Met komma's,info@example.org,ja\n\n\n")
    response = upload(client, file)
    assert response.status_code == 200
    confirm(client, response)
    komma = Initiative.objects.get(code="komma")
    assert (komma.name, komma.contact_email, komma.is_case) == ("Met komma's", "info@example.org", True)


@pytest.mark.parametrize("make_file, message", [
    (lambda: csv_file("Naam;Sector\nIets;Zorg\n"), "Deze kolommen ontbreken: Code."),
    (lambda: csv_file("Code;Naam;Telefoon\nx;X;0612\n"), "Deze kolommen kennen we niet: Telefoon."),
    (lambda: csv_file("Code;Naam;Naam\nx;X;Y\n"), "Deze kolommen staan er twee keer in: Naam."),
    (lambda: csv_file("Code;Naam\nséé;Café Leren\n", encoding="cp1252"),
     "Het bestand is niet opgeslagen als UTF-8"),
    (lambda: csv_file("Code;Naam\nx;X\n", encoding="utf-16"), "UTF-16"),
    (lambda: csv_file("\n;;\n"), "Het bestand is leeg: er staat niets in."),
    (lambda: csv_file(f"{HEADER}\n"), "alleen een kopregel"),
    (lambda: SimpleUploadedFile("kapot.xlsx", b"PK\x03\x04 dit is geen werkmap"),
     "geen geldig Excel-bestand"),
    (lambda: SimpleUploadedFile("oud.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100), "(.xls)"),
    (lambda: SimpleUploadedFile("foto.png", b"\x89PNG\r\n"), "Kies een CSV-bestand"),
    (lambda: csv_file('Code;Naam\nx;"niet afgesloten\n'), "aanhalingstekens"),
    (lambda: xlsx_file([["Naam"], ["Zonder code"]]), "Deze kolommen ontbreken: Code."),
])
def test_bad_files_are_refused_with_a_message(client, existing, make_file, message):
    response = upload(client, make_file())
    assert response.status_code == 400
    assert message in response.context["refused"]
    assert message in response.content.decode()
    assert Initiative.objects.count() == 1


def test_an_empty_file_is_refused(client, existing):
    response = upload(client, SimpleUploadedFile("leeg.csv", b""))
    assert response.status_code == 400
    assert "Het verstuurde bestand is leeg." in response.content.decode()
    assert Initiative.objects.count() == 1


def test_very_large_files_are_refused(client, existing, settings):
    settings.ACTIESCAN_IMPORT_MAX_BYTES = 1024
    text = HEADER + "\n" + "".join(f"code-{n};Naam {n};;;;;;;nee\n" for n in range(100))
    response = upload(client, csv_file(text))
    assert response.status_code == 400
    assert "Het bestand is te groot (2 kB). Het maximum is 1 kB" in response.context["refused"]
    settings.ACTIESCAN_IMPORT_MAX_BYTES = 10 * 1024 * 1024
    settings.ACTIESCAN_IMPORT_MAX_ROWS = 50
    response = upload(client, csv_file(text))
    assert response.status_code == 400
    assert "meer dan 50 rijen" in response.context["refused"]
    assert Initiative.objects.count() == 1


def test_a_row_with_more_cells_than_columns_is_an_error(client, existing):
    response = upload(client, csv_file("Code;Naam\nx;X;te veel\n"))
    assert response.status_code == 400
    assert response.context["outcome"].errors[0].number == 2
    assert not Initiative.objects.filter(code="x").exists()


def test_missing_file_is_a_form_error(client):
    response = client.post(reverse(URL), {})
    assert response.status_code == 400
    assert "Dit veld is verplicht" in response.content.decode()


def test_import_page_for_staff_only(moderator, notulist):
    for user in (moderator, notulist):
        response = client_for(Client, user).post(
            reverse(URL), {"file": csv_file(f"{HEADER}\nx;X;;;;;;;nee\n")})
        assert response.status_code == 403
    response = Client().post(reverse(URL), {"file": csv_file(f"{HEADER}\nx;X;;;;;;;nee\n")})
    assert response.status_code == 302
    assert not Initiative.objects.exists()


# --- Admin ------------------------------------------------------------------------------------

def test_admin_import_previews_and_confirms_with_the_same_rules(client, existing):
    url = reverse("admin:scan_sessions_initiative_import")
    bad = client.post(url, {"resource": "0", "format": "0",
                            "import_file": csv_file("Naam;Sector\nIets;Zorg\n")})
    assert "Deze kolommen ontbreken: Code." in bad.content.decode()
    response = client.post(url, {
        "resource": "0", "format": "0",
        "import_file": csv_file(f"{HEADER}\ntechniekpact-twente;Techniekpact Twente;;Techniek;Oost;;;;nee\n"
                                "admin-import;Via de beheerpagina;;;;;;;ja\n"),
    })
    assert response.status_code == 200
    confirm_form = response.context["confirm_form"]
    assert Initiative.objects.count() == 1
    data = {name: confirm_form[name].value() for name in confirm_form.fields}
    response = client.post(reverse("admin:scan_sessions_initiative_process_import"), data)
    assert response.status_code == 302
    assert Initiative.objects.count() == 2
    assert Initiative.objects.get(code="techniekpact-twente").region == "Oost"
    assert Initiative.objects.get(code="admin-import").is_case is True


def test_admin_import_refuses_a_sheet_that_would_pin_a_worker(client, existing):
    from . import hostile

    far = f'<row r="50000000">{hostile.cell("A50000000", "x")}</row>'
    upload = SimpleUploadedFile("ver.xlsx", hostile.xlsx(rows=far))
    # (The reader's own guard against hanging is in test_bad_input; the test client needs the
    # test's database connection, so it runs here in the test's thread.)
    response = client.post(reverse("admin:scan_sessions_initiative_import"),
                           {"resource": "0", "format": "1", "import_file": upload})
    assert response.status_code == 200  # the admin shows its form again, with the message
    assert "rijen (lege rijen meegeteld)" in response.content.decode()
    assert Initiative.objects.count() == 1


def test_admin_import_refuses_a_file_larger_than_the_limit(client, existing, settings):
    settings.ACTIESCAN_IMPORT_MAX_BYTES = 100
    response = client.post(reverse("admin:scan_sessions_initiative_import"), {
        "resource": "0", "format": "0",
        "import_file": csv_file(HEADER + "\n" + "x;X;;;;;;;nee\n" * 20)})
    assert "Het bestand is te groot" in response.content.decode()
    assert Initiative.objects.count() == 1
