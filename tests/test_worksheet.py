"""The printable scan (issue 18, part C): the worksheet PDF (the chosen factors or all of them,
with questions, levels to tick and lines for two action points) and the one-page preparation
sheet for the representant, made like the advice PDF (only the project's own static files,
tagged, with title and language)."""

import io

import pikepdf
import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from actiescan.models import SuccessFactor
from reports import worksheet
from sessions.models import Initiative

from .helpers import client_for, plan_session, structure


def read(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    return reader, text


def factor_texts(code):
    factor = SuccessFactor.objects.get(code=code)
    return [factor.title, factor.main_question[:60], *[q.text for q in factor.sub_questions.all()],
            *[d.text[:60] for d in factor.descriptors.all()]]


@pytest.mark.pdf
@pytest.mark.django_db
def test_the_worksheet_of_a_session_holds_its_chosen_factors(scan_session, notulist):
    response = client_for(Client, notulist).get(reverse("reports:worksheet", args=[scan_session.pk]))
    reader, text = read(response)
    for code in ("maatwerk", "digitale-tools", "leren-monitoring"):
        for part in factor_texts(code):
            assert " ".join(part.split()).lower() in text.lower(), (code, part)
    assert "Praktijkgericht leren" not in text
    assert "Leerwerkloket Rivierenland" in text and "Succesfactor 3 van 3" in text
    assert text.count("Actiepunt 1") == 3 and text.count("Actiepunt 2") == 3
    assert text.count("Trekker:") == 6 and text.count("Termijn:") == 6
    assert text.count("Nu Gewenst") == 3  # the tick columns of each level table
    # Accessible like the advice: tagged, a title, the language.
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "nl" and "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert reader.metadata.title == "Werkblad LLO Actiescan – Leerwerkloket Rivierenland"
    pdf = pikepdf.open(io.BytesIO(response.content))
    tags = [str(e.S) for e in structure(pdf.Root.StructTreeRoot)]
    assert tags.count("/H1") == 1 and tags.count("/H2") == 3 and tags.count("/Table") == 3
    assert tags.count("/TH") == 3 * (4 + 3)  # per factor: the column heads and the level names


@pytest.mark.pdf
@pytest.mark.django_db
def test_all_factors_on_request_and_the_blank_one_for_moderators_only(scan_session, moderator, notulist):
    client = client_for(Client, moderator)
    _reader, everything = read(client.get(reverse("reports:worksheet", args=[scan_session.pk]) + "?alle=1"))
    _reader, blank = read(client.get(reverse("reports:blank_worksheet")))
    for text in (everything, blank):
        for factor in SuccessFactor.objects.all():
            assert factor.title in text
        assert "Succesfactor 8 van 8" in text
    assert "Leerwerkloket" not in blank and "LLO-initiatief:" in blank
    assert client_for(Client, notulist).get(reverse("reports:blank_worksheet")).status_code == 403
    assert client_for(Client, notulist).get(reverse("reports:blank_preparation_sheet")).status_code == 403
    assert Client().get(reverse("reports:blank_worksheet")).status_code == 302


@pytest.mark.pdf
@pytest.mark.django_db
def test_the_preparation_sheet_is_one_page_and_marks_the_chosen_factors(scan_session, moderator):
    reader, text = read(client_for(Client, moderator).get(
        reverse("reports:preparation_sheet", args=[scan_session.pk])))
    assert len(reader.pages) == 1
    for words in ("Wat is de actiescan?", "geen benchmark en geen toets", "De 5 minuten voorbereiding",
                  "Zo kiest u de succesfactoren", "ongeveer 15 minuten", "De drie niveaus",
                  "Startend de eerste stappen zijn gezet."):
        assert words in text, words
    assert text.count("(gekozen voor dit gesprek)") == 3
    assert "Maatwerk (gekozen voor dit gesprek)" in text and "Praktijkgericht leren: het" in text
    assert reader.trailer["/Root"]["/Lang"] == "nl"
    _reader, blank = read(client_for(Client, moderator).get(reverse("reports:blank_preparation_sheet")))
    assert "gekozen voor dit gesprek" not in blank and "Maatwerk: een leertraject" in blank


@pytest.mark.django_db
def test_outsiders_get_404_and_no_pdf_is_made(scan_session, outsider, monkeypatch):
    monkeypatch.setattr(worksheet, "render_sheet_pdf", lambda *a, **k: pytest.fail("rendered"))
    client = client_for(Client, outsider)
    for name in ("reports:worksheet", "reports:preparation_sheet"):
        assert client.get(reverse(name, args=[scan_session.pk])).status_code == 404


@pytest.mark.pdf
@pytest.mark.django_db
def test_an_english_session_gets_an_english_worksheet(moderator, notulist):
    SuccessFactor.objects.filter(code="maatwerk").update(
        title_en="Tailored learning", main_question_en="How accessible is your offer?")
    initiative = Initiative.objects.create(name="Learning desk")
    session = plan_session(initiative, moderator, notulist, codes=("maatwerk",))
    session.language = "en"
    session.save()
    reader, text = read(client_for(Client, moderator).get(reverse("reports:worksheet", args=[session.pk])))
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert "Worksheet" in text and "Tailored learning" in text and "How accessible is your offer?" in text
    assert "Action point 1" in text and "Owner:" in text
    # No English text for the sub-questions yet: the Dutch ones.
    assert "In hoeverre wordt rekening gehouden met taal" in text
    _reader, preparation = read(client_for(Client, moderator).get(
        reverse("reports:preparation_sheet", args=[session.pk])))
    assert "Preparing as the representative" in preparation


@pytest.mark.pdf
@pytest.mark.django_db
def test_typed_markup_is_text_and_only_static_files_are_fetched(moderator, notulist, monkeypatch):
    initiative = Initiative.objects.create(name='<img src="http://example.com/x.png"> Leerhuis')
    session = plan_session(initiative, moderator, notulist, codes=("maatwerk",))
    fetched, real = [], worksheet.static_only_fetcher

    def recording_fetcher():
        inner = real()
        original = inner.fetch

        def fetch(url, headers=None):
            fetched.append(url)
            return original(url, headers)

        inner.fetch = fetch
        return inner

    monkeypatch.setattr(worksheet, "static_only_fetcher", recording_fetcher)
    _reader, text = read(client_for(Client, moderator).get(reverse("reports:worksheet", args=[session.pk])))
    assert '<img src="http://example.com/x.png"> Leerhuis' in text
    assert fetched and all(url.startswith("https://actiescan.invalid/static/") for url in fetched)
