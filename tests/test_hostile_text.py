"""Hostile text in what people type: a 6,000-character word must not push the advice's tables
or the web pages wider than the page, and a right-to-left override (U+202E) in an owner or a
name must not turn the template's own labels around (it stays inside its own text)."""

import io

import pdfplumber
import pytest

from reports import services as advice_services
from reports.worksheet import preparation_pdf, sheet_factors, worksheet_pdf

from . import test_advice

closed_session = test_advice.closed_session  # the fixture: a closed session with actions

LONG_WORD = "Leerwerkloket" + "x" * 6000
RLO = "\u202e"
INVISIBLE = {0x200B: None, 0x2068: None, 0x2069: None}  # break opportunity, FSI, PDI


def pages(pdf: bytes):
    with pdfplumber.open(io.BytesIO(bytes(pdf))) as document:
        for page in document.pages:
            yield page, page.extract_text() or ""


def assert_inside_the_page(pdf: bytes):
    for number, (page, _text) in enumerate(pages(pdf), start=1):
        for char in page.chars:
            assert -1 <= char["x0"] and char["x1"] <= page.width + 1, (
                f"page {number}: {char['text']!r} at x={char['x0']:.0f}..{char['x1']:.0f}, "
                f"the page is {page.width:.0f} wide")
        for line in page.lines + page.rects:
            assert line["x1"] <= page.width + 1, f"page {number}: a table line runs off the page"


# advice.css: @page { margin: 24mm 20mm 22mm 20mm } after the cover.
SIDE_MARGIN = 20 / 25.4 * 72


def assert_inside_the_margins(pdf: bytes):
    """Every character, table rule and cell background of the pages after the cover (which has a
    layout of its own) lies between the left and right margins."""
    for number, (page, _text) in enumerate(pages(pdf), start=1):
        if number == 1:
            continue
        left, right = SIDE_MARGIN - 1, page.width - SIDE_MARGIN + 1
        for kind, items in (("text", page.chars), ("a table rule", page.lines + page.rects)):
            for item in items:
                assert left <= item["x0"] and item["x1"] <= right, (
                    f"page {number}: {kind} {item.get('text', '')!r} at x={item['x0']:.1f}..{item['x1']:.1f}, "
                    f"the margins are at {left:.1f} and {right:.1f}")


@pytest.mark.pdf
def test_the_advice_stays_inside_its_margins(closed_session, notulist):
    """An ordinary advice: the action table's cells (their padding included) fit the text column."""
    draft = advice_services.get_or_draft_advice(session=closed_session, user=notulist)
    version = advice_services.finalize(advice=draft, user=notulist)
    text = "\n".join(t for _page, t in pages(version.pdf))
    assert "Actiepunt Succesfactor Trekker Termijn" in text
    assert_inside_the_margins(version.pdf)


def first_action(session):
    return session.factors.order_by("position").first().action_points.order_by("position").first()


def visible(text: str) -> str:
    """The text without spaces and the invisible break and isolation marks."""
    return "".join(text.split()).translate(INVISIBLE)


@pytest.mark.pdf
def test_a_6000_character_word_stays_inside_the_advice_pdf(closed_session, notulist):
    action = first_action(closed_session)
    action.text = f"Begin met {LONG_WORD} en kijk verder"
    action.owner = LONG_WORD[:200]
    action.save()
    # (The cover is one page: 1,000 characters fit on it, 6,000 would run off its bottom.)
    closed_session.initiative.organisations = LONG_WORD[:1000]
    closed_session.initiative.save()
    draft = advice_services.get_or_draft_advice(session=closed_session, user=notulist)
    # (Before: overflow-wrap alone made WeasyPrint measure the table cell by cell, for minutes.)
    version = advice_services.finalize(advice=draft, user=notulist)
    assert_inside_the_margins(version.pdf)
    text = "\n".join(t for _page, t in pages(version.pdf))
    assert "Actiepunt Succesfactor Trekker Termijn" in text  # the action table's header, in order
    # Nothing of the long word was lost: it is wrapped, not cut (the factor's action, the action
    # list, the cover; the owner twice). The table's columns interleave in the extracted text.
    assert visible(text).count("x") >= 2 * 6000 + 987 + 2 * 187


@pytest.mark.pdf
def test_an_override_in_the_owner_does_not_turn_the_labels_around(closed_session, notulist):
    action = first_action(closed_session)
    action.owner = f"{RLO}Marieke"
    action.save()
    draft = advice_services.get_or_draft_advice(session=closed_session, user=notulist)
    version = advice_services.finalize(advice=draft, user=notulist)
    text = "\n".join(t for _page, t in pages(version.pdf))
    # The owner's own text is shown as typed (turned around by its own override); the labels
    # after it read as the template wrote them. (Before: "Trekker: traam 1 roov :nijmreT · ekeiraM".)
    lines = [" ".join(line.translate(INVISIBLE).split()) for line in text.splitlines()
             if "Trekker" in line and "ekeiraM" in line]
    assert lines and all(line == "Trekker: ekeiraM · Termijn: voor 1 maart" for line in lines), lines


@pytest.mark.pdf
def test_the_worksheets_keep_a_hostile_initiative_name_in_its_place(closed_session):
    # A name is at most 200 characters: one word of 190 is wider than any page.
    closed_session.initiative.name = f"{RLO}Leerwerkloket" + "x" * 177
    closed_session.initiative.save()
    closed_session.location = "Tiel"
    closed_session.save()
    for pdf in (worksheet_pdf(factors=sheet_factors(closed_session), session=closed_session,
                              language="nl"),
                preparation_pdf(session=closed_session, language="nl")):
        assert_inside_the_page(pdf)
        first = next(pages(pdf))[1]
        assert "Tiel" in first and "leiT" not in first
        assert visible(first).count("x") >= 177  # wrapped (and turned around), not cut
