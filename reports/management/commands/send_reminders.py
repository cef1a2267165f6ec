"""Send the day's reminders by e-mail (reports.reminders); run it daily, like purge_expired.

    manage.py send_reminders

Staff get a digest of the initiatives whose follow-up session is due; an initiative's contact
gets one note with its action points when staff switched that on for the initiative; whoever
made a share link hears a week before it expires when the initiative never opened it. Running
it twice (or twice at the same time) sends nothing twice."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...reminders import (
    send_follow_up_contact_notes,
    send_follow_up_digest,
    send_share_expiry_reminders,
)


class Command(BaseCommand):
    help = ("Verstuurt de herinneringen van vandaag: vervolggesprekken voor SER-medewerkers, "
            "actiepunten voor initiatieven, deellinks die bijna verlopen.")

    def handle(self, *args, **options):
        now = timezone.now()
        counts = [
            (send_follow_up_digest(now), "overzichten van vervolggesprekken aan SER-medewerkers"),
            (send_follow_up_contact_notes(now), "herinneringen met actiepunten aan initiatieven"),
            (send_share_expiry_reminders(now), "herinneringen over deellinks die bijna verlopen"),
        ]
        self.stdout.write("Klaar.")
        for count, label in counts:
            self.stdout.write(f"  {count:>6}  {label}")
