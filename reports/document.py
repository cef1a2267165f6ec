"""The advice document: one frozen content dict, rendered to HTML (the preview) and to PDF.

The preview and the PDF come from the same template and the same content, so the preview shows
exactly what the PDF will contain. WeasyPrint is imported only when a PDF is made: importing it
costs ~0.8 s, and web workers must start fast."""

import mimetypes
from datetime import datetime

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone, translation

from actiescan.models import Level, SuccessFactor
from actiescan.users import display_name
from sessions.charts import held_level_path, level_chart, level_path_charts
from sessions.services import factors_with_actions

# Inside the PDF, the project's static files live under this address. ".invalid" can never
# resolve, and the fetcher below serves only this prefix from the project's own static files.
PDF_STATIC_BASE = "https://actiescan.invalid/static/"
LEVEL_LABELS = dict(Level.choices)


def advice_content(advice, *, number=None, finalized_at=None, finalized_by=None) -> dict:
    """Everything the document shows, as plain data (stored with each finalized version)."""
    session = advice.session
    factors = list(
        factors_with_actions(session).select_related("advice_section", "factor")
    )
    chosen_codes = {sf.snapshot.get("code") or sf.factor.code for sf in factors}
    return {
        "number": number,
        "finalized_at": finalized_at.isoformat() if finalized_at else None,
        "finalized_by": display_name(finalized_by) if finalized_by else "",
        "language": session.language or "nl",
        "initiative": {
            "name": session.initiative.name,
            "organisations": session.initiative.organisations,
            "sector": session.initiative.sector,
            "region": session.initiative.region,
        },
        "session": {
            "starts_at": session.starts_at.isoformat(),
            "held_at": session.held_at.isoformat(),
            "location": session.location,
            "moderator": display_name(session.moderator),
            "notulist": display_name(session.notulist),
            "participants": [
                {"name": p.name, "role": p.get_role_display(), "organisation": p.organisation}
                for p in session.participants.all()
            ],
        },
        "introduction": advice.introduction,
        "closing": advice.closing,
        "factors": [
            {
                "code": sf.snapshot.get("code", ""),
                "title": sf.title,
                "definition": sf.snapshot.get("definition", ""),
                "main_question": sf.snapshot.get("main_question", ""),
                "levels": sf.snapshot.get("levels", {}),
                "current_level": sf.current_level,
                "desired_level": sf.desired_level,
                "text": sf.advice_section.text if hasattr(sf, "advice_section") else "",
                "actions": [
                    {"position": a.position, "text": a.text, "owner": a.owner, "timeframe": a.timeframe}
                    for a in sf.action_points.all()
                ],
            }
            for sf in factors
        ],
        # Factors not chosen are named as not discussed, never shown as a low level.
        "not_chosen": [
            f.title for f in SuccessFactor.objects.active() if f.code not in chosen_codes
        ],
        # A follow-up session: the initiative's path over the sessions up to this one.
        # Only the sessions its readers may see (ScanSession.path_sessions).
        "path": held_level_path(session.path_sessions(), this_session_id=session.pk),
    }


def document_context(content: dict, *, for_pdf: bool) -> dict:
    factors = []
    for factor in content["factors"]:
        factors.append(
            {
                **factor,
                "current_label": LEVEL_LABELS.get(factor["current_level"], ""),
                "desired_label": LEVEL_LABELS.get(factor["desired_level"], ""),
                "level_rows": [
                    {
                        "value": value,
                        "label": label,
                        "text": factor["levels"].get(value, ""),
                        "is_current": factor["current_level"] == value,
                        "is_desired": factor["desired_level"] == value,
                    }
                    for value, label in Level.choices
                ],
            }
        )
    finalized_at = content.get("finalized_at")
    # Versions finalized before the held date was stored show the planned date, as they did.
    held_at = content["session"].get("held_at") or content["session"]["starts_at"]
    return {
        "doc": content,
        "factors": factors,
        "held_at": timezone.localtime(datetime.fromisoformat(held_at)),
        "finalized_at": timezone.localtime(datetime.fromisoformat(finalized_at)) if finalized_at else None,
        "chart": level_chart(
            [(f["title"], f["current_level"], f["desired_level"]) for f in content["factors"]]
        ),
        "actions": [
            {**action, "factor": factor["title"]}
            for factor in content["factors"]
            for action in factor["actions"]
            if action["text"].strip()
        ],
        # Versions finalized before the path existed have no "path" key.
        "path_charts": level_path_charts(content["path"]) if content.get("path") else None,
        "for_pdf": for_pdf,
        "stylesheet": static_url("css/advice.css", for_pdf=for_pdf),
        "logo": static_url(settings.ACTIESCAN_LOGO, for_pdf=for_pdf)
        if finders.find(settings.ACTIESCAN_LOGO) else "",
        "logo_alt": settings.ACTIESCAN_LOGO_ALT,
    }


def static_url(path: str, *, for_pdf: bool) -> str:
    """A project static file's address: in the PDF the one the fetcher below serves."""
    return PDF_STATIC_BASE + path if for_pdf else static(path)


def render_document_html(content: dict, *, for_pdf: bool) -> str:
    with translation.override(content.get("language") or "nl"):
        return render_to_string("reports/document.html", document_context(content, for_pdf=for_pdf))


def static_only_fetcher():
    """A WeasyPrint URL fetcher that serves the project's own static files and refuses
    everything else: no file://, no network, no data: — whatever a user typed."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(PDF_STATIC_BASE):
                raise URLFetchingError(f"Refused to fetch {url[:200]!r}: not a project static file")
            path = url[len(PDF_STATIC_BASE):].split("?")[0].split("#")[0]
            if not path or ".." in path.split("/") or path.startswith("/"):
                raise URLFetchingError(f"Refused path {path[:200]!r}")
            found = finders.find(path)
            if not found:
                raise URLFetchingError(f"No static file {path[:200]!r}")
            with open(found, "rb") as handle:
                body = handle.read()
            mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": mime_type})

    return StaticOnlyFetcher()


def render_pdf(content: dict) -> tuple[bytes, int]:
    """The PDF and its page count. Tagged as PDF/UA-1 (public bodies must publish accessible
    documents): a structure tree in reading order with headings, lists, tables with their
    headers, alternative text for the chart and the logo, the language and the title."""
    from weasyprint import HTML  # lazy, see module docstring

    html = render_document_html(content, for_pdf=True)
    document = HTML(string=html, base_url=PDF_STATIC_BASE, url_fetcher=static_only_fetcher()).render(
        pdf_variant="pdf/ua-1")
    return document.write_pdf(pdf_variant="pdf/ua-1"), len(document.pages)
