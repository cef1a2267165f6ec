"""The initiative's path over time (issue 18, part B): per factor a chart of the current and
desired level in every session held, on the initiative pages and in the advice of a follow-up
session; a factor not chosen in a session is "niet besproken" there, never a low level."""

import html as html_module
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from reports import document
from reports import services as advice_services
from sessions.models import Status

from .helpers import at, client_for, figure_alts, make_session

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def two_sessions(initiative, moderator, notulist):
    """Maatwerk in both sessions; digitale-tools only in the first; a third one still planned."""
    first = make_session(initiative, moderator, notulist, when=at(2025, 3, 12), levels={
        "maatwerk": ("startend", "gevorderd"), "digitale-tools": ("gevorderd", "voldragen")})
    second = make_session(initiative, moderator, notulist, when=at(2026, 3, 12), levels={
        "maatwerk": ("gevorderd", "voldragen"), "leren-monitoring": ("", "")})
    make_session(initiative, moderator, notulist, when=at(2026, 9, 1), status=Status.GEPLAND,
                 levels={"maatwerk": ("", "")})
    return first, second


def charts_in(html) -> dict[str, ET.Element]:
    """Each factor's path chart on the page, by the factor's title."""
    charts = {}
    for svg in re.findall(r'<svg class="level-path__chart".*?</svg>', html, re.S):
        element = ET.fromstring(svg)
        title_id = element.get("aria-labelledby").split()[0]
        title = re.search(rf'id="{title_id}"[^>]*>([^<]+)<', html).group(1)
        charts[html_module.unescape(title)] = element
    return charts


def description(chart) -> str:
    return chart.find(f"{SVG}desc").text


def test_the_staff_page_shows_both_sessions_per_factor(two_sessions, staff):
    html = client_for(Client, staff).get(
        reverse("reports:initiative_overview", args=[two_sessions[0].initiative_id])).content.decode()
    charts = charts_in(html)
    assert list(charts) == ["Maatwerk", "Digitale tools", "Leren & monitoring"]
    assert description(charts["Maatwerk"]) == (
        "12 maart 2025: startend → gevorderd. 12 maart 2026: gevorderd → voldragen.")
    # Two columns (the planned session is not held yet), a current and a desired mark in each.
    maatwerk = charts["Maatwerk"]
    assert len(maatwerk.findall(f"{SVG}circle")) == 4
    assert "1 sep" not in ET.tostring(maatwerk, encoding="unicode")
    # Coordinates are plain numbers, also in a Dutch page (no decimal commas).
    for circle in maatwerk.findall(f"{SVG}circle"):
        assert circle.get("cx").isdigit() and circle.get("cy").isdigit()


def test_a_factor_not_chosen_is_not_discussed_never_a_level(two_sessions, staff):
    html = client_for(Client, staff).get(
        reverse("reports:initiative_overview", args=[two_sessions[0].initiative_id])).content.decode()
    digital = charts_in(html)["Digitale tools"]
    assert description(digital) == "12 maart 2025: gevorderd → voldragen. 12 maart 2026: niet besproken."
    # Only the first session is drawn as levels; the second has the words, no mark, no line.
    circles = digital.findall(f"{SVG}circle")
    assert len(circles) == 2 and {c.get("cx") for c in circles} == {circles[0].get("cx")}
    assert [t.text for t in digital.findall(f"{SVG}text") if "not-discussed" in (t.get("class") or "")] == [
        "niet", "besproken"]
    level_lines = [line for line in digital.findall(f"{SVG}line") if line.get("stroke") == "#154273"]
    assert not level_lines
    # Chosen without a level yet: said so, not drawn either.
    learning = charts_in(html)["Leren & monitoring"]
    assert description(learning) == "12 maart 2025: niet besproken. 12 maart 2026: geen niveau gekozen."
    assert not learning.findall(f"{SVG}circle")


def test_the_initiative_page_of_a_moderator_shows_the_path_with_a_table(two_sessions, moderator):
    html = client_for(Client, moderator).get(
        reverse("sessions:initiative", args=[two_sessions[0].initiative_id])).content.decode()
    assert "Het verloop per succesfactor" in html
    table = re.search(r'<table class="level-path__table.*?</table>', html, re.S).group(0)
    assert "<th scope=\"row\">Digitale tools</th><td>gevorderd → voldragen</td><td>niet besproken</td>" in table


def test_a_moderator_sees_the_path_of_the_sessions_they_may_see_only(two_sessions, outsider, initiative):
    """Another moderator, who led a third session of the same initiative, does not see the levels
    of the two sessions led by someone else: one session of their own is no path."""
    make_session(initiative, outsider, when=at(2026, 6, 1), levels={"maatwerk": ("voldragen", "voldragen")})
    html = client_for(Client, outsider).get(reverse("sessions:initiative", args=[initiative.pk])).content.decode()
    assert "level-path" not in html


def test_one_session_held_is_no_path_yet(initiative, moderator, notulist, staff):
    make_session(initiative, moderator, notulist, when=at(2025, 3, 12))
    make_session(initiative, moderator, notulist, when=at(2026, 3, 12), status=Status.GEPLAND)
    html = client_for(Client, staff).get(
        reverse("reports:initiative_overview", args=[initiative.pk])).content.decode()
    assert "level-path" not in html


def advice_of(session, user):
    return advice_services.get_or_draft_advice(session=session, user=user)


def test_the_advice_shows_the_sessions_up_to_this_one_only(two_sessions, notulist):
    first, second = two_sessions
    follow_up = document.advice_content(advice_of(second, notulist))
    assert [s["is_this"] for s in follow_up["path"]["sessions"]] == [False, True]
    assert document.advice_content(advice_of(first, notulist))["path"] is None  # no earlier session
    # A version finalized before the path existed still renders.
    old = {**follow_up}
    del old["path"]
    assert "Het verloop" not in document.render_document_html(old, for_pdf=False)


@pytest.mark.pdf
def test_the_follow_up_advice_pdf_holds_the_paths_text_alternative(two_sessions, notulist):
    version = advice_services.finalize(advice=advice_of(two_sessions[1], notulist), user=notulist)
    reader = PdfReader(io.BytesIO(bytes(version.pdf)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Het verloop sinds het eerste gesprek" in text
    assert "12 maart 2026 (dit gesprek)" in text
    assert "Maatwerk startend → gevorderd gevorderd → voldragen" in text
    assert "Digitale tools gevorderd → voldragen niet besproken" in text
    # Tagged: every chart is a figure whose alternative text says what it shows.
    assert {
        "Maatwerk: 12 maart 2025: startend → gevorderd. 12 maart 2026: gevorderd → voldragen.",
        "Digitale tools: 12 maart 2025: gevorderd → voldragen. 12 maart 2026: niet besproken.",
    } <= set(figure_alts(version.pdf))
