"""Loading the canonical catalogue file into the database.

The file in fixtures/ is the source for a new installation. Loading only inserts what is
missing: texts that staff edited in the admin are never overwritten, so upgrades are safe."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

CATALOGUE_FILE = Path(settings.BASE_DIR) / "fixtures" / "catalogue.json"


@dataclass
class LoadResult:
    factors: int = 0
    sub_questions: int = 0
    descriptors: int = 0

    @property
    def total(self) -> int:
        return self.factors + self.sub_questions + self.descriptors


def read_catalogue(path: Path = CATALOGUE_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["factors"]


@transaction.atomic
def load_catalogue(path: Path = CATALOGUE_FILE, *, using: str = "default") -> LoadResult:
    from .models import LevelDescriptor, SubQuestion, SuccessFactor

    result = LoadResult()
    for item in read_catalogue(path):
        factor, created = SuccessFactor.objects.using(using).get_or_create(
            code=item["code"],
            defaults={
                "order": item["order"],
                "title": item["title"],
                "definition": item["definition"],
                "main_question": item["main_question"],
            },
        )
        result.factors += created
        existing_orders = set(
            SubQuestion.objects.using(using).filter(factor=factor).values_list("order", flat=True)
        )
        for order, text in enumerate(item["sub_questions"], start=1):
            if order not in existing_orders:
                SubQuestion.objects.using(using).create(factor=factor, order=order, text=text)
                result.sub_questions += 1
        existing_levels = set(
            LevelDescriptor.objects.using(using).filter(factor=factor).values_list("level", flat=True)
        )
        for level, text in item["levels"].items():
            if level not in existing_levels:
                LevelDescriptor.objects.using(using).create(factor=factor, level=level, text=text)
                result.descriptors += 1
    return result
