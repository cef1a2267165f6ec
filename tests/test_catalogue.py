import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from actiescan.content import CATALOGUE_FILE, load_catalogue
from actiescan.models import Level, LevelDescriptor, SubQuestion, SuccessFactor

SEED_004 = Path(__file__).parent / "data" / "seed_004_session_design.txt"


def fixture_factors():
    return json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))["factors"]


@pytest.mark.django_db
def test_catalogue_is_complete_after_migrate():
    assert SuccessFactor.objects.count() == 8
    assert SubQuestion.objects.count() == 35
    assert LevelDescriptor.objects.count() == 24
    counts = [f.sub_questions.count() for f in SuccessFactor.objects.order_by("order")]
    assert counts == [5, 4, 4, 4, 4, 5, 5, 4]


@pytest.mark.django_db
def test_catalogue_texts_equal_the_fixture():
    for item in fixture_factors():
        factor = SuccessFactor.objects.get(code=item["code"])
        assert factor.title == item["title"]
        assert factor.definition == item["definition"]
        assert factor.main_question == item["main_question"]
        assert [q.text for q in factor.sub_questions.order_by("order")] == item["sub_questions"]
        assert {d.level: d.text for d in factor.descriptors.all()} == item["levels"]


@pytest.mark.django_db
def test_loading_again_creates_nothing():
    result = load_catalogue()
    assert result.total == 0
    call_command("migrate", verbosity=0)
    assert (SuccessFactor.objects.count(), SubQuestion.objects.count(),
            LevelDescriptor.objects.count()) == (8, 35, 24)


@pytest.mark.django_db
def test_admin_edits_survive_migrate_and_load_content():
    descriptor = LevelDescriptor.objects.get(factor__code="maatwerk", level=Level.GEVORDERD)
    descriptor.text = "Door de SER aangepaste beschrijving."
    descriptor.save()
    question = SubQuestion.objects.filter(factor__code="maatwerk").first()
    question.text = "Aangepaste subvraag?"
    question.save()
    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    descriptor.refresh_from_db()
    question.refresh_from_db()
    assert descriptor.text == "Door de SER aangepaste beschrijving."
    assert question.text == "Aangepaste subvraag?"


@pytest.mark.django_db
def test_load_content_restores_what_is_missing():
    SubQuestion.objects.filter(factor__code="digitale-tools", order=4).delete()
    LevelDescriptor.objects.filter(factor__code="digitale-tools", level="voldragen").delete()
    call_command("load_content", verbosity=0)
    assert SubQuestion.objects.filter(factor__code="digitale-tools").count() == 4
    assert LevelDescriptor.objects.filter(factor__code="digitale-tools").count() == 3


def normalise(text):
    text = text.replace("▪", " ")
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1-\2", text)
    return re.sub(r"\s+", " ", text)


def test_catalogue_is_verbatim_from_seed_004():
    seed = normalise(SEED_004.read_text(encoding="utf-8"))
    for item in fixture_factors():
        assert f"{item['title']}: {item['definition']}" in seed, item["code"]
        assert f"Hoofdvraag: {item['main_question']}" in seed, item["code"]
        for question in item["sub_questions"]:
            assert question in seed, question


def test_level_descriptors_are_a_rubric_of_two_to_four_sentences():
    for item in fixture_factors():
        assert set(item["levels"]) == set(Level.values)
        for level, text in item["levels"].items():
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
            assert 2 <= len(sentences) <= 4, (item["code"], level, len(sentences))
            assert 20 <= len(text.split()) <= 90, (item["code"], level)
