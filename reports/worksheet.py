"""The printable scan, for a table without a laptop or as a hand-out: a worksheet (werkblad) with
per factor its definition, questions, the three levels with tick boxes for now and desired, and
lines for two action points; and a one-page preparation sheet for the representant.

Made like the advice PDF: WeasyPrint, fetching only the project's own static files, tagged
(PDF/UA-1: structure, title, language), in the session's language."""

from django.template.loader import render_to_string
from django.utils import translation

from actiescan.models import Level
from sessions.models import FACTOR_BUDGET_SECONDS, ActionPoint, SessionFactor
from sessions.services import catalogue_with_texts

from .document import PDF_STATIC_BASE, static_only_fetcher, static_url

WORKSHEET_TEMPLATE = "reports/worksheet.html"
PREPARATION_TEMPLATE = "reports/preparation_sheet.html"


def sheet_factors(session=None, *, everything: bool = False) -> list[SessionFactor]:
    """The factors on the worksheet: the session's chosen ones, with the texts the session
    keeps; or, without a session, before anything is chosen, or when `everything` is asked
    for, every active factor of the catalogue as it is now. Catalogue factors come as unsaved
    SessionFactors, so the sheet reads every factor the same way (title, texts in the
    language, level cards)."""
    if session is not None and not everything:
        chosen = list(session.factors.select_related("factor").order_by("position", "pk"))
        if chosen:
            return chosen
    return [
        SessionFactor(factor=factor, snapshot=factor.snapshot(), position=n)
        for n, factor in enumerate(catalogue_with_texts().filter(is_active=True), start=1)
    ]


def render_sheet_pdf(template: str, context: dict, *, language: str) -> bytes:
    from weasyprint import HTML  # lazy: importing it costs ~0.8 s (see reports.document)

    with translation.override(language):
        html = render_to_string(template, {
            **context,
            "language": language,
            "levels": Level.choices,
            "action_positions": range(1, ActionPoint.ACTIONS_PER_FACTOR + 1),
            "stylesheet": static_url("css/worksheet.css", for_pdf=True),
        })
    document = HTML(string=html, base_url=PDF_STATIC_BASE, url_fetcher=static_only_fetcher())
    return document.render(pdf_variant="pdf/ua-1").write_pdf(pdf_variant="pdf/ua-1")


def worksheet_pdf(*, factors, session=None, language: str) -> bytes:
    return render_sheet_pdf(
        WORKSHEET_TEMPLATE, {"factors": factors, "session": session}, language=language
    )


def preparation_pdf(*, session=None, language: str) -> bytes:
    """One page: what the scan is, the 5 minutes of preparation, choosing factors, the levels;
    with the factors of the catalogue, the session's chosen ones marked."""
    chosen = set(session.factors.values_list("factor_id", flat=True)) if session else set()
    return render_sheet_pdf(
        PREPARATION_TEMPLATE,
        {"session": session, "catalogue": sheet_factors(), "chosen": chosen,
         "budget_minutes": FACTOR_BUDGET_SECONDS // 60},
        language=language,
    )
