"""Workshops (bijeenkomsten) with several tables: who sees the organiser's overview, adding
tables, the live state of every table in a constant number of queries, the casus (and its
exclusion from the staff aggregates), and the reflection with its exports."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from actiescan.models import SuccessFactor
from reports.overviews import (
    AggregateFilterForm,
    SessionFilterForm,
    factor_aggregates,
    filtered_sessions,
)
from sessions import events, services
from sessions.models import (
    Event,
    Initiative,
    Reflection,
    ReflectionQuestion,
    ScanSession,
    Status,
)

from .helpers import client_for, make_user

SEED_000 = Path(__file__).parent / "data" / "seed_000_workshop.txt"
QUESTIONS = [str(label) for _value, label in ReflectionQuestion.choices]


@pytest.fixture
def case(db):
    return Initiative.objects.create(
        name="Doorgroeipunt Zorg (casus)", sector="Zorg", is_case=True,
        description="## In het kort\n\nEen verzonnen initiatief.\n\n## Geld\n\nSubsidie stopt.",
    )


@pytest.fixture
def event(staff):
    return Event.objects.create(
        name="Werkbijeenkomst Actiescan", starts_at=timezone.now(), location="Den Haag",
        organiser=staff,
    )


def add_tables(event, initiative, moderator, notulist, n, codes=("maatwerk", "digitale-tools")):
    ids = list(SuccessFactor.objects.filter(code__in=codes).values_list("pk", flat=True))
    return [
        events.add_table(
            event=event, initiative=initiative, moderator=moderator, notulist=notulist,
            location=f"Tafel {i}", factor_ids=ids, language="nl", user=event.organiser,
        )
        for i in range(1, n + 1)
    ]


def fill_factor(session_factor, *, current="", desired="", actions=("",)):
    session_factor.current_level = current
    session_factor.desired_level = desired
    session_factor.save()
    for action, text in zip(session_factor.action_points.order_by("position"), actions, strict=False):
        action.text = text
        action.save()


# --- Access -----------------------------------------------------------------------------------

def test_organiser_and_staff_see_the_overview_others_get_404(event, case, moderator, notulist, outsider):
    organiser = make_user("olga", "Moderator", first_name="Olga")
    event.organiser = organiser
    event.save()
    add_tables(event, case, moderator, notulist, 1)
    url = reverse("sessions:event", args=[event.pk])
    for user in (organiser, event.organiser):
        assert client_for(Client, user).get(url).status_code == 200
    staff = make_user("stef", "SER-medewerker", is_staff=True)
    assert client_for(Client, staff).get(url).status_code == 200
    # A table's moderator is not the organiser: the overview stays closed; the table stays open.
    for user in (moderator, notulist, outsider):
        client = client_for(Client, user)
        for name in ("event", "event_tables", "event_reflection", "event_export", "event_edit"):
            response = client.get(reverse(f"sessions:{name}", args=[event.pk]))
            assert response.status_code == 404, (user, name)
    table = event.tables.get()
    assert client_for(Client, moderator).get(reverse("sessions:detail", args=[table.pk])).status_code == 200
    assert client_for(Client, outsider).get(reverse("sessions:detail", args=[table.pk])).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))


def test_event_list_shows_only_own_events(event, outsider, staff):
    Event.objects.create(name="Andermans bijeenkomst", starts_at=timezone.now(), organiser=outsider)
    own = client_for(Client, outsider).get(reverse("sessions:events"))
    assert "Andermans bijeenkomst" in own.content.decode()
    assert "Werkbijeenkomst Actiescan" not in own.content.decode()
    everything = client_for(Client, staff).get(reverse("sessions:events")).content.decode()
    assert "Andermans bijeenkomst" in everything and "Werkbijeenkomst Actiescan" in everything


def test_a_moderator_plans_an_event_and_organises_it(moderator, notulist):
    client = client_for(Client, moderator)
    response = client.post(reverse("sessions:event_create"), {
        "name": "Regiobijeenkomst", "starts_at": "2030-03-01T13:30", "location": "Utrecht",
        "organiser": notulist.pk,  # not a field for a moderator: ignored
    })
    event = Event.objects.get(name="Regiobijeenkomst")
    assert response.status_code == 302 and response.url == event.get_absolute_url()
    assert event.organiser == moderator and event.created_by == moderator
    assert client_for(Client, notulist).get(reverse("sessions:event_create")).status_code == 403


def test_staff_choose_the_organiser(staff, moderator):
    client_for(Client, staff).post(reverse("sessions:event_create"), {
        "name": "Netwerkdag", "starts_at": "2030-03-01T10:00", "organiser": moderator.pk,
    })
    assert Event.objects.get(name="Netwerkdag").organiser == moderator


# --- Tables -----------------------------------------------------------------------------------

def test_the_organiser_adds_tables_on_a_casus_and_on_a_real_initiative(event, case, initiative, staff, moderator, notulist):
    # An earlier table on the same casus (another workshop) must not become a "previous session".
    earlier = ScanSession.objects.create(initiative=case, starts_at=timezone.now() - timedelta(days=30),
                                         moderator=moderator, status=Status.AFGEROND)
    client = client_for(Client, staff)
    factor = SuccessFactor.objects.get(code="maatwerk")
    response = client.post(reverse("sessions:event_add_table", args=[event.pk]), {
        "initiative": case.pk, "location": "Tafel 1", "moderator": moderator.pk,
        "notulist": notulist.pk, "factors": [factor.pk], "language": "nl",
    })
    assert response.status_code == 302
    table = event.tables.get()
    assert (table.location, table.initiative, table.moderator, table.notulist) == ("Tafel 1", case, moderator, notulist)
    assert table.starts_at == event.starts_at and table.previous_session is None and earlier.pk != table.pk
    assert list(table.factors.values_list("factor__code", flat=True)) == ["maatwerk"]
    assert table.factors.get().action_points.count() == 2
    # The table opens like any session for its moderator.
    assert client_for(Client, moderator).get(reverse("sessions:cockpit", args=[table.pk])).status_code == 200

    # Same moderator and notulist: refused, nothing added.
    response = client.post(reverse("sessions:event_add_table", args=[event.pk]), {
        "initiative": initiative.pk, "location": "Tafel 2", "moderator": moderator.pk,
        "notulist": moderator.pk, "language": "nl",
    })
    assert response.status_code == 400 and event.tables.count() == 1


def test_only_the_organiser_or_staff_add_tables(event, case, moderator, outsider):
    data = {"initiative": case.pk, "location": "Tafel 9", "moderator": moderator.pk, "language": "nl"}
    assert client_for(Client, outsider).post(
        reverse("sessions:event_add_table", args=[event.pk]), data).status_code == 404
    assert not event.tables.exists()


# --- The live overview ------------------------------------------------------------------------

def test_overview_counts_and_live_state(event, case, initiative, staff, moderator, notulist):
    busy, waiting = add_tables(event, case, moderator, notulist, 2, codes=("maatwerk", "digitale-tools", "leren-monitoring"))
    services.start_session(session=busy, user=moderator)
    first, second, third = busy.factors.order_by("position")
    fill_factor(first, current="startend", desired="gevorderd", actions=("Folder op B1", "Coach werven"))
    fill_factor(second, current="gevorderd")  # a level, but action points still open
    first.seconds_spent = 600
    first.save()
    busy.refresh_from_db()
    services.set_current_factor(session=busy, session_factor=second)
    ScanSession.objects.filter(pk=busy.pk).update(current_factor_since=timezone.now() - timedelta(seconds=90))
    events.save_reflection(answers={"insights": "Ja, veel."}, version=0, user=moderator, session=busy)

    response = client_for(Client, staff).get(reverse("sessions:event", args=[event.pk]))
    assert response.status_code == 200
    tables = {t.session.pk: t for t in response.context["tables"]}
    table = tables[busy.pk]
    assert (table.number, table.total, table.done, table.levels_set) == (1, 3, 1, 2)
    assert table.current.title == second.title
    assert 685 <= table.seconds_spent() <= 700  # 600 stored + ~90 running on the current factor
    assert 85 <= table.current_seconds() <= 100
    assert table.has_reflection and table.can_open
    other = tables[waiting.pk]
    assert (other.total, other.done, other.levels_set, other.current) == (3, 0, 0, None)
    assert other.seconds_spent() == 0 and not other.has_reflection
    html = response.content.decode()
    assert "1 van 3" in html and "2 van 3 niveaus gekozen" in html
    assert "Startend → Gevorderd" in html
    assert 'data-timer-start="' in html  # the running clock ticks in the browser
    assert html.count('class="badge">casus</span>') == 2


def test_overview_links_only_to_tables_the_viewer_may_open(event, case, moderator, notulist, outsider):
    organiser = make_user("olga", "Moderator", first_name="Olga")
    event.organiser = organiser
    event.save()
    own = events.add_table(event=event, initiative=case, moderator=organiser, notulist=notulist,
                           location="Tafel 1", factor_ids=[], language="nl", user=organiser)
    other = events.add_table(event=event, initiative=case, moderator=moderator, notulist=notulist,
                             location="Tafel 2", factor_ids=[], language="nl", user=organiser)
    html = client_for(Client, organiser).get(reverse("sessions:event", args=[event.pk])).content.decode()
    assert reverse("sessions:detail", args=[own.pk]) in html
    assert reverse("sessions:detail", args=[other.pk]) not in html


@pytest.mark.parametrize("name", ["event", "event_tables"])
def test_overview_queries_do_not_grow_with_the_number_of_tables(name, event, case, staff, moderator, notulist,
                                                               django_assert_max_num_queries):
    client = client_for(Client, staff)
    url = reverse(f"sessions:{name}", args=[event.pk])

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add_tables(event, case, moderator, notulist, 2)
    for table in event.tables.all():
        services.start_session(session=table, user=moderator)
    with_two = measure()
    add_tables(event, case, moderator, notulist, 6)
    for table in event.tables.filter(status=Status.GEPLAND):
        services.start_session(session=table, user=moderator)
        sf = table.factors.first()
        fill_factor(sf, current="gevorderd", desired="voldragen", actions=("a", "b"))
        services.set_current_factor(session=table, session_factor=sf)
    assert event.tables.count() == 8
    with_eight = measure()
    assert with_eight == with_two
    with django_assert_max_num_queries(with_two):
        client.get(url)
    with django_assert_max_num_queries(16):
        client.get(url)


def test_the_overview_poll_answers_204_until_a_table_changes(event, case, staff, moderator, notulist):
    table, = add_tables(event, case, moderator, notulist, 1)
    client = client_for(Client, staff)
    url = reverse("sessions:event_tables", args=[event.pk])
    first = client.get(url)
    assert first.status_code == 200
    fingerprint = first.context["fingerprint"]
    assert f"?sinds={fingerprint}" in first.content.decode()
    assert client.get(url, {"sinds": fingerprint}).status_code == 204
    services.start_session(session=table, user=moderator)
    changed = client.get(url, {"sinds": fingerprint})
    assert changed.status_code == 200 and "Bezig" in changed.content.decode()
    fingerprint = changed.context["fingerprint"]
    events.save_reflection(answers={"insights": "x"}, version=0, user=moderator, session=table)
    assert client.get(url, {"sinds": fingerprint}).status_code == 200
    add_tables(event, case, moderator, notulist, 1)
    assert client.get(url, {"sinds": fingerprint}).status_code == 200


# --- Casus ------------------------------------------------------------------------------------

def test_casus_sessions_are_left_out_of_staff_aggregates_unless_asked_for(event, case, initiative, moderator, notulist):
    practice, = add_tables(event, case, moderator, notulist, 1, codes=("maatwerk",))
    real, = add_tables(event, initiative, moderator, notulist, 1, codes=("maatwerk",))
    for table in (practice, real):
        services.start_session(session=table, user=moderator)
    fill_factor(practice.factors.get(), current="voldragen")
    fill_factor(real.factors.get(), current="startend")

    def aggregate(**data):
        form = AggregateFilterForm(data)
        assert form.is_valid()
        result = factor_aggregates(form)
        row = next(r for r in result["rows"] if r["code"] == "maatwerk")
        return result["total"], {level["value"]: level["count"] for level in row["levels"]}

    assert aggregate() == (1, {"startend": 1, "gevorderd": 0, "voldragen": 0})
    assert aggregate(cases="on") == (2, {"startend": 1, "gevorderd": 0, "voldragen": 1})

    def listed(**data):
        form = SessionFilterForm(data)
        assert form.is_valid()
        return set(filtered_sessions(form).values_list("pk", flat=True))

    assert listed() == {real.pk}
    assert listed(cases="on") == {real.pk, practice.pk}


def test_the_casus_is_readable_and_printable(case, initiative, moderator):
    client = client_for(Client, moderator)
    response = client.get(reverse("sessions:case", args=[case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>In het kort</h2>" in html and "<p>Subsidie stopt.</p>" in html
    assert "css/present.css" in html  # large type on screen, print rules for paper
    assert client.get(reverse("sessions:case", args=[initiative.pk])).status_code == 404
    assert case.name in client.get(reverse("sessions:case_list")).content.decode()
    assert Client().get(reverse("sessions:case", args=[case.pk])).status_code == 302


def test_seed_demo_prepares_a_workshop_with_four_tables_and_a_casus(settings, staff):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    case = Initiative.objects.get(is_case=True)
    words = len(case.description.split())
    assert 450 <= words <= 800, words  # about one page
    assert "## " in case.description
    event = Event.objects.get()
    tables = list(event.tables.select_related("initiative").order_by("pk"))
    assert len(tables) == 4
    assert sum(t.initiative.is_case for t in tables) == 3
    assert len({t.moderator_id for t in tables}) == 4 and len({t.notulist_id for t in tables}) == 4
    assert all(t.factors.count() == 2 for t in tables)
    organiser = event.organiser
    assert organiser.is_staff
    html = client_for(Client, organiser).get(event.get_absolute_url()).content.decode()
    assert "4 tafels" in html and case.name in html


# --- Reflection -------------------------------------------------------------------------------

def test_the_reflection_asks_the_three_questions_of_the_workshop_verbatim():
    seed = " ".join(SEED_000.read_text(encoding="utf-8").split())
    assert len(QUESTIONS) == 3
    for question in QUESTIONS:
        assert str(question) in seed, question


def test_a_table_records_its_reflection(event, case, moderator, notulist, outsider):
    table, = add_tables(event, case, moderator, notulist, 1)
    services.close_session(session=table, user=moderator)  # reflection comes after the scan
    url = reverse("sessions:reflection", args=[table.pk])
    page = client_for(Client, notulist).get(url)
    assert page.status_code == 200
    for question in QUESTIONS:
        assert question in page.content.decode()
    response = client_for(Client, notulist).post(url, {
        "insights": "Ja: we zagen waar de begeleiding stokt.\r\nTweede regel.",
        "levels": "De niveaus hielpen om stappen te benoemen.",
        "possibilities": "Inzetten bij de jaargesprekken.", "version": 0,
    })
    assert response.status_code == 302
    reflection = Reflection.objects.get(session=table)
    assert reflection.insights == "Ja: we zagen waar de begeleiding stokt.\nTweede regel."
    assert reflection.version == 1 and reflection.updated_by == notulist
    assert client_for(Client, outsider).get(url).status_code == 404
    assert client_for(Client, outsider).post(url, {"insights": "x", "version": 1}).status_code == 404
    reflection.refresh_from_db()
    assert reflection.insights.startswith("Ja")


def test_a_stale_reflection_form_never_overwrites_unseen(event, case, moderator, notulist):
    table, = add_tables(event, case, moderator, notulist, 1)
    url = reverse("sessions:reflection", args=[table.pk])
    client_for(Client, moderator).post(url, {"insights": "Van de moderator", "version": 0})
    response = client_for(Client, notulist).post(url, {"insights": "Van de notulist", "version": 0})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Van de moderator" in html and "Van de notulist" in html
    assert Reflection.objects.get(session=table).insights == "Van de moderator"
    # The form now carries the stored version: saving again goes through.
    assert response.context["form"]["version"].value() == 1
    again = client_for(Client, notulist).post(url, {"insights": "Samen", "version": 1})
    assert again.status_code == 302 and Reflection.objects.get(session=table).insights == "Samen"


def test_the_organiser_records_the_joint_reflection(event, staff):
    url = reverse("sessions:event_reflection", args=[event.pk])
    response = client_for(Client, staff).post(url, {
        "insights": "Veel", "levels": "Ja", "possibilities": "Bij elke regio", "version": 0,
    })
    assert response.status_code == 302
    assert Reflection.objects.get(event=event).possibilities == "Bij elke regio"


def test_reflections_are_exported_per_event(event, case, staff, moderator, notulist):
    first, second = add_tables(event, case, moderator, notulist, 2)
    events.save_reflection(answers={"insights": "=HYPERLINK(\"x\")", "levels": "Ja"}, version=0,
                           user=moderator, session=first)
    events.save_reflection(answers={"possibilities": "Overal"}, version=0, user=staff, event=event)
    other = Event.objects.create(name="Andere", starts_at=timezone.now(), organiser=staff)
    events.save_reflection(answers={"insights": "Niet hier"}, version=0, user=staff, event=other)
    client = client_for(Client, staff)
    response = client.get(reverse("sessions:event_export", args=[event.pk]), {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response).decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    for question in QUESTIONS:
        assert question in header
    assert len(body) == 2
    by_kind = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert by_kind["bijeenkomst"][QUESTIONS[2]] == "Overal"
    table_row = by_kind["tafel / sessie"]
    assert table_row["Tafel"] == "Tafel 1" and table_row["Casus"] == "ja"
    assert table_row[QUESTIONS[0]] == "'=HYPERLINK(\"x\")"  # never run as a formula

    xlsx = client.get(reverse("sessions:event_export", args=[event.pk]), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert QUESTIONS[1] in values[0] and len(values) == 3
    assert client.get(reverse("sessions:event_export", args=[event.pk]), {"format": "pdf"}).status_code == 404


def test_staff_overview_exports_reflections_of_the_selected_sessions(event, case, initiative, staff, moderator, notulist):
    table, = add_tables(event, initiative, moderator, notulist, 1)
    events.save_reflection(answers={"insights": "Inzicht aan tafel"}, version=0, user=moderator, session=table)
    events.save_reflection(answers={"insights": "Inzicht van de zaal"}, version=0, user=staff, event=event)
    practice, = add_tables(event, case, moderator, notulist, 1)
    events.save_reflection(answers={"insights": "Casus-inzicht"}, version=0, user=moderator, session=practice)
    response = client_for(Client, staff).get(reverse("reports:sessions_export"), {"kind": "reflecties", "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response).decode("utf-8-sig")
    assert "Inzicht aan tafel" in text and "Inzicht van de zaal" in text
    assert "Casus-inzicht" not in text  # casus sessions only when asked for
    response = client_for(Client, staff).get(reverse("reports:sessions_export"),
                                             {"kind": "reflecties", "format": "csv", "cases": "on"})
    assert "Casus-inzicht" in b"".join(response).decode("utf-8-sig")
