"""A real merge: when two people edited the same text, it is merged three-way against the
version both started from, so text both had appears once; the refused text is kept on the
server the moment the conflict happens."""

import pytest
from django.test import Client
from django.urls import reverse

from sessions import services
from sessions.merge import added_text, merge_texts
from sessions.models import FieldRevision, RevisionKind

from .helpers import client_for, save, sync

SHARED = "De representant vertelt over de doelgroep: jongeren zonder startkwalificatie in de regio."


def test_text_both_had_appears_once_also_after_two_merges():
    assert len(SHARED) > 79
    once, clean = merge_texts(SHARED, SHARED + " Van de notulist.", SHARED + " Van de moderator.")
    assert clean and once.count(SHARED) == 1
    assert once == SHARED + " Van de moderator. Van de notulist."
    twice, clean = merge_texts(once, once + " Nog een.", "Vooraf. " + once)
    assert clean and twice.count(SHARED) == 1
    assert twice == "Vooraf. " + once + " Nog een."


def test_changes_in_different_places_are_both_kept():
    base = "Eerste zin. Tweede zin. Derde zin."
    merged, clean = merge_texts(base, "Eerste zin, aangevuld. Tweede zin. Derde zin.",
                                "Eerste zin. Tweede zin. Derde zin, herschreven.")
    assert clean and merged == "Eerste zin, aangevuld. Tweede zin. Derde zin, herschreven."


def test_the_same_words_changed_twice_keep_both_and_ask_to_check():
    base = "We richten ons op de doelgroep."
    merged, clean = merge_texts(base, base.replace("doelgroep", "jongeren"),
                                base.replace("doelgroep", "ouderen"))
    assert not clean
    assert "jongeren" in merged and "ouderen" in merged and merged.count("We richten ons op de") == 1


def test_one_side_unchanged_takes_the_other_and_equal_edits_count_once():
    assert merge_texts("a b", "a b", "a b c") == ("a b c", True)
    assert merge_texts("a b", "a b c", "a b") == ("a b c", True)
    assert merge_texts("a", "a en b", "a en b") == ("a en b", True)


def test_added_text_is_what_came_after():
    assert added_text("Eerste zin.", "Eerste zin. Laatste zin.") == "Laatste zin."
    assert added_text("", "Alles nieuw.") == "Alles nieuw."
    assert added_text("Zelfde.", "Zelfde.") == ""


@pytest.fixture
def two_clients(running_session, moderator, notulist):
    return client_for(Client, moderator), client_for(Client, notulist)


def test_the_conflict_answer_proposes_the_merge_and_the_refused_text_is_kept_at_once(
        running_session, two_clients):
    moderator, notulist = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:minutes"
    save(notulist, running_session, key, SHARED, 0)
    save(moderator, running_session, key, SHARED + " Van de moderator.", 1)
    conflict = save(notulist, running_session, key, SHARED + " Van de notulist.", 1)
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["value"] == SHARED + " Van de moderator." and body["version"] == 2
    assert body["merged"] == SHARED + " Van de moderator. Van de notulist."
    assert body["merge_clean"] is True
    # On the server now, before she chose (her browser may close): once, however often sent.
    save(notulist, running_session, key, SHARED + " Van de notulist.", 1)
    refused = FieldRevision.objects.filter(field=key, kind=RevisionKind.CONFLICT)
    assert list(refused.values_list("value", "version", "author__username")) == [
        (SHARED + " Van de notulist.", 1, "fatima")]
    factor.refresh_from_db()
    assert factor.minutes == SHARED + " Van de moderator."


def test_saving_the_merge_merges_the_text_as_it_is_now(running_session, two_clients):
    moderator, notulist = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:minutes"
    save(notulist, running_session, key, SHARED, 0)
    save(moderator, running_session, key, SHARED + " Van de moderator.", 1)
    # She typed on while the panel was open; the merge takes that along.
    response = notulist.post(reverse("sessions:save", args=[running_session.pk]),
                             {"field": key, "value": SHARED + " Van de notulist. Nog meer.",
                              "version": 1, "merge": "1"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["value"] == SHARED + " Van de moderator. Van de notulist. Nog meer."
    assert response.json()["version"] == 3
    factor.refresh_from_db()
    assert factor.minutes == SHARED + " Van de moderator. Van de notulist. Nog meer."


def test_without_the_base_in_the_history_both_texts_are_kept(running_session, two_clients):
    moderator, _ = two_clients
    factor = running_session.factors.first()
    type(factor).objects.filter(pk=factor.pk).update(minutes="Opgeslagen tekst.", minutes_version=5)
    body = save(moderator, running_session, f"factor:{factor.pk}:minutes", "Mijn tekst.", 3).json()
    assert body["merged"] == "Opgeslagen tekst. Mijn tekst." and body["merge_clean"] is False


def test_the_sync_never_sees_a_refused_text(running_session, two_clients):
    moderator, notulist = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:minutes"
    save(notulist, running_session, key, "Opgeslagen.", 0)
    running_session.refresh_from_db()
    since = running_session.revision
    save(moderator, running_session, key, "Geweigerd.", 0)  # a conflict: nothing changed
    assert sync(notulist, running_session, since).status_code == 204
    second = running_session.factors.order_by("position")[1]
    moderator.post(reverse("sessions:go_to_factor", args=[running_session.pk, second.pk]))
    body = sync(notulist, running_session, since).json()
    # Moving the table is not a saved field: the screens reload their clocks.
    assert body["structural"] is True and body["fields"] == {}


def test_the_wrap_up_shows_a_refused_text_until_its_author_saves_the_field(running_session, two_clients):
    moderator, notulist = two_clients
    factor = running_session.factors.first()
    key = f"factor:{factor.pk}:minutes"
    save(moderator, running_session, key, "Van de moderator.", 0)
    save(notulist, running_session, key, "Van de notulist, nog niet samengevoegd.", 0)
    wrap_up = reverse("sessions:wrap_up", args=[running_session.pk])
    html = moderator.get(wrap_up).content.decode()
    assert "Tekst die botste en nog niet is samengevoegd" in html
    assert "Van de notulist, nog niet samengevoegd." in html
    assert f"Notulen – {factor.title} – door Fatima" in html
    save(notulist, running_session, key, "Van de moderator. Van de notulist.", 1)
    assert "nog niet samengevoegd" not in moderator.get(wrap_up).content.decode()


def test_the_advice_merges_the_same_way(running_session, two_clients, moderator, notulist):
    from reports import services as advice_services

    services.close_session(session=running_session, user=moderator)
    advice = advice_services.get_or_draft_advice(session=running_session, user=notulist)
    section = advice.sections.first()
    key = f"section:{section.pk}:text"
    url = reverse("reports:advice_save", args=[running_session.pk])
    mod_client, not_client = two_clients
    assert mod_client.post(url, {"field": key, "value": "Eerst. Van de moderator.", "version": 0}).status_code == 200
    conflict = not_client.post(url, {"field": key, "value": "Van de notulist.", "version": 0})
    assert conflict.status_code == 409
    assert conflict.json()["merged"] == "Eerst. Van de moderator. Van de notulist."
    merged = not_client.post(url, {"field": key, "value": "Van de notulist.", "version": 0, "merge": "1"})
    assert merged.json()["value"] == "Eerst. Van de moderator. Van de notulist."
