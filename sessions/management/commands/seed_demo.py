from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from actiescan.models import SuccessFactor
from actiescan.roles import MODERATOR_GROUP, NOTULIST_GROUP, STAFF_GROUP
from sessions import services
from sessions.models import Initiative, Participant, ParticipantRole, ScanSession

DEMO_PASSWORD = "actiescan-demo"

DEMO_USERS = [
    # username, first name, last name, group, is_staff
    ("medewerker", "Sanne", "de Vries", STAFF_GROUP, True),
    ("moderator", "Jeroen", "Bakker", MODERATOR_GROUP, False),
    ("notulist", "Fatima", "El Amrani", NOTULIST_GROUP, False),
]

DEMO_INITIATIVE = {
    "code": "vakmanschap-rivierenland",
    "name": "Leerwerkloket Vakmanschap Rivierenland",
    "organisations": "Gemeente Tiel, ROC Rivor, Kamer van Koophandel, "
    "ondernemersvereniging Rivierenland",
    "sector": "Techniek en bouw",
    "region": "Rivierenland (Gelderland)",
    "description": (
        "Een regionaal loket waar werkenden en werkzoekenden in techniek en bouw terechtkunnen "
        "voor een loopbaangesprek, een praktijkverklaring of een kort scholingstraject bij een "
        "leerbedrijf. Werkgevers uit de regio betalen mee via een gezamenlijk fonds; de "
        "begeleiding doen loopbaanadviseurs die los staan van de werkgever."
    ),
    "contact_name": "Marieke Janssen",
    "contact_email": "m.janssen@example.org",
}


class Command(BaseCommand):
    help = "Maakt demo-gebruikers, een demo-initiatief en een geplande sessie (alleen met DEBUG aan)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo maakt gebruikers met een bekend wachtwoord en draait daarom alleen "
                "als DEBUG aan staat (ontwikkeling)."
            )
        with transaction.atomic():
            users = self.create_users()
            initiative, _ = Initiative.objects.get_or_create(
                code=DEMO_INITIATIVE["code"], defaults=DEMO_INITIATIVE
            )
            if not initiative.sessions.exists():
                self.plan_session(initiative, users)
        self.stdout.write(self.style.SUCCESS("Demo-gegevens staan klaar. Inloggen kan met:"))
        for username, _first, _last, group, _staff in DEMO_USERS:
            self.stdout.write(f"  {group:<15} gebruikersnaam: {username:<11} wachtwoord: {DEMO_PASSWORD}")

    def create_users(self):
        User = get_user_model()
        users = {}
        for username, first, last, group_name, is_staff in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "is_staff": is_staff,
                          "email": f"{username}@example.org"},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(Group.objects.get_or_create(name=group_name)[0])
            users[group_name] = user
        return users

    def plan_session(self, initiative, users):
        start = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
        if start < timezone.now():
            start += timedelta(days=1)
        session = ScanSession.objects.create(
            initiative=initiative,
            starts_at=start,
            location="Gemeentehuis Tiel, zaal De Waal",
            moderator=users[MODERATOR_GROUP],
            notulist=users[NOTULIST_GROUP],
            created_by=users[STAFF_GROUP],
        )
        for name, role, organisation in [
            ("Marieke Janssen", ParticipantRole.REPRESENTATIVE, "Gemeente Tiel"),
            ("Kees van Dijk", ParticipantRole.QUESTIONER, "ROC Rivor"),
            ("Ayşe Yılmaz", ParticipantRole.QUESTIONER, "Ondernemersvereniging Rivierenland"),
        ]:
            Participant.objects.create(session=session, name=name, role=role, organisation=organisation)
        codes = ["maatwerk", "begeleiding-betrokkenheid", "netwerk-samenwerking"]
        factor_ids = list(SuccessFactor.objects.filter(code__in=codes).values_list("pk", flat=True))
        services.choose_factors(session=session, factor_ids=factor_ids, user=users[STAFF_GROUP])
        return session
