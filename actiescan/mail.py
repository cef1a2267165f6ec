"""Every mail the app sends: plain text plus HTML from templates/mail/, in one language (Dutch,
or English for a session in English), and one way to say that the mail server said no.

`compose` renders `mail/<name>_subject.txt`, `mail/<name>.txt` and `mail/<name>.html` with the
same context (the names Django's password reset uses too); `deliver`
sends and turns any SMTP or network failure into MailNotSent with a Dutch (or English) sentence
for the person who pressed the button, after logging what the server said."""

import logging
import smtplib
from contextlib import nullcontext

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger("actiescan.mail")


class MailNotSent(Exception):
    """The mail did not leave: the server could not be reached or refused it. `refused` is
    True when it refused an address (the sender's input), False when the server failed."""

    def __init__(self, text: str, *, refused: bool):
        super().__init__(text)
        self.refused = refused


def compose(*, name: str, context: dict, to: list[str], language: str | None = None,
            reply_to: list[str] | None = None) -> EmailMultiAlternatives:
    """The mail `name` for `to`, rendered in `language` (the active language when None)."""
    with translation.override(language) if language else nullcontext():
        subject = " ".join(render_to_string(f"mail/{name}_subject.txt", context).split())
        context = {**context, "subject": subject}
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"mail/{name}.txt", context),
            to=to,
            reply_to=reply_to,
        )
        message.attach_alternative(render_to_string(f"mail/{name}.html", context), "text/html")
    return message


def failure_text(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _("De mailserver weigerde dit adres: %(addresses)s. Controleer het adres en probeer "
                 "het opnieuw.") % {"addresses": ", ".join(sorted(error.recipients))}
    if isinstance(error, smtplib.SMTPSenderRefused):
        return _("De mailserver weigerde de afzender. Vraag de beheerder om de e-mailinstellingen "
                 "te controleren.")
    return _("De e-mail kon niet worden verstuurd: de mailserver is niet bereikbaar of weigerde "
             "de e-mail. Probeer het later opnieuw.")


class SMTPBackend(DjangoSMTPBackend):
    """Django's SMTP backend, which also keeps the addresses the server refused while it took
    the others (smtplib reports those in sendmail's answer; Django drops it): the mail then left
    for some recipients only, and the sender must hear which did not get it."""

    def _send(self, email_message):
        send = self.connection.sendmail

        def sendmail(*args, **kwargs):
            refused = send(*args, **kwargs)
            email_message.refused_recipients = sorted(refused or {})
            return refused

        self.connection.sendmail = sendmail
        try:
            return super()._send(email_message)
        finally:
            self.connection.sendmail = send


def deliver(message: EmailMultiAlternatives) -> list[str]:
    """Send `message`; raises MailNotSent (its text for the user) when it did not leave. Returns
    the addresses the mail server refused while it accepted the others (usually none)."""
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("Mail %r to %s not sent: %r", message.subject, ", ".join(message.to), error)
        refused = isinstance(error, smtplib.SMTPRecipientsRefused)
        raise MailNotSent(failure_text(error), refused=refused) from error
    refused = getattr(message, "refused_recipients", [])
    if refused:
        logger.warning("Mail %r: refused %s, sent to the others", message.subject, ", ".join(refused))
    return refused


def absolute_url(path: str) -> str:
    """The full address of `path` for mails sent without a request (the reminder run, a
    removed session), from ACTIESCAN_BASE_URL; "" when that is not set (the mail then leaves
    the link out)."""
    base = settings.ACTIESCAN_BASE_URL.rstrip("/")
    return f"{base}{path}" if base else ""


class ReadableConsoleBackend(ConsoleBackend):
    """Development (./scripts/start): every mail in the console as a person reads it — the
    headers, the plain text undecoded and links whole (Django's console backend prints the
    encoded message, where long lines such as a reset link are broken up), and what else the
    mail carries."""

    def write_message(self, message):
        lines = [
            f"From: {message.from_email}",
            f"To: {', '.join(message.to)}",
            f"Subject: {message.subject}",
            "",
            message.body.rstrip(),
            "",
        ]
        lines += [f"[+ {mimetype}]" for _content, mimetype in getattr(message, "alternatives", [])]
        lines += [f"[+ attachment {attachment[0]}]" for attachment in message.attachments
                  if isinstance(attachment, tuple)]
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")
