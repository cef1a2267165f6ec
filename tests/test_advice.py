"""The advice: drafted from the session, edited with conflict safety, finalized into numbered
versions with a real PDF, and delivered through share links."""

import io
import logging
import re
import threading
import time

import pikepdf
import pytest
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from reports import checks, markdown
from reports import services as advice_services
from reports.document import PDF_STATIC_BASE, advice_content, render_pdf, static_only_fetcher
from reports.models import Advice, AdviceVersion, ShareLink, ShareLinkAccess
from sessions import autosave, services
from sessions.models import Participant, ScanSession

from .helpers import at, client_for, figure_alts, in_thread, plan_session, structure

INJECTIONS = [
    "<script>alert('x')</script>",
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://example.com/evil.css">',
    "<style>body { background: url(http://example.com/track.png) }</style>",
]


def pdf_text(pdf_bytes) -> str:
    reader = PdfReader(io.BytesIO(bytes(pdf_bytes)))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text) -> str:
    return " ".join(text.split())


def embedded_fonts(pdf_bytes) -> dict[str, bytes]:
    """The fonts the PDF's pages use, by name without the subset prefix, with the embedded
    font program of each."""
    pdf = pikepdf.open(io.BytesIO(bytes(pdf_bytes)))
    fonts = {}
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            descriptor = font.DescendantFonts[0].FontDescriptor
            fonts[str(font.BaseFont).split("+")[-1]] = descriptor.FontFile2.read_bytes()
    return fonts


def record_fetches(monkeypatch) -> list[str]:
    """The addresses the PDF renderer asks for, from now on."""
    from reports import document

    fetched, real_fetcher = [], document.static_only_fetcher

    def recording_fetcher():
        fetcher = real_fetcher()
        original = fetcher.fetch

        def fetch(url, headers=None):
            fetched.append(url)
            return original(url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(document, "static_only_fetcher", recording_fetcher)
    return fetched


@pytest.fixture
def closed_session(running_session, moderator):
    Participant.objects.create(session=running_session, name="Marieke Janssen", role="representant",
                               organisation="Gemeente Tiel")
    running_session.choice_rationale = "Deze drie zijn nu het belangrijkst voor de groei."
    running_session.save()
    for n, sf in enumerate(running_session.factors.order_by("position")):
        sf.current_level = ["startend", "gevorderd", "startend"][n]
        sf.desired_level = ["gevorderd", "voldragen", "voldragen"][n]
        sf.rationale = f"Toelichting bij {sf.title}."
        sf.minutes = f"Notulen over {sf.title}: de doelgroep is laaggeletterd."
        sf.save()
        for action in sf.action_points.all():
            action.text = f"Actie {action.position} voor {sf.title}"
            action.owner = "Marieke"
            action.timeframe = "voor 1 maart"
            action.save()
    services.close_session(session=running_session, user=moderator)
    running_session.refresh_from_db()
    return running_session


@pytest.fixture
def advice(closed_session, notulist):
    return advice_services.get_or_draft_advice(session=closed_session, user=notulist)


def test_the_advice_can_only_be_made_after_closing(running_session, notulist):
    response = client_for(Client, notulist).get(reverse("reports:advice", args=[running_session.pk]))
    assert response.status_code == 302 and not Advice.objects.exists()


def test_the_draft_is_made_from_the_session(closed_session, notulist):
    client = client_for(Client, notulist)
    response = client.get(reverse("reports:advice", args=[closed_session.pk]))
    assert response.status_code == 200
    advice = Advice.objects.get(session=closed_session)
    assert "Leerwerkloket Rivierenland" in advice.introduction
    assert "Marieke Janssen" in advice.introduction
    assert "Deze drie zijn nu het belangrijkst" in advice.introduction
    sections = list(advice.sections.order_by("session_factor__position"))
    assert len(sections) == 3
    assert "Notulen over Maatwerk" in sections[0].text and "Toelichting bij Maatwerk" in sections[0].text
    # Opening again does not draft a second time or overwrite edits.
    Advice.objects.filter(pk=advice.pk).update(introduction="Bewerkt")
    client.get(reverse("reports:advice", args=[closed_session.pk]))
    advice.refresh_from_db()
    assert advice.introduction == "Bewerkt" and advice.sections.count() == 3


def test_advice_sections_save_with_conflict_safety(advice, moderator, notulist):
    url = reverse("reports:advice_save", args=[advice.session.pk])
    section = advice.sections.first()
    key = f"section:{section.pk}:text"
    first = client_for(Client, notulist).post(url, {"field": key, "value": "Versie notulist", "version": 0})
    second = client_for(Client, moderator).post(url, {"field": key, "value": "Versie moderator", "version": 0})
    assert first.status_code == 200
    assert second.status_code == 409 and second.json()["value"] == "Versie notulist"
    section.refresh_from_db()
    assert section.text == "Versie notulist"
    # A session field cannot be written through the advice endpoint, nor the other way round.
    factor = advice.session.factors.first()
    response = client_for(Client, notulist).post(url, {"field": f"factor:{factor.pk}:minutes", "value": "x", "version": 0})
    assert response.status_code == 400


def test_advice_sync_reports_changed_sections(advice, moderator, notulist):
    section = advice.sections.first()
    client_for(Client, notulist).post(reverse("reports:advice_save", args=[advice.session.pk]),
                                      {"field": f"section:{section.pk}:text", "value": "Nieuw", "version": 0})
    response = client_for(Client, moderator).get(reverse("reports:advice_sync", args=[advice.session.pk]), {"since": 0})
    assert response.json()["fields"][f"section:{section.pk}:text"]["value"] == "Nieuw"
    advice.refresh_from_db()
    response = client_for(Client, moderator).get(
        reverse("reports:advice_sync", args=[advice.session.pk]), {"since": advice.revision})
    assert response.status_code == 204


@pytest.mark.pdf
def test_finalized_pdf_contains_everything_and_marks_unchosen_factors(advice, notulist):
    version = advice_services.finalize(advice=advice, user=notulist)
    pdf = bytes(version.pdf)
    assert pdf.startswith(b"%PDF")
    assert version.page_count >= 5 and version.pdf_size == len(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title.startswith("Advies LLO Actiescan")
    assert reader.trailer["/Root"]["/Lang"] == "nl"
    assert [item["/Title"] for item in reader.outline if isinstance(item, dict)][:2] == [
        "Advies voor Leerwerkloket Rivierenland", "Zo leest u dit advies"]
    text = flat(pdf_text(pdf))
    assert "Leerwerkloket Rivierenland" in text and "Jeroen" in text and "Fatima" in text
    assert "geen benchmark en geen toets" in text
    assert "Pagina 2 van" in text
    for sf in advice.session.factors.all():
        assert sf.title in text
        assert f"Notulen over {sf.title}" in text
        for action in sf.action_points.all():
            assert action.text in text
    assert "hier staat het initiatief nu" in text and "hier wil het initiatief naartoe" in text
    # The five factors not chosen appear only as "niet besproken", never with a level.
    for title in ("Praktijkgericht leren", "Start klein, groei slim", "Zichtbaarheid & marketing",
                  "Begeleiding & betrokkenheid", "Netwerk & samenwerking"):
        assert f"{title} niet besproken" in text
    assert text.count("niet besproken") == 5


@pytest.mark.pdf
def test_fonts_are_embedded(advice, notulist):
    version = advice_services.finalize(advice=advice, user=notulist)
    reader = PdfReader(io.BytesIO(bytes(version.pdf)))
    checked = 0
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        if page.extract_text().strip():
            assert fonts, "a page with text but no fonts"
        for font in fonts.values():
            font = font.get_object()
            if "/DescendantFonts" in font:  # composite (Type0) fonts keep it one level down
                font = font["/DescendantFonts"][0].get_object()
            descriptor = font["/FontDescriptor"]
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            checked += 1
    assert checked >= len(reader.pages)  # every page's fonts were looked at, and there were some


@pytest.mark.pdf
def test_typed_markup_appears_as_literal_text_and_fetches_nothing(advice, notulist, monkeypatch):
    fetched = record_fetches(monkeypatch)
    Advice.objects.filter(pk=advice.pk).update(introduction="\n".join(INJECTIONS))
    advice.refresh_from_db()
    section = advice.sections.first()
    section.text = INJECTIONS[1]
    section.save()
    version = advice_services.finalize(advice=advice, user=notulist)
    text = flat(pdf_text(version.pdf))
    assert "<script>alert('x')</script>" in text
    assert '<img src="file:///etc/passwd">' in text
    assert "http://example.com/evil.css" in text
    assert fetched and all(url.startswith(PDF_STATIC_BASE) for url in fetched)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "http://example.com/x.png", "https://example.com/x.css",
    "data:text/plain,hallo", f"{PDF_STATIC_BASE}../../settings.py", f"{PDF_STATIC_BASE}css/bestaat-niet.css",
])
def test_the_fetcher_refuses_everything_but_project_static_files(url):
    from weasyprint.urls import URLFetchingError

    with pytest.raises(URLFetchingError):
        static_only_fetcher().fetch(url)


def test_the_fetcher_serves_the_projects_own_static_files():
    response = static_only_fetcher().fetch(f"{PDF_STATIC_BASE}css/advice.css")
    assert b"@page" in response.read()


@pytest.mark.pdf
def test_finalize_twice_gives_two_versions_and_the_first_is_unchanged(advice, notulist):
    client = client_for(Client, notulist)
    url = reverse("reports:advice_finalize", args=[advice.session.pk])
    assert client.post(url).status_code == 302
    first = AdviceVersion.objects.get(advice=advice, number=1)
    first_pdf = bytes(first.pdf)
    Advice.objects.filter(pk=advice.pk).update(introduction="Een nieuwe inleiding voor versie twee.")
    client.post(url)
    second = AdviceVersion.objects.get(advice=advice, number=2)
    first.refresh_from_db()
    assert bytes(first.pdf) == first_pdf
    assert "nieuwe inleiding" not in flat(pdf_text(first.pdf))
    assert "Een nieuwe inleiding voor versie twee." in flat(pdf_text(second.pdf))
    for number in (1, 2):
        response = client.get(reverse("reports:advice_version_pdf", args=[advice.session.pk, number]))
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert response["Content-Disposition"].startswith("attachment;")
    assert second.finalized_by == first.finalized_by == advice.session.notulist


def test_an_absurdly_long_advice_is_refused_with_a_message(advice, notulist, settings):
    settings.ACTIESCAN_MAX_DOCUMENT_CHARACTERS = 1000
    Advice.objects.filter(pk=advice.pk).update(introduction="x" * 2000)
    response = client_for(Client, notulist).post(
        reverse("reports:advice_finalize", args=[advice.session.pk]), follow=True)
    assert "te lang" in response.content.decode()
    assert not AdviceVersion.objects.exists()


def test_preview_shows_the_same_content_as_the_pdf(advice, notulist):
    html = client_for(Client, notulist).get(reverse("reports:advice_preview", args=[advice.session.pk])).content.decode()
    from django.utils.html import escape

    for sf in advice.session.factors.all():
        assert escape(sf.title) in html
    assert "niet besproken" in html and "Concept" in html
    response = client_for(Client, notulist).get(reverse("reports:advice_preview_pdf", args=[advice.session.pk]))
    assert response.content.startswith(b"%PDF") and not AdviceVersion.objects.exists()


def test_outsiders_cannot_reach_the_advice(advice, outsider, notulist):
    advice_services.finalize(advice=advice, user=notulist)
    client = client_for(Client, outsider)
    pk = advice.session.pk
    for url in (reverse("reports:advice", args=[pk]), reverse("reports:advice_preview", args=[pk]),
                reverse("reports:advice_preview_pdf", args=[pk]), reverse("reports:advice_version_pdf", args=[pk, 1])):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("reports:advice_finalize", args=[pk])).status_code == 404
    assert client.post(reverse("reports:share_create", args=[pk, 1])).status_code == 404
    assert AdviceVersion.objects.count() == 1 and not ShareLink.objects.exists()


def test_the_moderator_the_notulist_and_staff_create_share_links(advice, notulist, moderator, staff, outsider):
    version = advice_services.finalize(advice=advice, user=notulist)
    url = reverse("reports:share_create", args=[advice.session.pk, version.number])
    assert client_for(Client, outsider).post(url).status_code == 404
    made = client_for(Client, moderator).post(url)
    assert made.status_code == 200
    assert client_for(Client, staff).post(url, {"days": "30"}).status_code == 200
    assert client_for(Client, notulist).post(url).status_code == 200
    links = list(ShareLink.objects.order_by("pk"))
    assert len(links) == 3
    assert 89 <= (links[0].expires_at - timezone.now()).days <= 90
    assert 29 <= (links[1].expires_at - timezone.now()).days <= 30
    # The address is shown once, to whoever made the link; only its hash is stored.
    address = re.search(r'value="http://testserver(/deel/([^/"]+)/)"', made.content.decode())
    assert address and len(address.group(2)) >= 40
    assert ShareLink.objects.for_token(address.group(2)).get() == links[0]
    assert address.group(2) not in str(ShareLink.objects.values_list())
    assert Client().get(address.group(1)).status_code == 200
    editor = client_for(Client, moderator).get(reverse("reports:advice", args=[advice.session.pk]))
    assert "/deel/" not in editor.content.decode()


def test_share_link_opens_without_login_and_every_opening_is_logged(advice, notulist, moderator):
    version = advice_services.finalize(advice=advice, user=notulist)
    link = advice_services.create_share_link(version=version, user=moderator)
    anonymous = Client()
    page = anonymous.get(reverse("reports:shared", args=[link.token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Actie 1 voor Maatwerk" in html and "niet besproken" in html
    pdf = anonymous.get(reverse("reports:shared_pdf", args=[link.token]))
    assert pdf.status_code == 200 and pdf.content == bytes(version.pdf)
    assert list(ShareLinkAccess.objects.values_list("what", flat=True).order_by("pk")) == ["page", "pdf"]


def test_expired_revoked_and_wrong_links_show_a_clear_page_never_the_content(advice, notulist, moderator):
    version = advice_services.finalize(advice=advice, user=notulist)
    expired = advice_services.create_share_link(version=version, user=moderator)
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timezone.timedelta(minutes=1))
    revoked = advice_services.create_share_link(version=version, user=moderator)
    client_for(Client, moderator).post(reverse("reports:share_revoke", args=[advice.session.pk, revoked.pk]))
    anonymous = Client()
    for token, status, words in ((expired.token, 410, "verlopen"), (revoked.token, 410, "ingetrokken"),
                                 ("x" * 43, 404, "bestaat niet")):
        for name in ("reports:shared", "reports:shared_pdf"):
            response = anonymous.get(reverse(name, args=[token]))
            assert response.status_code == status, (name, token)
            html = response.content.decode()
            assert words in html and "Actie 1 voor Maatwerk" not in html
    assert not ShareLinkAccess.objects.exists()


def test_guessing_share_links_is_rate_limited(advice, notulist, moderator, settings):
    settings.ACTIESCAN_SHARE_LINK_MAX_FAILURES = 5
    version = advice_services.finalize(advice=advice, user=notulist)
    link = advice_services.create_share_link(version=version, user=moderator)
    anonymous = Client()
    for n in range(5):
        assert anonymous.get(reverse("reports:shared", args=[f"{n}" * 43])).status_code == 404
    assert anonymous.get(reverse("reports:shared", args=["z" * 43])).status_code == 429
    # The right token opens: a link is never refused because of wrong guesses (someone behind
    # the same address may have typed them); a token has 256 random bits.
    assert anonymous.get(reverse("reports:shared", args=[link.token])).status_code == 200
    other_client = Client(REMOTE_ADDR="10.0.0.9")
    assert other_client.get(reverse("reports:shared", args=[link.token])).status_code == 200


@pytest.mark.pdf
def test_a_full_session_with_long_minutes_renders(initiative, moderator, notulist):
    from actiescan.models import SuccessFactor

    from .helpers import plan_session

    session = plan_session(initiative, moderator, notulist, codes=list(SuccessFactor.objects.values_list("code", flat=True)))
    services.start_session(session=session, user=moderator)
    words = ("De representant vertelt uitgebreid over de aanpak, de partners en de doelgroep. " * 40).strip()
    for sf in session.factors.all():
        sf.minutes = words + "\n\n" + words
        sf.current_level = "gevorderd"
        sf.save()
    services.close_session(session=session, user=moderator)
    advice = advice_services.get_or_draft_advice(session=session, user=notulist)
    version = advice_services.finalize(advice=advice, user=notulist)
    assert version.page_count >= 10
    text = flat(pdf_text(version.pdf))
    assert text.count("niet besproken") == 0
    assert all(sf.title in text for sf in session.factors.all())


@pytest.mark.pdf
def test_an_edit_while_the_pdf_is_made_is_in_the_version_it_gives(advice, notulist, monkeypatch):
    """The PDF is made outside the write transaction; an edit that lands meanwhile is not lost
    from the version: finalizing starts again with the new text."""
    from reports import document

    real_render, calls = document.render_pdf, []

    def render_while_someone_edits(content):
        calls.append(content["introduction"])
        if len(calls) == 1:
            advice_services.save_advice_field(
                advice=Advice.objects.get(pk=advice.pk), key=f"advice:{advice.pk}:introduction",
                values=["Inleiding, net nog aangepast."], version=advice.introduction_version,
                user=notulist,
            )
        return real_render(content)

    monkeypatch.setattr(document, "render_pdf", render_while_someone_edits)
    client_for(Client, notulist).post(reverse("reports:advice_finalize", args=[advice.session.pk]))
    version = AdviceVersion.objects.get(advice=advice)
    assert version.number == 1 and len(calls) == 2
    assert version.content["introduction"] == "Inleiding, net nog aangepast."
    assert "Inleiding, net nog aangepast." in flat(pdf_text(version.pdf))


def test_an_advice_that_keeps_changing_is_not_finalized_and_says_why(advice, notulist, monkeypatch):
    from reports import document

    real_render = document.render_pdf

    def render_while_someone_keeps_typing(content):
        Advice.objects.filter(pk=advice.pk).update(revision=models.F("revision") + 1)
        return real_render(content)

    monkeypatch.setattr(document, "render_pdf", render_while_someone_keeps_typing)
    response = client_for(Client, notulist).post(
        reverse("reports:advice_finalize", args=[advice.session.pk]), follow=True)
    assert "werd gewijzigd terwijl de pdf werd gemaakt" in response.content.decode()
    assert not AdviceVersion.objects.filter(advice=advice).exists()


@pytest.mark.django_db(transaction=True)
def test_other_tables_keep_saving_while_a_pdf_is_made(advice, notulist, initiative, moderator, monkeypatch):
    """Making a PDF takes about a second; it must not hold the write lock that every autosave
    needs (on SQLite: every table of a workshop)."""
    from reports import document

    other = plan_session(initiative, moderator, notulist)
    services.start_session(session=other, user=moderator)
    factor = other.factors.first()
    real_render, rendering, saved = document.render_pdf, threading.Event(), threading.Event()

    def slow_render(content):
        rendering.set()
        saved.wait(10)
        return real_render(content)

    monkeypatch.setattr(document, "render_pdf", slow_render)

    thread, outcome = in_thread(
        lambda: advice_services.finalize(advice=Advice.objects.get(pk=advice.pk), user=notulist))
    assert rendering.wait(10)
    started = time.monotonic()
    autosave.save_field(session=other, key=f"factor:{factor.pk}:minutes",
                        values=["Tafel twee typt gewoon door."], version=0, user=moderator)
    took = time.monotonic() - started
    saved.set()
    thread.join(20)
    assert took < 2, f"the autosave waited {took:.1f} s for the PDF"
    assert "error" not in outcome
    assert AdviceVersion.objects.filter(advice=advice, number=1).exists()


# --- What the draft holds, and the session's notes beside it --------------------------------

def test_the_draft_keeps_internal_notes_out_and_offers_them_beside_each_section(closed_session, notulist):
    ScanSession.objects.filter(pk=closed_session.pk).update(
        general_minutes="Intern: de moderator was tien minuten te laat.\n\nDe doelgroep is lastig te bereiken.",
        wrap_up_notes="Nog navragen: wie betaalt de coaches?",
    )
    html = client_for(Client, notulist).get(reverse("reports:advice", args=[closed_session.pk])).content.decode()
    advice = Advice.objects.get(session=closed_session)
    # The notulist's general minutes and own last questions never land in the document by
    # themselves; what the table said about each factor does.
    assert "te laat" not in advice.introduction and "lastig te bereiken" not in advice.introduction
    assert "Nog navragen" not in advice.closing
    assert "Deze drie zijn nu het belangrijkst" in advice.introduction
    first = advice.sections.order_by("session_factor__position").first()
    assert "Notulen over Maatwerk" in first.text
    # Beside each section: the notes, passage by passage, each with a button into that field.
    intro_key, closing_key = f"advice:{advice.pk}:introduction", f"advice:{advice.pk}:closing"
    section_key = f"section:{first.pk}:text"
    for key, passage in ((intro_key, "Intern: de moderator was tien minuten te laat."),
                         (intro_key, "De doelgroep is lastig te bereiken."),
                         (closing_key, "Nog navragen: wie betaalt de coaches?"),
                         (section_key, "Notulen over Maatwerk: de doelgroep is laaggeletterd.")):
        item = re.search(
            r'<li class="advice-source" data-passage>\s*<p class="advice-source__text" data-passage-text>'
            + re.escape(passage) + r'</p>.*?data-take-over="([^"]+)"', html, re.S)
        assert item and item.group(1) == key, passage
    assert "js/advice-sources.js" in html


def test_passages_are_paragraphs_or_else_lines():
    assert advice_services.passages("Een.\nTwee.\n\n\nDrie.\r\n\r\nVier") == ["Een.\nTwee.", "Drie.", "Vier"]
    assert advice_services.passages("- een\n- twee\n") == ["- een", "- twee"]
    assert advice_services.passages("  \n ") == []


# --- Formatting: the same safe subset in the preview, on the share page and in the PDF ------

FORMATTED = ("Eerste alinea met **vet** en *cursief*.\nNieuwe regel.\n\n- punt een\n- punt twee\n\n"
             "1. stap een\n2. stap twee\n\n# geen kop\n\n[geen link](http://example.com/x) "
             "<b>geen html</b> <script>alert('x')</script>")
FORMATTED_HTML = (
    "<p>Eerste alinea met <strong>vet</strong> en <em>cursief</em>.<br>\nNieuwe regel.</p>\n"
    "<ul>\n<li>punt een</li>\n<li>punt twee</li>\n</ul>\n<ol>\n<li>stap een</li>\n<li>stap twee</li>\n</ol>\n"
    "<p># geen kop</p>\n<p>[geen link](http://example.com/x) &lt;b&gt;geen html&lt;/b&gt; "
    "&lt;script&gt;alert('x')&lt;/script&gt;</p>\n"
)


def test_the_formatting_subset_is_rendered_safely():
    assert str(markdown.render(FORMATTED)) == FORMATTED_HTML
    assert markdown.render("![x](file:///etc/passwd)") == "<p>![x](file:///etc/passwd)</p>\n"


@pytest.mark.pdf
def test_formatting_is_the_same_in_preview_share_page_and_pdf(advice, notulist, moderator):
    section = advice.sections.order_by("session_factor__position").first()
    section.text = FORMATTED
    section.save()
    Advice.objects.filter(pk=advice.pk).update(introduction="Een **sterke** inleiding.",
                                               closing="- tot\n- slot")
    preview = client_for(Client, notulist).get(reverse("reports:advice_preview", args=[advice.session.pk]))
    version = advice_services.finalize(advice=Advice.objects.get(pk=advice.pk), user=notulist)
    link = advice_services.create_share_link(version=version, user=moderator)
    shared = Client().get(reverse("reports:shared", args=[link.token]))
    for page in (preview.content.decode(), shared.content.decode()):
        assert FORMATTED_HTML in page
        assert "<p>Een <strong>sterke</strong> inleiding.</p>" in page
        assert "<ul>\n<li>tot</li>\n<li>slot</li>\n</ul>" in page
        assert "<script>alert" not in page
    text = flat(pdf_text(version.pdf))
    assert "Eerste alinea met vet en cursief. Nieuwe regel." in text
    assert "**" not in text and "<script>alert('x')</script>" in text and "# geen kop" in text
    # In the PDF the lists are lists (tagged), the bold text bold.
    assert {"Actiescan-Sans-Bold", "Actiescan-Sans-Italic"} <= set(embedded_fonts(version.pdf))


# --- The PDF: words, dates, logo, pages -----------------------------------------------------

@pytest.mark.pdf
def test_the_pdf_capitalises_the_definition_and_the_main_question(advice, notulist):
    version = advice_services.finalize(advice=advice, user=notulist)
    text = flat(pdf_text(version.pdf))
    catalogue_texts = [sf.snapshot[name] for sf in advice.session.factors.all()
                       for name in ("definition", "main_question")]
    assert sum(t[0].islower() for t in catalogue_texts) >= 3  # as the catalogue writes them
    for written in catalogue_texts:
        assert flat(written[0].upper() + written[1:])[:40] in text


@pytest.mark.pdf
def test_the_pdf_shows_the_day_the_session_was_held(closed_session, notulist):
    ScanSession.objects.filter(pk=closed_session.pk).update(
        starts_at=at(2026, 3, 1, 10), started_at=at(2026, 3, 3, 14), closed_at=at(2026, 3, 3, 16))
    closed_session.refresh_from_db()
    advice = advice_services.get_or_draft_advice(session=closed_session, user=notulist)
    assert advice.introduction.startswith("Op 3 maart 2026 voerde")
    version = advice_services.finalize(advice=advice, user=notulist)
    text = flat(pdf_text(version.pdf))
    assert "Datum 3 maart 2026" in text and "1 maart 2026" not in text


@pytest.mark.pdf
def test_the_cover_shows_the_configured_logo(advice, notulist, settings, tmp_path, monkeypatch):
    fetched = record_fetches(monkeypatch)
    pdf, _pages = render_pdf(advice_content(advice))
    assert f"{PDF_STATIC_BASE}img/actiescan-logo.svg" in fetched
    assert "LLO Actiescan" in figure_alts(pdf)  # the neutral default, with its text

    (tmp_path / "huisstijl").mkdir()
    (tmp_path / "huisstijl" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>')
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, tmp_path]
    settings.ACTIESCAN_LOGO, settings.ACTIESCAN_LOGO_ALT = "huisstijl/logo.svg", "Logo van de provincie"
    fetched.clear()
    pdf, _pages = render_pdf(advice_content(advice))
    assert f"{PDF_STATIC_BASE}huisstijl/logo.svg" in fetched
    assert "Logo van de provincie" in figure_alts(pdf)
    assert checks.logo_is_a_static_file(None) == []

    # A logo that is not a static file: no broken image on the cover, and `check` says why.
    settings.ACTIESCAN_LOGO = "huisstijl/bestaat-niet.svg"
    pdf, _pages = render_pdf(advice_content(advice))
    assert "Logo van de provincie" not in figure_alts(pdf)
    assert [warning.id for warning in checks.logo_is_a_static_file(None)] == ["reports.W001"]


@pytest.mark.pdf
def test_no_page_is_left_half_empty(advice, notulist):
    """After the cover the sections flow: every page but the last is well filled."""
    version = advice_services.finalize(advice=advice, user=notulist)
    reader = PdfReader(io.BytesIO(bytes(version.pdf)))
    lengths = [len(page.extract_text()) for page in reader.pages[1:-1]]
    assert lengths and min(lengths) > 0.6 * max(lengths), lengths


# --- An accessible PDF (PDF/UA) ---------------------------------------------------------------

@pytest.mark.pdf
def test_the_pdf_is_tagged_for_accessibility(advice, notulist):
    version = advice_services.finalize(advice=advice, user=notulist)
    pdf = pikepdf.open(io.BytesIO(bytes(version.pdf)))
    root = pdf.Root
    assert root.MarkInfo.Marked is True and "/StructTreeRoot" in root
    assert str(root.Lang) == "nl"
    assert root.ViewerPreferences.DisplayDocTitle is True
    metadata = pdf.open_metadata()
    assert metadata["pdfuaid:part"] == "1"
    assert metadata["dc:title"] == "Advies LLO Actiescan – Leerwerkloket Rivierenland"

    elements = list(structure(root.StructTreeRoot))
    tags = [str(element.S) for element in elements]
    # Headings in reading order: the cover's title, then a heading per section.
    headings = [tag for tag in tags if tag in ("/H1", "/H2", "/H3")]
    assert headings[0] == "/H1" and headings.count("/H1") == 1
    factors = advice.session.factors.count()
    # Zo leest u, Inleiding, Overzicht, one per factor, Actielijst, Tot slot.
    assert headings.count("/H2") == 5 + factors
    assert headings.count("/H3") == 3 * factors  # Niveaus, Uit het gesprek, Actiepunten
    # Tables with header cells; every data cell names its headers.
    assert tags.count("/Table") >= 2
    header_ids = {bytes(element.ID) for element in elements if str(element.S) == "/TH"}
    cells = [element for element in elements if str(element.S) == "/TD"]
    assert header_ids and cells
    assert all(element.A.Headers and {bytes(h) for h in element.A.Headers} <= header_ids
               for element in cells)
    # Lists (levels, action points), and alternative text for the chart and the logo.
    assert "/L" in tags and "/LI" in tags
    assert {"Huidig en gewenst niveau per succesfactor", "LLO Actiescan"} <= set(figure_alts(version.pdf))


# --- Characters the main font lacks ---------------------------------------------------------

@pytest.mark.pdf
def test_emoji_and_symbols_never_become_empty_boxes(advice, notulist, caplog):
    typed = "Top gedaan 👍 en op weg 🚀 ✓ ★ Ωμέγα"
    Advice.objects.filter(pk=advice.pk).update(introduction=typed)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        version = advice_services.finalize(advice=Advice.objects.get(pk=advice.pk), user=notulist)
    assert not [r for r in caplog.records if "notdef" in r.getMessage()], caplog.text
    assert typed in flat(pdf_text(version.pdf))
    # The shipped fallbacks are embedded, each holding a real glyph for what it draws.
    fonts = embedded_fonts(version.pdf)
    assert {"Actiescan-Emoji", "Actiescan-Fallback"} <= set(fonts)
    for name in ("Actiescan-Emoji", "Actiescan-Fallback"):
        assert TTFont(io.BytesIO(fonts[name]))["maxp"].numGlyphs > 1  # more than the .notdef box
