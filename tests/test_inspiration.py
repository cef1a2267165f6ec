"""Inspiration for action points (issue 18, part A): the curated example action points per factor
and step, loaded like the catalogue, the examples that fit the chosen levels, and taking one
over into an action point without ever losing text that was typed."""

import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from actiescan.content import ACTION_EXAMPLES_FILE, CATALOGUE_FILE, load_catalogue
from actiescan.models import ActionExample, Step, SuccessFactor
from sessions import services
from sessions.models import ActionPoint, FieldRevision, SessionFactor

from .helpers import client_for, save, sync

HTMX = {"HX-Request": "true", "HX-Target": "inspiration-notice"}


def fixture_examples():
    return json.loads(ACTION_EXAMPLES_FILE.read_text(encoding="utf-8"))["examples"]


def fixture_factors():
    return {f["code"]: f for f in json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))["factors"]}


# --- The content file -------------------------------------------------------------------------

def test_every_factor_has_four_to_six_examples_per_step_covering_its_sub_questions():
    examples, factors = fixture_examples(), fixture_factors()
    assert len({e["key"] for e in examples}) == len(examples)
    for code, factor in factors.items():
        for step in Step.values:
            mine = [e for e in examples if e["factor"] == code and e["step"] == step]
            assert 4 <= len(mine) <= 6, (code, step, len(mine))
            covered = {i for e in mine for i in e["sub_questions"]}
            assert covered == set(range(len(factor["sub_questions"]))), (code, step)
    assert {e["factor"] for e in examples} <= set(factors)


def test_examples_are_short_b1_sentences_with_an_owner_and_a_timeframe():
    for example in fixture_examples():
        sentences = [s for s in re.split(r"(?<=[.!?:])\s+", example["text"].strip()) if s]
        assert 1 <= len(sentences) <= 3, example["key"]
        assert max(len(s.split()) for s in sentences) <= 24, example["key"]
        # Who does it and by when: the action point's trekker and termijn (max 200 characters).
        assert 0 < len(example["owner"]) <= 200 and 0 < len(example["timeframe"]) <= 200, example["key"]
        # A calendar word ("voor de zomer") is wrong half of the year: relative terms only.
        assert example["timeframe"].startswith("binnen "), example["key"]


# --- Loading ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_migrate_loads_every_example_with_its_sub_questions():
    assert ActionExample.objects.count() == len(fixture_examples()) == 80
    example = ActionExample.objects.get(key="maatwerk-sg-5")
    item = next(e for e in fixture_examples() if e["key"] == "maatwerk-sg-5")
    questions = fixture_factors()["maatwerk"]["sub_questions"]
    assert example.text == item["text"] and example.owner == item["owner"]
    assert example.factor.code == "maatwerk" and example.step == Step.STARTEND_GEVORDERD
    assert sorted(q.text for q in example.sub_questions.all()) == sorted(
        questions[i] for i in item["sub_questions"]
    )


@pytest.mark.django_db
def test_loading_again_adds_nothing_and_never_overwrites_edits():
    example = ActionExample.objects.get(key="digitale-tools-gv-2")
    example.text = "Door de SER aangepaste tekst."
    example.owner = ""
    example.save()
    assert load_catalogue().action_examples == 0
    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    example.refresh_from_db()
    assert (example.text, example.owner) == ("Door de SER aangepaste tekst.", "")
    assert ActionExample.objects.count() == 80


@pytest.mark.django_db
def test_load_content_restores_a_missing_example_but_a_switched_off_one_stays_off():
    ActionExample.objects.filter(key="maatwerk-gv-1").delete()
    ActionExample.objects.filter(key="maatwerk-gv-2").update(is_active=False)
    call_command("load_content", verbosity=0)
    assert ActionExample.objects.filter(key="maatwerk-gv-1", is_active=True).exists()
    assert not ActionExample.objects.get(key="maatwerk-gv-2").is_active


@pytest.mark.django_db
def test_the_admin_offers_no_delete_only_switching_off(staff):
    client = client_for(Client, staff)
    example = ActionExample.objects.get(key="maatwerk-sg-1")
    assert client.get(reverse("admin:actiescan_actionexample_change", args=[example.pk])).status_code == 200
    assert client.get(reverse("admin:actiescan_actionexample_delete", args=[example.pk])).status_code == 403
    response = client.post(reverse("admin:actiescan_actionexample_changelist"),
                           {"action": "deactivate", "_selected_action": [example.pk]})
    assert response.status_code == 302
    example.refresh_from_db()
    assert not example.is_active


# --- Which examples fit -----------------------------------------------------------------------

@pytest.mark.parametrize(("current", "desired", "steps"), [
    ("startend", "gevorderd", ["startend-gevorderd"]),
    ("gevorderd", "voldragen", ["gevorderd-voldragen"]),
    ("startend", "voldragen", ["startend-gevorderd", "gevorderd-voldragen"]),
    ("gevorderd", "gevorderd", []),
    ("voldragen", "startend", []),
    ("", "gevorderd", []),
    ("startend", "", []),
])
def test_the_steps_between_two_levels(current, desired, steps):
    assert Step.between(current, desired) == steps


def first_factor(session, current="", desired=""):
    session_factor = session.factors.order_by("position").first()
    SessionFactor.objects.filter(pk=session_factor.pk).update(current_level=current, desired_level=desired)
    session_factor.refresh_from_db()
    return session_factor


def inspiration_url(session, session_factor, **query):
    url = reverse("sessions:inspiration", args=[session.pk, session_factor.pk])
    return url + ("?alle=1" if query.get("all") else "")


def texts_of(code, step):
    return list(ActionExample.objects.filter(factor__code=code, step=step).values_list("text", flat=True))


@pytest.mark.django_db
def test_the_list_shows_the_examples_of_the_chosen_step_only(running_session, moderator):
    session_factor = first_factor(running_session, "startend", "gevorderd")  # maatwerk
    html = client_for(Client, moderator).get(inspiration_url(running_session, session_factor)).content.decode()
    for text in texts_of("maatwerk", "startend-gevorderd"):
        assert text in html
    for text in texts_of("maatwerk", "gevorderd-voldragen") + texts_of("digitale-tools", "startend-gevorderd"):
        assert text not in html
    assert html.count("Neem over in actiepunt 1") == 5


@pytest.mark.django_db
def test_startend_to_voldragen_shows_both_steps_and_a_switched_off_example_is_hidden(running_session, moderator):
    session_factor = first_factor(running_session, "startend", "voldragen")
    hidden = ActionExample.objects.get(key="maatwerk-gv-3")
    hidden.is_active = False
    hidden.save()
    html = client_for(Client, moderator).get(inspiration_url(running_session, session_factor)).content.decode()
    assert "Van startend naar gevorderd" in html and "Van gevorderd naar voldragen" in html
    assert html.count("Neem over in actiepunt 2") == 9
    assert hidden.text not in html
    assert list(ActionExample.objects.fitting(
        factor_id=session_factor.factor_id, current="startend", desired="voldragen"
    ).values_list("key", flat=True)) == [f"maatwerk-sg-{n}" for n in range(1, 6)] + [
        "maatwerk-gv-1", "maatwerk-gv-2", "maatwerk-gv-4", "maatwerk-gv-5"]


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "desired", "says"), [
    ("", "", "Kies eerst het huidige en het gewenste niveau"),
    ("gevorderd", "", "Kies eerst het huidige en het gewenste niveau"),
    ("voldragen", "voldragen", "Het gewenste niveau is niet hoger dan het huidige niveau"),
    ("gevorderd", "startend", "Het gewenste niveau is niet hoger dan het huidige niveau"),
])
def test_without_a_step_up_the_list_says_why_and_offers_all_examples(running_session, moderator, current,
                                                                     desired, says):
    session_factor = first_factor(running_session, current, desired)
    client = client_for(Client, moderator)
    html = client.get(inspiration_url(running_session, session_factor)).content.decode()
    assert says in html
    assert "Neem over in actiepunt" not in html
    assert "Toon alle voorbeelden bij deze succesfactor" in html
    everything = client.get(inspiration_url(running_session, session_factor, all=True)).content.decode()
    assert everything.count("Neem over in actiepunt 1") == 10


@pytest.mark.django_db
def test_the_fragment_is_served_to_htmx(running_session, moderator):
    session_factor = first_factor(running_session, "gevorderd", "voldragen")
    response = client_for(Client, moderator).get(
        inspiration_url(running_session, session_factor), headers={"HX-Request": "true", "HX-Target": "inspiration"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="inspiration"') and 'hx-trigger="live:refresh from:body"' in html


# --- Who may see it ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_moderator_the_notulist_and_staff_see_it_outsiders_get_404(running_session, moderator, notulist,
                                                                      staff, outsider):
    session_factor = first_factor(running_session, "startend", "gevorderd")
    url = inspiration_url(running_session, session_factor)
    for user in (moderator, notulist, staff):
        assert client_for(Client, user).get(url).status_code == 200
    outsider_client = client_for(Client, outsider)
    assert outsider_client.get(url).status_code == 404
    example = ActionExample.objects.get(key="maatwerk-sg-1")
    take_over = reverse("sessions:take_over_example", args=[running_session.pk, session_factor.pk])
    assert outsider_client.post(take_over, {"example": example.pk, "position": "1"}).status_code == 404
    assert not ActionPoint.objects.filter(session_factor=session_factor).exclude(text="").exists()
    assert Client().get(url).status_code == 302  # to the login page


@pytest.mark.django_db
def test_a_factor_of_another_session_is_not_found(running_session, moderator, initiative, notulist):
    from .helpers import plan_session

    other = plan_session(initiative, moderator, notulist)
    foreign = other.factors.first()
    url = reverse("sessions:inspiration", args=[running_session.pk, foreign.pk])
    assert client_for(Client, moderator).get(url).status_code == 404


# --- Taking one over --------------------------------------------------------------------------

def take_over(client, session, session_factor, example, position, **extra):
    url = reverse("sessions:take_over_example", args=[session.pk, session_factor.pk])
    headers = extra.pop("headers", {})
    return client.post(url, {"example": example.pk, "position": str(position), **extra}, headers=headers)


@pytest.mark.django_db
def test_an_empty_action_point_gets_text_owner_and_timeframe_and_the_other_screen_sees_it(
        running_session, moderator, notulist):
    session_factor = first_factor(running_session, "startend", "gevorderd")
    example = ActionExample.objects.get(key="maatwerk-sg-2")
    revision = running_session.revision
    client = client_for(Client, moderator)
    response = take_over(client, running_session, session_factor, example, 2)
    assert response.status_code == 302
    point = ActionPoint.objects.get(session_factor=session_factor, position=2)
    assert (point.text, point.owner, point.timeframe) == (example.text, example.owner, example.timeframe)
    assert (point.text_version, point.owner_version, point.timeframe_version) == (1, 1, 1)
    assert FieldRevision.objects.filter(field=f"action:{point.pk}:text", value=example.text).exists()
    # The notulist's screen learns of it by the ordinary live sync.
    changed = sync(client_for(Client, notulist), running_session, revision).json()
    assert changed["fields"][f"action:{point.pk}:text"]["value"] == example.text
    page = client.get(response.url).content.decode()
    assert "Het voorbeeld staat nu in actiepunt 2." in page
    assert not ActionPoint.objects.get(session_factor=session_factor, position=1).text


@pytest.mark.django_db
def test_text_that_is_there_is_kept_the_example_only_goes_below_it_after_confirming(running_session, moderator):
    session_factor = first_factor(running_session, "startend", "gevorderd")
    point = ActionPoint.objects.get(session_factor=session_factor, position=1)
    client = client_for(Client, moderator)
    assert save(client, running_session, f"action:{point.pk}:text", "Onze eigen tekst.", 0).status_code == 200
    assert save(client, running_session, f"action:{point.pk}:owner", "Marieke", 0).status_code == 200
    example = ActionExample.objects.get(key="maatwerk-sg-3")

    refused = take_over(client, running_session, session_factor, example, 1)
    assert refused.status_code == 409
    assert "Actiepunt 1 heeft al tekst" in refused.content.decode()
    point.refresh_from_db()
    assert (point.text, point.text_version) == ("Onze eigen tekst.", 1)

    confirmed = take_over(client, running_session, session_factor, example, 1, append="1")
    assert confirmed.status_code == 302
    point.refresh_from_db()
    assert point.text == f"Onze eigen tekst.\n\n{example.text}"
    assert point.owner == "Marieke"  # filled in already: stays
    assert point.timeframe == example.timeframe  # was empty: filled
    # A second click changes nothing.
    again = take_over(client, running_session, session_factor, example, 1, append="1")
    assert again.status_code == 302
    point.refresh_from_db()
    assert point.text.count(example.text) == 1


@pytest.mark.django_db
def test_htmx_gets_the_message_or_the_question_as_a_fragment(running_session, moderator):
    session_factor = first_factor(running_session, "startend", "gevorderd")
    example = ActionExample.objects.get(key="maatwerk-sg-4")
    client = client_for(Client, moderator)
    filled = take_over(client, running_session, session_factor, example, 1, headers=HTMX)
    assert filled.status_code == 200 and "<html" not in filled.content.decode()
    assert "Het voorbeeld staat nu in actiepunt 1." in filled.content.decode()
    other = ActionExample.objects.get(key="maatwerk-sg-5")
    question = take_over(client, running_session, session_factor, other, 1, headers=HTMX).content.decode()
    assert "Actiepunt 1 heeft al tekst" in question and 'name="append" value="1"' in question
    assert example.text in question  # the text that is there, shown with the question


@pytest.mark.django_db
def test_text_typed_in_the_cockpit_meanwhile_is_not_overwritten(running_session, moderator, notulist):
    """The moderator's screen still holds version 0 of action point 1 with typed, unsaved text
    when the notulist takes an example over: that save meets a conflict, both texts are shown."""
    session_factor = first_factor(running_session, "startend", "gevorderd")
    point = ActionPoint.objects.get(session_factor=session_factor, position=1)
    example = ActionExample.objects.get(key="maatwerk-sg-1")
    take_over(client_for(Client, notulist), running_session, session_factor, example, 1)
    typed = save(client_for(Client, moderator), running_session, f"action:{point.pk}:text", "Net getypt", 0)
    assert typed.status_code == 409
    assert typed.json()["value"] == example.text


@pytest.mark.django_db
def test_a_save_in_between_wins_and_nothing_is_half_written(running_session, moderator, notulist, monkeypatch):
    """Someone saves action point 1 after the take-over read it and before it wrote: the
    conditional update refuses, owner and timeframe are not filled either."""
    session_factor = first_factor(running_session, "startend", "gevorderd")
    point = ActionPoint.objects.get(session_factor=session_factor, position=1)
    example = ActionExample.objects.get(key="maatwerk-sg-1")
    real_read = services.stored_action_fields

    def someone_saves_right_after_the_read(action_point):
        stored = real_read(action_point)
        assert save(client_for(Client, notulist), running_session, f"action:{point.pk}:text",
                    "Tekst van de notulist", 0).status_code == 200
        return stored

    monkeypatch.setattr(services, "stored_action_fields", someone_saves_right_after_the_read)
    response = take_over(client_for(Client, moderator), running_session, session_factor, example, 1)
    assert response.status_code == 409
    assert "Iemand heeft actiepunt 1 net gewijzigd" in response.content.decode()
    point.refresh_from_db()
    assert (point.text, point.owner, point.timeframe) == ("Tekst van de notulist", "", "")


@pytest.mark.django_db
def test_a_closed_session_takes_nothing_over(running_session, moderator):
    session_factor = first_factor(running_session, "startend", "gevorderd")
    services.close_session(session=running_session, user=moderator)
    client = client_for(Client, moderator)
    html = client.get(inspiration_url(running_session, session_factor)).content.decode()
    assert "Neem over in actiepunt" not in html
    example = ActionExample.objects.get(key="maatwerk-sg-1")
    response = take_over(client, running_session, session_factor, example, 1)
    assert response.status_code == 403 and "afgesloten" in response.content.decode()
    assert not ActionPoint.objects.filter(session_factor=session_factor).exclude(text="").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("data", [
    {"position": "3"}, {"position": "x"}, {"position": ""},
    {"example": "other-factor"}, {"example": "switched-off"}, {"example": "999999"}, {"example": "²"},
])
def test_bad_input_gets_a_message_and_changes_nothing(running_session, moderator, data):
    session_factor = first_factor(running_session, "startend", "gevorderd")
    example = ActionExample.objects.get(key="maatwerk-sg-1")
    other = ActionExample.objects.get(key="digitale-tools-sg-1")
    off = ActionExample.objects.get(key="maatwerk-sg-2")
    off.is_active = False
    off.save()
    post = {"example": str(example.pk), "position": "1", **data}
    post["example"] = {"other-factor": str(other.pk), "switched-off": str(off.pk)}.get(post["example"], post["example"])
    url = reverse("sessions:take_over_example", args=[running_session.pk, session_factor.pk])
    response = client_for(Client, moderator).post(url, post)
    assert response.status_code == 400
    assert "bestaat niet (meer)" in response.content.decode()
    assert not ActionPoint.objects.filter(session_factor=session_factor).exclude(text="").exists()


@pytest.mark.django_db
def test_the_english_interface_shows_and_takes_over_the_english_text(running_session, moderator):
    session_factor = first_factor(running_session, "startend", "gevorderd")
    example = ActionExample.objects.get(key="maatwerk-sg-1")
    ActionExample.objects.filter(pk=example.pk).update(text_en="The project lead writes it down.",
                                                       owner_en="project lead")
    client = client_for(Client, moderator)
    client.cookies["django_language"] = "en"
    html = client.get(inspiration_url(running_session, session_factor)).content.decode()
    assert "The project lead writes it down." in html
    assert SuccessFactor.objects.get(code="maatwerk").action_examples.count() == 10
    take_over(client, running_session, session_factor, example, 1)
    point = ActionPoint.objects.get(session_factor=session_factor, position=1)
    assert (point.text, point.owner) == ("The project lead writes it down.", "project lead")
    assert point.timeframe == example.timeframe  # no English text: the Dutch one
