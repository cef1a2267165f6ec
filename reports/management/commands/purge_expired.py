"""Remove minutes and personal data a number of months after the advice was made final (AVG).

    manage.py purge_expired              # remove, and report what was removed
    manage.py purge_expired --dry-run    # only report what would be removed
    manage.py purge_expired --months 36  # another retention period than the setting

A session is due when the latest finalized version of its advice (AdviceVersion.finalized_at)
is older than ACTIESCAN_RETENTION_MONTHS (default 24) months. Of a due session it clears every
free text and name: the minutes, rationales and notes, the participants, the saved history, the
advice texts and PDFs (a version's content shrinks to the factor codes and levels), the owners
and status notes of the action points, the browser names in the share-link log, the first names
of the phones at the table and their ideas for action points, the join codes, and it revokes
the share links, the addresses and messages of the advice's e-mails. What stays are the anonymous levels (SessionFactor factor, current and desired
level, and the anonymous spread of the phones' own marks) for statistics, and the audit log.
Running it again changes nothing more.

Also removes records of wrong share-link tokens, wrong present and join codes and of
password-reset requests older than a day (hashed client addresses that only serve the rate
limits).

Run it daily (cron or a scheduled job). It lives in the reports app because it clears both the
session and its advice."""

from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from actiescan.models import PasswordResetRequest
from sessions.models import (
    ActionPoint,
    ActionProposal,
    FieldRevision,
    JoinCode,
    JoinCodeFailure,
    Participant,
    PhoneParticipant,
    PresentCode,
    PresentCodeFailure,
    Reflection,
    ScanSession,
    SessionFactor,
)

from ...models import (
    Advice,
    AdviceDelivery,
    AdviceSection,
    AdviceVersion,
    ShareLink,
    ShareLinkAccess,
    ShareLinkFailure,
)
from ...pipeline import months_before

LABELS = [
    ("sessions", "sessies met verlopen bewaartermijn"),
    ("session_texts", "sessies: notulen, keuzetoelichting en slotvragen gewist"),
    ("factor_texts", "gekozen succesfactoren: notulen en toelichting gewist"),
    ("participants", "deelnemers verwijderd"),
    ("revisions", "opgeslagen versies (geschiedenis) verwijderd"),
    ("action_points", "actiepunten: trekker en toelichting gewist"),
    ("advice_texts", "adviezen: inleiding en afsluiting gewist"),
    ("advice_sections", "adviesonderdelen gewist"),
    ("advice_versions", "adviesversies: PDF en inhoud gewist"),
    ("share_links", "deellinks ingetrokken"),
    ("share_accesses", "openingen van deellinks: browsernaam gewist"),
    ("share_failures", "verkeerde deellink-pogingen verwijderd"),
    ("deliveries", "verzendingen van het advies: adressen en bericht gewist"),
    ("reset_requests", "aanvragen voor een nieuw wachtwoord verwijderd"),
    ("reflections", "reflecties van sessies gewist"),
    ("present_codes", "schermcodes verwijderd"),
    ("present_failures", "verkeerde schermcode-pogingen verwijderd"),
    ("phone_names", "telefoons aan tafel: voornaam gewist"),
    ("proposals", "ideeën voor actiepunten van de tafel verwijderd"),
    ("join_codes", "meedoecodes verwijderd"),
    ("join_failures", "verkeerde meedoecode-pogingen verwijderd"),
]


def anonymous_content(content: dict, number: int, finalized_at) -> dict:
    """What a purged version keeps: its number and date, and per factor the code and levels."""
    return {
        "purged": True,
        "number": number,
        "finalized_at": finalized_at.isoformat() if finalized_at else None,
        "factors": [
            {
                "code": factor.get("code", ""),
                "current_level": factor.get("current_level", ""),
                "desired_level": factor.get("desired_level", ""),
            }
            for factor in (content or {}).get("factors", [])
        ],
    }


def due_sessions(cutoff):
    """Sessions whose advice was last made final before `cutoff`."""
    return (
        ScanSession.objects.annotate(final_at=Max("advice__versions__finalized_at"))
        .filter(final_at__lt=cutoff)
        .values_list("pk", flat=True)
    )


def purge(session_ids, now) -> Counter:
    counts = Counter()
    ids = list(session_ids)
    counts["sessions"] = len(ids)
    counts["session_texts"] = (
        ScanSession.objects.filter(pk__in=ids)
        .exclude(general_minutes="", choice_rationale="", wrap_up_notes="")
        .update(general_minutes="", choice_rationale="", wrap_up_notes="")
    )
    counts["factor_texts"] = (
        SessionFactor.objects.filter(session_id__in=ids)
        .exclude(minutes="", rationale="")
        .update(minutes="", rationale="")
    )
    counts["participants"], _ = Participant.objects.filter(session_id__in=ids).delete()
    counts["revisions"], _ = FieldRevision.objects.filter(session_id__in=ids).delete()
    counts["action_points"] = (
        ActionPoint.objects.filter(session_factor__session_id__in=ids)
        .exclude(owner="", status_comment="")
        .update(owner="", status_comment="")
    )
    counts["advice_texts"] = (
        Advice.objects.filter(session_id__in=ids)
        .exclude(introduction="", closing="")
        .update(introduction="", closing="")
    )
    counts["advice_sections"] = (
        AdviceSection.objects.filter(advice__session_id__in=ids).exclude(text="").update(text="")
    )
    versions = AdviceVersion.objects.filter(advice__session_id__in=ids)
    for version in versions.only("pk", "number", "content", "finalized_at"):
        if isinstance(version.content, dict) and version.content.get("purged"):
            continue
        AdviceVersion.objects.filter(pk=version.pk).update(
            pdf=b"", pdf_size=0,
            content=anonymous_content(version.content, version.number, version.finalized_at),
        )
        counts["advice_versions"] += 1
    counts["share_links"] = ShareLink.objects.filter(
        version__advice__session_id__in=ids, revoked_at__isnull=True
    ).update(revoked_at=now)
    counts["share_accesses"] = (
        ShareLinkAccess.objects.filter(link__version__advice__session_id__in=ids)
        .filter(~Q(user_agent=""))
        .update(user_agent="")
    )
    counts["deliveries"] = (
        AdviceDelivery.objects.filter(version__advice__session_id__in=ids)
        .exclude(recipients=[], message="")
        .update(recipients=[], message="")
    )
    # Reflections are free text and can name people; screen codes are of no use afterwards.
    counts["reflections"] = (
        Reflection.objects.filter(session_id__in=ids)
        .filter(~Q(insights="") | ~Q(levels="") | ~Q(possibilities=""))
        .update(insights="", levels="", possibilities="")
    )
    counts["present_codes"], _ = PresentCode.objects.filter(session_id__in=ids).delete()
    # The phones at the table: names and ideas go; their own marks stay, counted without names.
    counts["phone_names"] = (
        PhoneParticipant.objects.filter(session_id__in=ids).exclude(name="").update(name="")
    )
    counts["proposals"], _ = ActionProposal.objects.filter(
        session_factor__session_id__in=ids
    ).delete()
    counts["join_codes"], _ = JoinCode.objects.filter(session_id__in=ids).delete()
    return counts


class Command(BaseCommand):
    help = (
        "Wist notulen en persoonsgegevens van sessies waarvan het advies langer dan "
        "ACTIESCAN_RETENTION_MONTHS maanden definitief is; de anonieme niveaus blijven."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true",
            help="Alleen tellen wat gewist zou worden; niets wijzigen.",
        )
        parser.add_argument(
            "--months", type=int, default=None,
            help="Bewaartermijn in maanden (standaard ACTIESCAN_RETENTION_MONTHS).",
        )

    def handle(self, *args, dry_run=False, months=None, **options):
        months = settings.ACTIESCAN_RETENTION_MONTHS if months is None else months
        if months < 1:
            raise CommandError("De bewaartermijn moet minstens 1 maand zijn.")
        now = timezone.now()
        cutoff = months_before(now, months)
        with transaction.atomic():
            counts = purge(due_sessions(cutoff), now)
            counts["share_failures"], _ = ShareLinkFailure.objects.filter(
                at__lt=now - timezone.timedelta(days=1)
            ).delete()
            counts["present_failures"], _ = PresentCodeFailure.objects.filter(
                at__lt=now - timezone.timedelta(days=1)
            ).delete()
            counts["join_failures"], _ = JoinCodeFailure.objects.filter(
                at__lt=now - timezone.timedelta(days=1)
            ).delete()
            counts["reset_requests"], _ = PasswordResetRequest.objects.filter(
                at__lt=now - timezone.timedelta(days=1)
            ).delete()
            if dry_run:
                transaction.set_rollback(True)
        heading = "Proefdraaien: er is niets gewijzigd." if dry_run else "Klaar."
        self.stdout.write(
            f"{heading} Bewaartermijn {months} maanden: advies definitief vóór "
            f"{timezone.localtime(cutoff):%d-%m-%Y %H:%M}."
        )
        for key, label in LABELS:
            self.stdout.write(f"  {counts[key]:>6}  {label}")
        return None
