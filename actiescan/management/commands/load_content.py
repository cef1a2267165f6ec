from django.core.management.base import BaseCommand

from actiescan.content import CATALOGUE_FILE, load_catalogue


class Command(BaseCommand):
    help = "Laadt ontbrekende succesfactoren, subvragen en niveaubeschrijvingen uit fixtures/. " \
        "Bestaande (ook bewerkte) teksten blijven ongewijzigd."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(CATALOGUE_FILE), help="Pad naar het inhoudsbestand.")

    def handle(self, *args, **options):
        result = load_catalogue(options["file"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Toegevoegd: {result.factors} succesfactoren, {result.sub_questions} subvragen, "
                f"{result.descriptors} niveaubeschrijvingen."
            )
        )
