"""Editing the catalogue in the admin: every change is kept (who, when, old and new text), and
a past session keeps showing the texts it was held with."""

import pytest
from django.test import Client
from django.urls import reverse

from actiescan.models import CatalogueChange, Level, LevelDescriptor, SubQuestion, SuccessFactor
from sessions import services

from .helpers import admin_form_data, client_for, plan_session


def change_url(factor):
    return reverse("admin:actiescan_successfactor_change", args=[factor.pk])


def field_key(response, model, pk, name):
    for inline in response.context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            if form.instance.__class__ is model and form.instance.pk == pk:
                return form.add_prefix(name)
    raise KeyError(name)


@pytest.fixture
def past_session(initiative, moderator, notulist):
    session = plan_session(initiative, moderator, notulist, codes=("maatwerk",))
    services.start_session(session=session, user=moderator)
    services.close_session(session=session, user=moderator)
    session.refresh_from_db()
    return session


def test_admin_edits_are_kept_in_the_history_and_never_change_a_past_session(
    past_session, staff, moderator, notulist, initiative
):
    factor = SuccessFactor.objects.get(code="maatwerk")
    question = factor.sub_questions.order_by("order").first()
    descriptor = factor.descriptors.get(level=Level.GEVORDERD)
    old_definition, old_question, old_descriptor = factor.definition, question.text, descriptor.text
    session_factor = past_session.factors.get()
    snapshot_before = dict(session_factor.snapshot)

    client = client_for(Client, staff)
    page = client.get(change_url(factor))
    assert page.status_code == 200
    data = admin_form_data(page)
    data["definition"] = "Nieuwe omschrijving van maatwerk."
    data[field_key(page, SubQuestion, question.pk, "text")] = "Nieuwe subvraag?"
    data[field_key(page, LevelDescriptor, descriptor.pk, "text")] = "Nieuwe niveaubeschrijving."
    response = client.post(change_url(factor), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    factor.refresh_from_db()
    assert factor.definition == "Nieuwe omschrijving van maatwerk."

    changes = {(c.kind, c.object_id, c.field): c for c in CatalogueChange.objects.all()}
    assert set(changes) == {
        ("succesfactor", factor.pk, "definition"),
        ("subvraag", question.pk, "text"),
        ("niveaubeschrijving", descriptor.pk, "text"),
    }
    definition = changes[("succesfactor", factor.pk, "definition")]
    assert (definition.old_value, definition.new_value) == (
        old_definition, "Nieuwe omschrijving van maatwerk.")
    assert definition.changed_by == staff and definition.changed_at is not None
    assert changes[("subvraag", question.pk, "text")].old_value == old_question
    assert changes[("niveaubeschrijving", descriptor.pk, "text")].old_value == old_descriptor
    assert all(c.factor_id == factor.pk for c in changes.values())

    # The past session still shows what was on the table then.
    session_factor.refresh_from_db()
    assert session_factor.snapshot == snapshot_before
    assert session_factor.snapshot["definition"] == old_definition
    html = client_for(Client, moderator).get(
        reverse("sessions:cockpit", args=[past_session.pk])).content.decode()
    assert old_definition in html and old_descriptor in html
    assert "Nieuwe omschrijving" not in html and "Nieuwe niveaubeschrijving" not in html
    # A new session starts from the edited catalogue.
    new = plan_session(initiative, moderator, notulist, codes=("maatwerk",))
    snapshot = new.factors.get().snapshot
    assert snapshot["definition"] == "Nieuwe omschrijving van maatwerk."
    assert "Nieuwe subvraag?" in snapshot["sub_questions"]


def test_saving_without_changes_adds_nothing(staff):
    factor = SuccessFactor.objects.get(code="maatwerk")
    client = client_for(Client, staff)
    page = client.get(change_url(factor))
    response = client.post(change_url(factor), admin_form_data(page))
    assert response.status_code == 302
    assert not CatalogueChange.objects.exists()


def test_new_sub_question_and_deactivation_are_recorded(staff):
    factor = SuccessFactor.objects.get(code="maatwerk")
    client = client_for(Client, staff)
    page = client.get(change_url(factor))
    data = admin_form_data(page)
    total = int(data["sub_questions-TOTAL_FORMS"])
    data["sub_questions-TOTAL_FORMS"] = str(total + 1)
    data.update({f"sub_questions-{total}-order": "99", f"sub_questions-{total}-text": "Extra vraag?",
                 f"sub_questions-{total}-is_active": "on", f"sub_questions-{total}-factor": factor.pk})
    assert client.post(change_url(factor), data).status_code == 302
    added = SubQuestion.objects.get(text="Extra vraag?")
    rows = CatalogueChange.objects.filter(kind="subvraag", object_id=added.pk)
    assert {(r.field, r.old_value, r.new_value) for r in rows} == {
        ("text", "", "Extra vraag?"), ("order", "", "99"), ("is_active", "", "ja")}

    response = client.post(reverse("admin:actiescan_successfactor_changelist"),
                           {"action": "deactivate", "_selected_action": [factor.pk]})
    assert response.status_code == 302
    change = CatalogueChange.objects.get(kind="succesfactor", field="is_active")
    assert (change.old_value, change.new_value, change.changed_by) == ("ja", "nee", staff)


def test_history_is_visible_but_read_only_in_the_admin(staff):
    factor = SuccessFactor.objects.get(code="maatwerk")
    change = CatalogueChange.objects.create(
        kind="succesfactor", object_id=factor.pk, factor=factor, field="title",
        old_value="Oude titel", new_value="Nieuwe titel", changed_by=staff,
    )
    client = client_for(Client, staff)
    listing = client.get(reverse("admin:actiescan_cataloguechange_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Oude titel" in html and "Nieuwe titel" in html
    detail = reverse("admin:actiescan_cataloguechange_change", args=[change.pk])
    assert client.get(detail).status_code == 200
    assert client.post(detail, {"new_value": "Vervalst"}).status_code == 403
    assert client.get(reverse("admin:actiescan_cataloguechange_add")).status_code == 403
    delete = reverse("admin:actiescan_cataloguechange_delete", args=[change.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    change.refresh_from_db()
    assert change.new_value == "Nieuwe titel"
    # The factor's page links to its history.
    assert f"factor__id__exact={factor.pk}" in client.get(change_url(factor)).content.decode()


def test_history_is_not_for_non_staff(moderator):
    response = client_for(Client, moderator).get(
        reverse("admin:actiescan_cataloguechange_changelist"))
    assert response.status_code == 302 and "/beheer/login/" in response.url
