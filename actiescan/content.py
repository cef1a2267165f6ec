"""Loading the canonical content files into the database: the catalogue and the example
action points (inspiratie).

The files in fixtures/ are the source for a new installation. Loading only inserts what is
missing: texts that staff edited in the admin are never overwritten, and what staff switched
off stays off, so upgrades are safe."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

CATALOGUE_FILE = Path(settings.BASE_DIR) / "fixtures" / "catalogue.json"
ACTION_EXAMPLES_FILE = Path(settings.BASE_DIR) / "fixtures" / "action_examples.json"


@dataclass
class LoadResult:
    factors: int = 0
    sub_questions: int = 0
    descriptors: int = 0
    action_examples: int = 0

    @property
    def total(self) -> int:
        return self.factors + self.sub_questions + self.descriptors + self.action_examples


def read_catalogue(path: Path = CATALOGUE_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["factors"]


def read_action_examples(path: Path = ACTION_EXAMPLES_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["examples"]


@transaction.atomic
def load_catalogue(path: Path = CATALOGUE_FILE, *, examples_path: Path = ACTION_EXAMPLES_FILE,
                   using: str = "default") -> LoadResult:
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
    result.action_examples = _load_action_examples(examples_path, using=using)
    return result


def _load_action_examples(path: Path, *, using: str) -> int:
    """Insert the examples whose key is not in the database yet. `sub_questions` in the file
    are indexes into the factor's sub-questions in the catalogue file (order 1, 2, …)."""
    from .models import ActionExample, SubQuestion, SuccessFactor

    items = read_action_examples(path)
    known = set(ActionExample.objects.using(using).values_list("key", flat=True))
    factors = {f.code: f for f in SuccessFactor.objects.using(using).all()}
    added = 0
    for item in items:
        if item["key"] in known or item["factor"] not in factors:
            continue
        factor = factors[item["factor"]]
        example = ActionExample.objects.using(using).create(
            key=item["key"], factor=factor, step=item["step"], position=item["position"],
            text=item["text"], owner=item.get("owner", ""), timeframe=item.get("timeframe", ""),
        )
        orders = [index + 1 for index in item.get("sub_questions", [])]
        example.sub_questions.set(
            SubQuestion.objects.using(using).filter(factor=factor, order__in=orders)
        )
        added += 1
    return added
