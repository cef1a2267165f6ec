from django.core.management.base import BaseCommand

from actiescan.content import ACTION_EXAMPLES_FILE, CATALOGUE_FILE, load_catalogue


class Command(BaseCommand):
    help = "Laadt ontbrekende succesfactoren, subvragen, niveaubeschrijvingen en " \
        "voorbeeldactiepunten uit fixtures/. Bestaande (ook bewerkte) teksten blijven ongewijzigd."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(CATALOGUE_FILE), help="Pad naar het inhoudsbestand.")
        parser.add_argument(
            "--examples-file", default=str(ACTION_EXAMPLES_FILE),
            help="Pad naar het bestand met voorbeeldactiepunten.",
        )

    def handle(self, *args, **options):
        result = load_catalogue(options["file"], examples_path=options["examples_file"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Toegevoegd: {result.factors} succesfactoren, {result.sub_questions} subvragen, "
                f"{result.descriptors} niveaubeschrijvingen, {result.action_examples} "
                "voorbeeldactiepunten."
            )
        )
