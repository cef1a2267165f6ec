"""The advice editor, its preview and PDF, finalized versions, and the share link that the
initiative opens without an account."""


from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actiescan.clients import client_fingerprint
from actiescan.http import json_error, json_login_required
from actiescan.mail import MailNotSent
from actiescan.users import display_name
from sessions import audit
from sessions.access import get_session
from sessions.autosave import Conflict, FieldNotFound, conflict_payload, saved_payload
from sessions.fields import FieldError, whole_number
from sessions.models import FieldRevision, ScanSession
from sessions.phones import mark_spreads
from sessions.services import factors_with_actions

from . import document, services
from .document import advice_content, render_document_html
from .forms import SendAdviceForm
from .models import (
    Advice,
    AdviceDelivery,
    AdviceVersion,
    ShareLink,
    ShareLinkAccess,
    ShareLinkFailure,
)

ADVICE_KEY_PATTERN = r"^(advice|section):"


def get_advice(request, pk, *, sharing=False) -> Advice:
    """The advice of a session this user may see (sessions.access.get_session) and write
    (ScanSession.can_edit_advice). Share links go to people outside: for `sharing` (making
    links, sending the advice by e-mail) ScanSession.can_share decides."""
    session = get_session(request, pk)
    allowed = session.can_share if sharing else session.can_edit_advice
    if not allowed(request.user):
        raise PermissionDenied(_("Dit kan alleen de moderator of de notulist van deze sessie, "
                                 "of een SER-medewerker."))
    advice = Advice.objects.filter(session=session).select_related("session__initiative").first()
    if advice is None:
        raise Http404
    advice.session = session
    return advice


def pdf_response(pdf: bytes, filename: str, *, inline=False) -> HttpResponse:
    response = HttpResponse(bytes(pdf), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_filename(advice, number=None) -> str:
    from django.utils.text import slugify

    base = slugify(advice.session.initiative.name)[:60] or "advies"
    suffix = f"-v{number}" if number else "-concept"
    return f"advies-{base}{suffix}.pdf"


@login_required
@require_GET
def editor(request, pk):
    session = get_session(request, pk)
    if not session.is_closed and not Advice.objects.filter(session=session).exists():
        messages.info(request, _("Sluit eerst de sessie af in het totaaloverzicht; daarna maakt de notulist het advies."))
        return redirect("sessions:wrap_up", pk=session.pk)
    advice = services.get_or_draft_advice(session=session, user=request.user)
    audit.record(request, session, audit.VIEWED_ADVICE, detail="editor")
    factors = list(factors_with_actions(session).select_related("advice_section"))
    # The table's own marks go into the advice only when the notulist takes them over.
    spreads = mark_spreads(factors)
    for sf in factors:
        spread = spreads[sf.pk]
        sf.sources = services.source_notes(
            (_("Toelichting op het niveau"), sf.rationale), (_("Notulen"), sf.minutes),
            (_("Eigen inschattingen van de tafel"), spread.as_text() if spread.visible else ""))
    versions = list(
        advice.versions.select_related("finalized_by").prefetch_related("share_links").defer("pdf", "content")
    )
    return render(
        request,
        "reports/advice_editor.html",
        {
            "session": session,
            "advice": advice,
            "factors": factors,
            "versions": versions,
            "introduction_sources": services.source_notes(
                (_("Waarom deze succesfactoren"), session.choice_rationale),
                (_("Algemene notulen"), session.general_minutes),
            ),
            "closing_sources": services.source_notes(
                (_("Aanvullende vragen van de notulist"), session.wrap_up_notes),
            ),
            "may_share": session.can_share(request.user),
            "deliveries": AdviceDelivery.objects.filter(version__advice=advice)
            .select_related("sent_by", "version"),
            "readonly": False,
            "share_days": settings.ACTIESCAN_SHARE_LINK_DAYS,
            "now": timezone.now(),
        },
    )


@never_cache
@json_login_required
@require_POST
def save(request, pk):
    session = ScanSession.objects.visible_to(request.user).filter(pk=pk).first()
    advice = Advice.objects.filter(session=session).first() if session else None
    if advice is None:
        return json_error("not_found", _("Dit advies bestaat niet of u heeft er geen toegang toe."), 404)
    advice.session = session
    try:
        saved = services.save_advice_field(
            advice=advice, key=request.POST.get("field", ""), values=request.POST.getlist("value"),
            version=request.POST.get("version"), user=request.user,
            merge=request.POST.get("merge") == "1",
            on_saved=lambda: audit.record(request, session, audit.CHANGED_ADVICE),
        )
    except FieldError as error:
        return json_error("invalid", str(error), 400)
    except FieldNotFound:
        return json_error("not_found", _("Dit veld bestaat niet (meer) in dit advies."), 404)
    except Conflict as conflict:
        return JsonResponse(conflict_payload(conflict), status=409)
    return JsonResponse(saved_payload(saved))


@never_cache
@json_login_required
@require_GET
def sync(request, pk):
    session = ScanSession.objects.visible_to(request.user).filter(pk=pk).only("pk").first()
    advice = Advice.objects.filter(session=session).only("pk", "revision").first() if session else None
    if advice is None:
        return json_error("not_found", _("Dit advies bestaat niet of u heeft er geen toegang toe."), 404)
    raw = request.GET.get("since", "")
    since = whole_number(raw, -1)
    if since == advice.revision:
        return HttpResponse(status=204)
    history = (
        FieldRevision.objects.filter(session=session, field__regex=ADVICE_KEY_PATTERN)
        .filter(revision__gt=max(since, 0) if 0 <= since <= advice.revision else 0)
        .select_related("author")
        .order_by("pk")
    )
    last_by_key = {entry.field: entry for entry in history}
    advice.refresh_from_db()
    values = {
        f"advice:{advice.pk}:introduction": (advice.introduction, advice.introduction_version),
        f"advice:{advice.pk}:closing": (advice.closing, advice.closing_version),
    }
    for section in advice.sections.all():
        values[f"section:{section.pk}:text"] = (section.text, section.text_version)
    fields = {}
    for key, entry in last_by_key.items():
        if key in values:
            value, version = values[key]
            fields[key] = {
                "value": value, "version": version, "saved_by": display_name(entry.author),
                "saved_at": timezone.localtime(entry.created_at).strftime("%H:%M"),
            }
    if fields:  # the advice's text goes to this person: a view (sessions.audit)
        audit.record(request, session, audit.VIEWED_ADVICE, detail="sync")
    return JsonResponse({"revision": advice.revision, "fields": fields, "refresh": False})


@login_required
@require_GET
def preview(request, pk):
    advice = get_advice(request, pk)
    audit.record(request, advice.session, audit.VIEWED_ADVICE, detail="voorbeeld")
    html = render_document_html(advice_content(advice), for_pdf=False)
    return HttpResponse(html)


@login_required
@require_GET
def preview_pdf(request, pk):
    advice = get_advice(request, pk)
    content = advice_content(advice)
    try:
        services.check_document_size(content)
    except services.DocumentTooLarge as error:
        messages.error(request, str(error))
        return redirect("reports:advice", pk=pk)
    pdf, _pages = document.render_pdf(content)
    audit.record(request, advice.session, audit.DOWNLOADED_PDF, detail="concept")
    return pdf_response(pdf, pdf_filename(advice), inline=True)


@login_required
@require_POST
def finalize(request, pk):
    advice = get_advice(request, pk)
    try:
        version = services.finalize(advice=advice, user=request.user)
    except services.DocumentTooLarge as error:
        messages.error(request, str(error))
        return redirect("reports:advice", pk=pk)
    except services.AdviceChanged:
        messages.error(request, _("Het advies werd gewijzigd terwijl de pdf werd gemaakt. Er is "
                                  "geen versie gemaakt. Probeer het nog eens."))
        return redirect("reports:advice", pk=pk)
    audit.record(request, advice.session, audit.FINALIZED_ADVICE, detail=f"v{version.number}")
    messages.success(
        request,
        _("Versie %(n)s is definitief gemaakt (%(pages)s pagina's).") % {"n": version.number, "pages": version.page_count},
    )
    return redirect(f"{reverse('reports:advice', args=[pk])}#versies")


@login_required
@require_GET
def version_pdf(request, pk, number):
    advice = get_advice(request, pk)
    version = get_object_or_404(AdviceVersion, advice=advice, number=number)
    if not version.pdf:  # wiped after the retention period (manage.py purge_expired)
        raise Http404
    audit.record(request, advice.session, audit.DOWNLOADED_PDF, detail=f"v{number}")
    return pdf_response(version.pdf, pdf_filename(advice, number))


@login_required
@require_POST
def create_share_link(request, pk, number):
    advice = get_advice(request, pk, sharing=True)
    version = get_object_or_404(AdviceVersion, advice=advice, number=number)
    if not version.pdf:  # wiped after the retention period: nothing left to share
        raise Http404
    raw_days = request.POST.get("days", "")
    days = whole_number(raw_days)
    days = days if days is not None and 1 <= days <= 365 else None
    if raw_days and days is None:
        messages.error(request, _("Kies een geldigheid tussen 1 en 365 dagen."))
        return redirect(f"{reverse('reports:advice', args=[pk])}#versies")
    link, token = services.issue_share_link(version=version, user=request.user, days=days)
    audit.record(request, advice.session, audit.SHARED, detail=f"v{number}")
    # The address is shown once, here, as the answer to the POST (not a redirect): only the
    # token's hash is stored, so no later page can show it again.
    return render(request, "reports/share_created.html", {
        "session": advice.session,
        "link": link,
        "url": request.build_absolute_uri(reverse("reports:shared", args=[token])),
    })


@login_required
@require_POST
def revoke_share_link(request, pk, link_pk):
    advice = get_advice(request, pk, sharing=True)
    link = get_object_or_404(ShareLink, pk=link_pk, version__advice=advice)
    services.revoke_share_link(link=link, user=request.user)
    audit.record(request, advice.session, audit.REVOKED, detail=f"v{link.version.number}")
    messages.success(request, _("De deellink is ingetrokken; het adres werkt niet meer."))
    return redirect(f"{reverse('reports:advice', args=[pk])}#versies")


@login_required
@require_http_methods(["GET", "POST"])
def send_advice(request, pk, number):
    """"Stuur naar het initiatief": a new share link to this version, mailed to the addresses
    given (the initiative's contact to start with), with a message that can be previewed."""
    advice = get_advice(request, pk, sharing=True)
    session = advice.session
    version = get_object_or_404(AdviceVersion.objects.defer("content"), advice=advice, number=number)
    if not version.pdf:  # wiped after the retention period: nothing left to send
        raise Http404
    form = SendAdviceForm(request.POST or None, initial={
        "recipients": session.initiative.contact_email,
        "message": services.default_advice_message(session=session, user=request.user),
        "days": settings.ACTIESCAN_SHARE_LINK_DAYS,
    })
    context = {"session": session, "advice": advice, "version": version, "form": form}
    if request.method == "GET" or not form.is_valid():
        return render(request, "reports/send_advice.html", context, status=200 if request.method == "GET" else 400)
    data = form.cleaned_data
    if request.POST.get("action") == "preview":
        expires_at = timezone.now() + timezone.timedelta(days=data["days"])
        context["preview"] = services.advice_mail(
            version=version, user=request.user, recipients=data["recipients"],
            message=data["message"], url=_("(hier komt de link naar het advies)"),
            expires_at=expires_at, with_pdf=data["with_pdf"],
        )
        return render(request, "reports/send_advice.html", context)
    to = ", ".join(data["recipients"])
    try:
        delivery = services.send_advice(
            version=version, user=request.user, recipients=data["recipients"],
            message=data["message"], with_pdf=data["with_pdf"], days=data["days"],
            url_for=lambda token: request.build_absolute_uri(reverse("reports:shared", args=[token])),
        )
    except MailNotSent as error:
        audit.record(request, session, audit.SENT_ADVICE, detail=f"v{number} niet verstuurd aan {to}: {error}")
        context["mail_error"] = str(error)
        return render(request, "reports/send_advice.html", context, status=400 if error.refused else 503)
    until = date_format(timezone.localtime(delivery.share_link.expires_at), "j F Y")
    if delivery.refused:
        taken = ", ".join(a for a in data["recipients"] if a not in delivery.refused)
        refused = ", ".join(delivery.refused)
        audit.record(request, session, audit.SENT_ADVICE, detail=f"v{number} aan {taken}; geweigerd: {refused}")
        messages.warning(request, _(
            "Het advies (versie %(n)s) is verstuurd naar %(to)s, maar de mailserver weigerde %(refused)s. "
            "Controleer dat adres en stuur het advies opnieuw. De link werkt tot %(date)s."
        ) % {"n": number, "to": taken, "refused": refused, "date": until})
        return redirect(f"{reverse('reports:advice', args=[pk])}#verstuurd")
    audit.record(request, session, audit.SENT_ADVICE, detail=f"v{number} aan {to}")
    messages.success(request, _("Het advies (versie %(n)s) is verstuurd naar %(to)s. De link werkt tot %(date)s.") % {
        "n": number, "to": to, "date": until})
    return redirect(f"{reverse('reports:advice', args=[pk])}#verstuurd")


# --- The initiative's side: no account, only the token ------------------------------------------

def resolve_share_link(request, token):
    """The link for this token, or a response that says why not. The token is looked up first:
    a valid link always opens, however many wrong tokens this client or anyone behind the same
    address typed. Only wrong tokens are counted, per client; past the limit a wrong token is
    answered with 429 for a while, so guessing is slowed down (a token has 256 random bits)."""
    link = (
        ShareLink.objects.for_token(token)
        .select_related("version__advice__session__initiative")
        .defer("version__pdf")
        .first()
        if 20 <= len(token) <= 64 else None
    )
    if link is None:
        fingerprint = client_fingerprint(request, "share-link")
        window_start = timezone.now() - timezone.timedelta(minutes=15)
        failures = ShareLinkFailure.objects.filter(fingerprint=fingerprint, at__gte=window_start).count()
        if failures >= settings.ACTIESCAN_SHARE_LINK_MAX_FAILURES:
            return None, render(request, "reports/share_unavailable.html", {"reason": "rate"}, status=429)
        ShareLinkFailure.objects.create(fingerprint=fingerprint)
        return None, render(request, "reports/share_unavailable.html", {"reason": "unknown"}, status=404)
    link.token = token  # the address the visitor came with (its PDF link is next to it)
    if not link.is_usable():
        reason = "revoked" if link.revoked_at else "expired"
        return None, render(request, "reports/share_unavailable.html", {"reason": reason}, status=410)
    return link, None


@never_cache
@require_GET
def shared(request, token):
    link, refusal = resolve_share_link(request, token)
    if refusal:
        return refusal
    ShareLinkAccess.objects.create(link=link, what="page", user_agent=request.headers.get("User-Agent", "")[:300])
    content = link.version.content
    from .document import document_context

    context = document_context(content, for_pdf=False)
    context.update({"link": link, "version": link.version})
    response = render(request, "reports/shared.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_GET
def shared_pdf(request, token):
    link, refusal = resolve_share_link(request, token)
    if refusal:
        return refusal
    ShareLinkAccess.objects.create(link=link, what="pdf", user_agent=request.headers.get("User-Agent", "")[:300])
    version = AdviceVersion.objects.get(pk=link.version_id)
    response = pdf_response(version.pdf, pdf_filename(version.advice, version.number))
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
