"""Writes for the advice: draft it from a closed session, save its sections, finalize numbered
versions with their PDF, and manage share links."""

import re

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from actiescan.mail import MailNotSent, compose, deliver
from actiescan.users import display_name
from sessions.autosave import store_field
from sessions.fields import FieldError, clean_value, parse_key
from sessions.merge import added_text
from sessions.models import ScanSession
from sessions.services import factors_with_actions

from .models import Advice, AdviceDelivery, AdviceSection, AdviceVersion, ShareLink


class DocumentTooLarge(Exception):
    """The advice holds more text than a document can reasonably be rendered from."""


def _join_names(names: list[str]) -> str:
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s en %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def draft_introduction(session, factors) -> str:
    """Who talked, when and where, which factors the initiative chose and why. The general
    minutes stay out: they are the notulist's notes, shown beside the editor to take from."""
    local_start = timezone.localtime(session.held_at)
    participants = [
        f"{p.name} ({p.get_role_display().lower()}{', ' + p.organisation if p.organisation else ''})"
        for p in session.participants.all()
    ]
    parts = [
        _(
            "Op %(date)s voerde %(initiative)s een gesprek met de LLO Actiescan%(place)s. "
            "%(moderator)s leidde het gesprek als moderator%(notulist)s."
        )
        % {
            "date": date_format(local_start, "j F Y"),
            "initiative": session.initiative.name,
            "place": (_(" in %(location)s") % {"location": session.location}) if session.location else "",
            "moderator": display_name(session.moderator) or _("De moderator"),
            "notulist": (_("; %(name)s schreef het verslag") % {"name": display_name(session.notulist)})
            if session.notulist else "",
        }
    ]
    if participants:
        parts.append(_("Aan tafel zaten: %(names)s.") % {"names": _join_names(participants)})
    titles = [sf.title for sf in factors]
    if titles:
        parts.append(
            _("Het initiatief koos deze succesfactoren om te bespreken: %(titles)s.")
            % {"titles": _join_names(titles)}
        )
    text = " ".join(parts)
    if session.choice_rationale.strip():
        text += "\n\n" + session.choice_rationale.strip()
    return text


def draft_closing() -> str:
    """The closing words. The notulist's own last questions (wrap_up_notes) are internal and
    stay out; the editor shows them beside this section."""
    return _(
        "De actiescan is een gesprek over waar het initiatief nu staat en waar het naartoe wil; "
        "het is geen beoordeling en geen vergelijking met andere initiatieven. De actiepunten "
        "in dit advies heeft het initiatief zelf gekozen. Pak ze op, intern en met uw partners. "
        "Een volgend gesprek laat zien welke stappen zijn gezet."
    )


def draft_section(session_factor) -> str:
    """What the table said about this factor: the rationale of its level and the minutes."""
    return "\n\n".join(
        part.strip() for part in (session_factor.rationale, session_factor.minutes) if part.strip()
    )


def passages(text: str) -> list[str]:
    """A note split into passages that the notulist can take over one by one: its paragraphs
    (a blank line between them), or, for a note without blank lines, its lines."""
    text = (text or "").replace("\r\n", "\n").strip()
    blocks = [block.strip() for block in re.split(r"\n[ \t]*\n", text) if block.strip()]
    if len(blocks) == 1 and "\n" in blocks[0]:
        blocks = [line.strip() for line in blocks[0].split("\n") if line.strip()]
    return blocks


def source_notes(*pairs) -> list[tuple[str, list[str]]]:
    """(label, passages) for each (label, note) that holds text: the session's raw material
    shown beside a section of the advice editor."""
    return [(label, parts) for label, note in pairs if (parts := passages(note))]


@transaction.atomic
def get_or_draft_advice(*, session, user) -> Advice:
    """The advice of a session, drafted from the session the first time it is opened. Factors
    chosen later (after a reopen) get their section when the advice is opened again."""
    if not Advice.objects.filter(session=session).exists():
        # Drafting and a late save (text typed before a screen showed "closed") take turns on
        # the session row: the draft either includes that text or exists when it arrives and
        # receives it (carry_text_after_close).
        ScanSession.objects.select_for_update().filter(pk=session.pk).exists()
        session.refresh_from_db()
    factors = list(factors_with_actions(session).select_related("advice_section"))
    advice, created = Advice.objects.get_or_create(
        session=session,
        defaults={
            "introduction": draft_introduction(session, factors),
            "closing": draft_closing(),
            "created_by": user,
        },
    )
    missing = [sf for sf in factors if not hasattr(sf, "advice_section")]
    if missing:
        AdviceSection.objects.bulk_create(
            AdviceSection(advice=advice, session_factor=sf, text=draft_section(sf)) for sf in missing
        )
    return advice


def _bump_advice(advice) -> int:
    Advice.objects.filter(pk=advice.pk).update(revision=F("revision") + 1, updated_at=timezone.now())
    advice.revision = Advice.objects.filter(pk=advice.pk).values_list("revision", flat=True).get()
    return advice.revision


def save_advice_field(*, advice, key: str, values: list[str], version, user, merge=False,
                      on_saved=None):
    spec, pk = parse_key(key)
    if spec.kind == "advice" and pk == advice.pk:
        target = Advice.objects.filter(pk=advice.pk)
    elif spec.kind == "section":
        target = AdviceSection.objects.filter(advice=advice, pk=pk)
    else:
        raise FieldError(_("Onbekend veld."))
    value = clean_value(spec, values)
    return store_field(
        spec=spec, target=target, key=key, value=value, version=version,
        session=advice.session, user=user, bump=lambda: _bump_advice(advice), merge=merge,
        on_saved=on_saved,
    )


def advice_key_drafted_from(advice, session_key: str) -> str | None:
    """The advice field that was drafted from a session field (see draft_introduction,
    draft_closing, draft_section), None for fields the document shows as they are (levels,
    action points)."""
    spec, pk = parse_key(session_key)
    if spec.kind == "session" and spec.name in ("choice_rationale", "general_minutes"):
        return f"advice:{advice.pk}:introduction"
    if spec.kind == "session" and spec.name == "wrap_up_notes":
        return f"advice:{advice.pk}:closing"
    if spec.kind == "factor" and spec.name in ("rationale", "minutes"):
        section = AdviceSection.objects.filter(advice=advice, session_factor_id=pk).first()
        return f"section:{section.pk}:text" if section else None
    return None


def carry_text_after_close(*, session, key, before, after, user, **kwargs) -> bool:
    """Receiver of sessions.autosave.text_after_close: text that was typed before a screen
    showed the closed session came in after closing. When the advice was already drafted from
    the session, what was added goes, as a paragraph of its own, to the end of the advice part
    drafted from that field, so it does not stay behind in the minutes. (Before the draft
    exists there is nothing to do: the draft is made from the session, this text included.)"""
    if not isinstance(after, str):
        return False
    advice = Advice.objects.filter(session=session).select_related("session").first()
    added = added_text(before or "", after)
    target = advice_key_drafted_from(advice, key) if advice and added else None
    if target is None:
        return False
    spec, pk = parse_key(target)
    row = (Advice.objects.filter(pk=pk) if spec.kind == "advice"
           else AdviceSection.objects.filter(pk=pk)).values(spec.name, f"{spec.name}_version").get()
    text = row[spec.name].rstrip()
    try:
        save_advice_field(
            advice=advice, key=target, values=[f"{text}\n\n{added}" if text else added],
            version=row[f"{spec.name}_version"], user=user, merge=True,
        )
    except FieldError:  # the advice part would grow too long: the text stays in the minutes
        return False
    return True


def check_document_size(content: dict):
    """Refuse to render absurd documents instead of tying up a worker for minutes."""
    total = len(content["introduction"]) + len(content["closing"]) + sum(
        len(f["text"]) + sum(len(a["text"]) for a in f["actions"]) for f in content["factors"]
    )
    if total > settings.ACTIESCAN_MAX_DOCUMENT_CHARACTERS:
        raise DocumentTooLarge(
            _(
                "Het advies is te lang om als document te maken (%(total)s tekens; het maximum "
                "is %(limit)s). Maak de teksten korter en probeer het opnieuw."
            )
            % {"total": total, "limit": settings.ACTIESCAN_MAX_DOCUMENT_CHARACTERS}
        )


class AdviceChanged(Exception):
    """The advice kept changing while its PDF was being made."""


FINALIZE_ATTEMPTS = 3


def _next_number(advice) -> int:
    return (advice.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1


def finalize(*, advice, user) -> AdviceVersion:
    """Freeze the advice as it is now into the next numbered version, with its PDF.

    The PDF takes about a second to make, so it is made outside the write transaction (on SQLite
    every autosave of every table would wait for it). The short transaction that stores the
    version first checks, with the advice row locked, that no edit of the advice and no other
    version came in meanwhile; otherwise it starts again, up to FINALIZE_ATTEMPTS times. (The session
    is closed and its levels and actions are read at the start, as before: a version is a
    snapshot of one moment.)"""
    from .document import advice_content, render_pdf

    for _attempt in range(FINALIZE_ATTEMPTS):
        advice.refresh_from_db()  # the texts as they are now; `revision` counts every edit
        revision, number = advice.revision, _next_number(advice)
        now = timezone.now()
        content = advice_content(advice, number=number, finalized_at=now, finalized_by=user)
        check_document_size(content)
        pdf, page_count = render_pdf(content)
        with transaction.atomic():
            # The lock makes two finalize clicks wait for each other: one number each.
            locked_revision = Advice.objects.select_for_update().values_list(
                "revision", flat=True).get(pk=advice.pk)
            if (locked_revision, _next_number(advice)) == (revision, number):
                return AdviceVersion.objects.create(
                    advice=advice, number=number, content=content, pdf=pdf, pdf_size=len(pdf),
                    page_count=page_count, finalized_by=user, finalized_at=now,
                )
    raise AdviceChanged()


def create_share_link(*, version, user, days=None) -> ShareLink:
    expires_at = timezone.now() + timezone.timedelta(
        days=days or settings.ACTIESCAN_SHARE_LINK_DAYS
    )
    return ShareLink.objects.create(version=version, created_by=user, expires_at=expires_at)


def revoke_share_link(*, link, user):
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])


def issue_share_link(*, version, user, days=None) -> tuple[ShareLink, str]:
    """A new share link and its token. The token is known only here, when the link is made:
    whoever needs the address (the mail to the initiative) takes it from this answer and never
    reads a token back from the database."""
    link = create_share_link(version=version, user=user, days=days)
    return link, link.token


# --- Sending the advice to the initiative -------------------------------------------------------

def default_advice_message(*, session, user) -> str:
    """The message the send form starts with, in the session's language."""
    with translation.override(session.language):
        greeting = (_("Beste %(name)s,") % {"name": session.initiative.contact_name}
                    if session.initiative.contact_name else _("Beste lezer,"))
        body = _(
            "Hartelijk dank voor het gesprek met de LLO Actiescan op %(date)s. Hierbij ontvangt u "
            "het advies. Daarin staan de succesfactoren die u koos, waar u nu staat en de "
            "actiepunten die u zelf hebt gekozen."
        ) % {"date": date_format(timezone.localtime(session.starts_at), "j F Y")}
        closing = _("Met vriendelijke groet,")
        return f"{greeting}\n\n{body}\n\n{closing}\n{display_name(user)}"


def advice_mail(*, version, user, recipients, message, url, expires_at, with_pdf):
    """The mail with the advice for the initiative (not sent), in the session's language."""
    session = version.advice.session
    mail = compose(
        name="advice",
        context={
            "initiative": session.initiative, "session": session, "message": message,
            "url": url, "expires_at": expires_at, "with_pdf": with_pdf,
            "sender": display_name(user), "version": version,
        },
        to=recipients, language=session.language,
        reply_to=[user.email] if user.email else None,
    )
    if with_pdf:
        from .advice_views import pdf_filename

        mail.attach(pdf_filename(version.advice, version.number), bytes(version.pdf), "application/pdf")
    return mail


def send_advice(*, version, user, recipients: list[str], message: str, with_pdf: bool, days: int,
                url_for) -> AdviceDelivery:
    """Mail the initiative a new share link to `version` (`url_for(token)` makes its address).
    All or nothing: when the mail server refuses (every address), the new link is removed again
    and the failed sending is kept with what went wrong; addresses refused while others were
    taken are kept in `refused`; MailNotSent is raised with the message for the sender.
    (No transaction around the mail: on SQLite it would hold every autosave for as long as the
    mail server takes to answer.)"""
    link, token = issue_share_link(version=version, user=user, days=days)
    mail = advice_mail(version=version, user=user, recipients=recipients, message=message,
                       url=url_for(token), expires_at=link.expires_at, with_pdf=with_pdf)
    record = AdviceDelivery(version=version, recipients=recipients, message=message,
                            with_pdf=with_pdf, sent_by=user)
    try:
        record.refused = deliver(mail)
    except MailNotSent as error:
        link.delete()
        record.error = str(error)[:500]
        record.save()
        raise
    # Refused for some addresses only: the others have the mail, so the link stays.
    record.share_link = link
    record.save()
    return record
