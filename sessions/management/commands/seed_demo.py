from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from actiescan.models import SuccessFactor
from actiescan.roles import MODERATOR_GROUP, NOTULIST_GROUP, STAFF_GROUP
from sessions import events, services
from sessions.models import Event, Initiative, Participant, ParticipantRole, ScanSession

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


# Extra table leaders for the demo workshop (four tables, each with a moderator and a notulist).
EVENT_USERS = [
    ("moderator2", "Lotte", "Vermeulen", MODERATOR_GROUP),
    ("moderator3", "Bram", "Hoekstra", MODERATOR_GROUP),
    ("moderator4", "Naima", "Bouzid", MODERATOR_GROUP),
    ("notulist2", "Ruben", "Smit", NOTULIST_GROUP),
    ("notulist3", "Eva", "de Graaf", NOTULIST_GROUP),
    ("notulist4", "Daan", "Mulder", NOTULIST_GROUP),
]

# The casus: an invented initiative, written so that a representant can prepare in 5 minutes
# and answer questions on each of the eight success factors.
DEMO_CASE = {
    "code": "casus-doorgroeipunt-zorg-welzijn",
    "name": "Doorgroeipunt Zorg en Welzijn Midden-Holland",
    "organisations": "Negen zorg- en welzijnsorganisaties, een mbo-opleider (ROC), de gemeente, "
    "het UWV en het sectorfonds zorg en welzijn",
    "sector": "Zorg en welzijn",
    "region": "Midden-Holland (Zuid-Holland)",
    "is_case": True,
    "description": """## In het kort

Het Doorgroeipunt Zorg en Welzijn helpt medewerkers in de zorg en het welzijnswerk om verder te leren, terwijl ze gewoon blijven werken. Het gaat vooral om helpenden, medewerkers in de schoonmaak, keuken en receptie, en mensen die net uit een andere sector zijn overgestapt. Het doel: binnen twee jaar een stap naar een (hoger) diploma of een nieuwe functie, zodat de zorg haar eigen mensen houdt.

## Hoe het begon

In 2022 hadden drie zorgorganisaties in de regio grote tekorten aan verzorgenden. Ze zagen dat veel eigen medewerkers wel wilden doorgroeien, maar niet wisten hoe. Samen met het ROC en de gemeente begonnen ze een proef met 25 medewerkers. Na een jaar waren 19 van hen nog bezig en hadden er 6 een mbo-diploma op niveau 3. Daarna groeide het doorgroeipunt naar negen organisaties: vijf in de ouderenzorg, twee in de gehandicaptenzorg, een thuiszorgorganisatie en een welzijnsorganisatie. Nu doen er ongeveer 140 medewerkers per jaar mee.

## Wat het doorgroeipunt doet

Iedere deelnemer begint met een gesprek met een loopbaancoach van het doorgroeipunt. Er zijn vier coaches, samen 2,5 fte. De coach kijkt met de deelnemer naar wat die al kan, wat die wil en wat er thuis speelt. Daarna kiezen ze een leerroute: een mbo-certificaat, een hele opleiding of een korte training. De lessen zijn één dag per week, soms ook 's avonds. Wie de Nederlandse taal nog niet goed beheerst, kan eerst een taaltraject volgen.

Het leren gebeurt vooral op de werkvloer. Elke deelnemer heeft een werkbegeleider op de eigen afdeling. De werkbegeleiders krijgen een training van twee dagdelen, maar hebben vaak weinig tijd. De ene organisatie geeft hun twee uur per week voor de begeleiding, de andere niets. Na de start ziet de coach de deelnemer nog één keer per kwartaal.

## Digitaal

Deelnemers houden hun opdrachten en voortgang bij in de online leeromgeving van het ROC. De intake en de gesprekken met de coach staan in een ander systeem, van het doorgroeipunt zelf. Die twee systemen zijn niet gekoppeld: de coach ziet niet wanneer een deelnemer achterloopt. Een deel van de deelnemers vindt de leeromgeving lastig. Eén middag per maand is er een inloopspreekuur voor digitale hulp.

## Bekendheid

Het doorgroeipunt heeft een eigen website en legt folders in de kantines. De meeste deelnemers komen binnen via hun leidinggevende of via een collega die al meedoet. Medewerkers met een kleine aanstelling, nachtdiensten of een flexcontract weten vaak niet dat het doorgroeipunt bestaat. Elke organisatie vertelt het op haar eigen manier; er is geen gezamenlijk verhaal en geen vaste plek op de intranetten.

## Samenwerking en geld

Er is een stuurgroep met de bestuurders van de zorgorganisaties, het ROC, de gemeente en het UWV. Die komt vier keer per jaar bij elkaar. Het doorgroeipunt wordt betaald uit een regionale subsidie die eind volgend jaar stopt, aangevuld met geld uit de opleidingsbudgetten van de organisaties en van het sectorfonds. Over de verdeling van de kosten na de subsidie is nog geen afspraak. Twee kleinere organisaties twijfelen of ze blijven meedoen.

## Wat ze weten over de resultaten

Het doorgroeipunt telt hoeveel mensen beginnen, stoppen en een diploma halen. Van de deelnemers van 2023 werkt 85 procent een jaar later nog in de zorg of het welzijnswerk. Waarom mensen stoppen, wordt niet bijgehouden. Eén keer per jaar vullen deelnemers een korte vragenlijst in. De uitkomsten worden besproken in de stuurgroep, maar de werkbegeleiders en de coaches horen er weinig van.

## Waar het doorgroeipunt nu staat

De projectleider zegt: "We weten dat het werkt voor wie eenmaal meedoet. Maar we bereiken nog niet iedereen, de werkbegeleiders lopen op hun tenen en over twee jaar moet het zonder subsidie kunnen." Het doorgroeipunt wil ook medewerkers uit de kinderopvang en het sociaal werk bereiken, en denkt na over een gezamenlijke pool van werkbegeleiders.""",
}

DEMO_EVENT = {
    "name": "Werkbijeenkomst LLO Actiescan – simulatie aan vier tafels",
    "location": "SER, Bezuidenhoutseweg 60, Den Haag",
    "description": (
        "Programma: welkom en voorstellen, leercultuur in cijfers, praktijkverkenning LLO, "
        "simulatie van de Actiescan aan vier tafels (5 minuten voorbereiden, per succesfactor "
        "5 tot 10 minuten vragen en 5 minuten scoren), gezamenlijke reflectie."
    ),
}

# Per table: the table's name, casus or own initiative, moderator and notulist usernames, the
# factors the representant chose, and who sits at the table.
DEMO_TABLES = [
    ("Tafel 1", "case", "moderator", "notulist", ["maatwerk", "begeleiding-betrokkenheid"],
     [("Sophie Jansen", ParticipantRole.REPRESENTATIVE, "Gemeente Utrecht"),
      ("Joost Peeters", ParticipantRole.QUESTIONER, "ROC Midden Nederland")]),
    ("Tafel 2", "case", "moderator2", "notulist2", ["netwerk-samenwerking", "zichtbaarheid-marketing"],
     [("Hanna Visser", ParticipantRole.REPRESENTATIVE, "Werkgeversservicepunt"),
      ("Mehmet Kaya", ParticipantRole.QUESTIONER, "O&O-fonds techniek")]),
    ("Tafel 3", "case", "moderator3", "notulist3", ["digitale-tools", "leren-monitoring"],
     [("Iris de Boer", ParticipantRole.REPRESENTATIVE, "Leerwerkloket"),
      ("Tom Bakker", ParticipantRole.QUESTIONER, "Provincie")]),
    ("Tafel 4", "own", "moderator4", "notulist4", ["praktijkgericht-leren", "start-klein-groei-slim"],
     [("Marieke Janssen", ParticipantRole.REPRESENTATIVE, "Gemeente Tiel"),
      ("Kees van Dijk", ParticipantRole.QUESTIONER, "ROC Rivor")]),
]


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
            case, _ = Initiative.objects.get_or_create(code=DEMO_CASE["code"], defaults=DEMO_CASE)
            if not Event.objects.filter(name=DEMO_EVENT["name"]).exists():
                self.plan_event(users, case=case, own=initiative)
        self.stdout.write(self.style.SUCCESS("Demo-gegevens staan klaar. Inloggen kan met:"))
        for username, _first, _last, group, _staff in DEMO_USERS:
            self.stdout.write(f"  {group:<15} gebruikersnaam: {username:<11} wachtwoord: {DEMO_PASSWORD}")
        names = ", ".join(username for username, *_rest in EVENT_USERS)
        self.stdout.write(f"  Tafels van de demo-bijeenkomst: {names} (zelfde wachtwoord)")

    def create_users(self):
        User = get_user_model()
        users = {}
        everyone = DEMO_USERS + [(u, f, la, g, False) for u, f, la, g in EVENT_USERS]
        for username, first, last, group_name, is_staff in everyone:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "is_staff": is_staff,
                          "email": f"{username}@example.org"},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(Group.objects.get_or_create(name=group_name)[0])
            users.setdefault(group_name, user)
            users[username] = user
        return users

    def plan_event(self, users, *, case, own):
        """The seed-000 workshop: four tables, three on the casus and one on a real initiative,
        organised by the demo staff member."""
        start = timezone.localtime().replace(hour=13, minute=30, second=0, microsecond=0)
        if start < timezone.now():
            start += timedelta(days=1)
        event = Event.objects.create(
            **DEMO_EVENT, starts_at=start, organiser=users[STAFF_GROUP],
            created_by=users[STAFF_GROUP],
        )
        factor_ids = dict(SuccessFactor.objects.values_list("code", "pk"))
        for name, kind, moderator, notulist, codes, people in DEMO_TABLES:
            session = events.add_table(
                event=event, initiative=case if kind == "case" else own,
                moderator=users[moderator], notulist=users[notulist], location=name,
                factor_ids=[factor_ids[code] for code in codes if code in factor_ids],
                language="nl", user=users[STAFF_GROUP],
            )
            observers = [
                (users[moderator].get_full_name(), ParticipantRole.OBSERVER, "SER"),
                (users[notulist].get_full_name(), ParticipantRole.OBSERVER, "SER"),
            ]
            for person, role, organisation in people + observers:
                Participant.objects.create(
                    session=session, name=person, role=role, organisation=organisation
                )
        return event

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
