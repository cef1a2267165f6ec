"""Staff overviews: the sessions pipeline with its filters and counts, the initiatives and one
initiative over time, the factors across sessions, the follow-up session (previous action
points and levels), and who may see all of this."""

import re
from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actiescan.models import SuccessFactor
from reports.models import Advice, AdviceVersion, ShareLink
from reports.pipeline import months_before
from sessions import services
from sessions.models import (
    ActionPoint,
    ActionStatus,
    Initiative,
    ScanSession,
    Status,
)

from .helpers import at, client_for, make_session

NOW = timezone.make_aware(datetime(2026, 11, 20, 10, 0))


def finalize(session, *, on, shared=False):
    advice = Advice.objects.create(session=session)
    version = AdviceVersion.objects.create(
        advice=advice, number=1, content={}, pdf=b"%PDF-1.4", finalized_at=on
    )
    if shared:
        ShareLink.objects.create(version=version)
    return version


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def pipeline(db, moderator, notulist, settings):
    """One session in every stage, plus a casus and follow-up cases (12 months)."""
    settings.ACTIESCAN_FOLLOW_UP_MONTHS = 12
    techniek = Initiative.objects.create(name="Techniekpact", sector="Techniek", region="Twente")
    zorg = Initiative.objects.create(name="Zorgleerhuis", sector="Zorg", region="Utrecht")
    bouw = Initiative.objects.create(name="Bouwcampus", sector="Bouw", region="Twente")
    haven = Initiative.objects.create(name="Havenacademie", sector="Logistiek", region="Rijnmond")
    oost = Initiative.objects.create(name="Leerpunt Oost", sector="Onderwijs", region="Oost")
    casus = Initiative.objects.create(name="Casus Leerwerkloket", sector="Techniek", is_case=True)
    sessions = {
        "gepland": make_session(techniek, moderator, when=at(2026, 12, 10), status=Status.GEPLAND),
        "gehouden": make_session(zorg, moderator, when=at(2026, 10, 1), status=Status.BEZIG),
        "definitief": make_session(bouw, notulist, when=at(2026, 9, 1)),
        "gedeeld": make_session(haven, moderator, when=at(2026, 6, 1)),
        # Old advice, shared, no newer session: follow-up needed.
        "oud": make_session(zorg, moderator, when=at(2025, 3, 1)),
        # Old advice, but Techniekpact has a newer (planned) session: no follow-up.
        "opgevolgd": make_session(techniek, moderator, when=at(2025, 2, 1)),
        # Old advice, never shared, no newer session: follow-up needed.
        "vergeten": make_session(oost, moderator, when=at(2025, 5, 1)),
        "casus": make_session(casus, moderator, when=at(2025, 1, 15)),
    }
    finalize(sessions["definitief"], on=at(2026, 9, 2))
    finalize(sessions["gedeeld"], on=at(2026, 6, 3), shared=True)
    finalize(sessions["oud"], on=at(2025, 3, 20), shared=True)
    finalize(sessions["opgevolgd"], on=at(2025, 2, 10))
    finalize(sessions["vergeten"], on=at(2025, 5, 10))
    finalize(sessions["casus"], on=at(2025, 1, 20))
    return sessions


def counts(html_or_response):
    return {step["value"]: step["count"] for step in html_or_response.context["pipeline"]}


def listed(response):
    return {s.pk for s in response.context["page"].object_list}


# --- Pipeline and filters ---------------------------------------------------------------------

def test_pipeline_counts_follow_the_documented_definitions(pipeline, staff, frozen_now):
    client = client_for(Client, staff)
    response = client.get(reverse("reports:sessions_overview"))
    assert response.status_code == 200
    assert counts(response) == {
        "gepland": 1,          # Techniekpact in December
        "gehouden": 1,         # Zorgleerhuis, running, no advice
        "advies_definitief": 3,  # Bouwcampus; Techniekpact 2025; Leerpunt Oost 2025
        "gedeeld": 2,          # Havenacademie; Zorgleerhuis 2025 (shared)
        "follow_up": 1,        # Leerpunt Oost: advice of May 2025 and nothing since.
    }                          # (Zorgleerhuis and Techniekpact 2025 have newer sessions.)
    assert pipeline["casus"].pk not in listed(response)
    response = client.get(reverse("reports:sessions_overview"), {"stage": "follow_up"})
    assert listed(response) == {pipeline["vergeten"].pk}
    assert "follow-up nodig" in response.content.decode()


def test_follow_up_is_due_after_the_configured_months_without_a_newer_session(
    pipeline, staff, frozen_now, settings
):
    client = client_for(Client, staff)
    # Havenacademie's advice (3 June 2026) is 5.5 months old: due once the limit is 5 months.
    settings.ACTIESCAN_FOLLOW_UP_MONTHS = 5
    response = client.get(reverse("reports:sessions_overview"), {"stage": "follow_up"})
    assert listed(response) == {pipeline["gedeeld"].pk, pipeline["vergeten"].pk}
    assert counts(response)["follow_up"] == 2
    settings.ACTIESCAN_FOLLOW_UP_MONTHS = 6
    response = client.get(reverse("reports:sessions_overview"), {"stage": "follow_up"})
    assert listed(response) == {pipeline["vergeten"].pk}
    # A new session planned for Havenacademie ends the need, whatever its status.
    settings.ACTIESCAN_FOLLOW_UP_MONTHS = 5
    make_session(pipeline["gedeeld"].initiative, pipeline["gedeeld"].moderator,
                 when=at(2027, 1, 5), status=Status.GEPLAND)
    response = client.get(reverse("reports:sessions_overview"), {"stage": "follow_up"})
    assert listed(response) == {pipeline["vergeten"].pk}


def test_a_casus_never_needs_a_follow_up_even_when_shown(pipeline, staff, frozen_now):
    response = client_for(Client, staff).get(
        reverse("reports:sessions_overview"), {"cases": "on"}
    )
    assert pipeline["casus"].pk in listed(response)
    assert counts(response)["follow_up"] == 1
    assert counts(response)["advies_definitief"] == 4


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(at(2026, 3, 31), 1).day == 28
    assert months_before(at(2026, 1, 15), 12) == at(2025, 1, 15)


@pytest.mark.parametrize("params, expected", [
    ({"status": "afgerond"}, {"definitief", "gedeeld", "oud", "opgevolgd", "vergeten"}),
    ({"stage": "gedeeld"}, {"gedeeld", "oud"}),
    ({"start": "2026-06-01", "end": "2026-10-01"}, {"gehouden", "definitief", "gedeeld"}),
    ({"start": "01-09-2026", "end": "30-09-2026"}, {"definitief"}),
    ({"sector": "Zorg"}, {"gehouden", "oud"}),
    ({"region": "Twente"}, {"gepland", "definitief", "opgevolgd"}),
    ({"q": "haven"}, {"gedeeld"}),
    ({"q": "campus"}, {"definitief"}),
])
def test_filters_select_the_right_sessions(pipeline, staff, params, expected):
    response = client_for(Client, staff).get(reverse("reports:sessions_overview"), params)
    assert response.status_code == 200
    assert listed(response) == {pipeline[name].pk for name in expected}


def test_filter_by_initiative_and_moderator(pipeline, staff, notulist):
    client = client_for(Client, staff)
    zorg = pipeline["gehouden"].initiative
    response = client.get(reverse("reports:sessions_overview"), {"initiative": zorg.pk})
    assert listed(response) == {pipeline["gehouden"].pk, pipeline["oud"].pk}
    response = client.get(reverse("reports:sessions_overview"), {"moderator": notulist.pk})
    assert listed(response) == {pipeline["definitief"].pk}


def test_counts_respect_the_other_filters_but_not_the_stage_filter(pipeline, staff):
    response = client_for(Client, staff).get(
        reverse("reports:sessions_overview"), {"sector": "Zorg", "stage": "gedeeld"}
    )
    assert listed(response) == {pipeline["oud"].pk}
    assert counts(response) == {"gepland": 0, "gehouden": 1, "advies_definitief": 0,
                                "gedeeld": 1, "follow_up": 0}


@pytest.mark.parametrize("params", [
    {}, {"cases": "on"}, {"stage": "gepland"}, {"stage": "gehouden"},
    {"stage": "advies_definitief"}, {"stage": "gedeeld"}, {"stage": "follow_up"},
    {"stage": "gedeeld", "sector": "Zorg"}, {"status": "afgerond", "stage": "follow_up"},
])
def test_the_number_of_sessions_shown_is_the_number_listed(pipeline, staff, params):
    """The list's total comes from the pipeline counts (one query less): it must still match."""
    response = client_for(Client, staff).get(reverse("reports:sessions_overview"), params)
    total = response.context["page"].paginator.count
    assert total == len(listed(response))
    if total:
        assert f"{total} sessie" in response.content.decode()


@pytest.mark.parametrize("params", [
    {"start": "gisteren"}, {"start": "2026-10-01", "end": "2026-01-01"}, {"status": "kapot"},
    {"initiative": "999999"},
])
def test_bad_filters_get_a_dutch_message_and_400(pipeline, staff, params):
    response = client_for(Client, staff).get(reverse("reports:sessions_overview"), params)
    assert response.status_code == 400
    assert "Een filter klopt niet" in response.content.decode()
    assert response.context["page"] is None


def test_pagination_is_an_htmx_fragment_with_a_link(pipeline, staff, monkeypatch):
    from reports import overview_views

    monkeypatch.setattr(overview_views, "PAGE_SIZE", 2)
    client = client_for(Client, staff)
    page = client.get(reverse("reports:sessions_overview"), {"region": "Twente"})
    html = page.content.decode()
    assert 'href="?region=Twente&amp;pagina=2"' in html
    assert 'hx-get="?region=Twente&amp;pagina=2"' in html
    fragment = client.get(reverse("reports:sessions_overview"), {"region": "Twente", "pagina": "2"},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="overview-results")
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert body.lstrip().startswith('<div id="overview-results">') and "<html" not in body
    assert len(fragment.context["page"].object_list) == 1


# --- Constant number of queries ---------------------------------------------------------------

def build_sessions(n, moderator, notulist):
    for i in range(n):
        initiative = Initiative.objects.create(name=f"Initiatief {i:03}", sector="Techniek")
        session = make_session(
            initiative, moderator, notulist, when=at(2026, 1, 1 + i % 28),
            levels={"maatwerk": ("startend", "gevorderd"), "digitale-tools": ("gevorderd", "")},
            actions={"maatwerk": ["Coaches inzetten", "Netwerk uitbreiden"]},
        )
        if i % 2:
            finalize(session, on=at(2026, 2, 1), shared=i % 4 == 1)
    return initiative


def query_count(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("name, params", [
    ("reports:sessions_overview", {}),
    ("reports:sessions_overview", {"stage": "gedeeld", "q": "Initiatief"}),
    ("reports:initiatives_overview", {}),
    ("reports:factors_overview", {}),
])
def test_overview_pages_use_a_constant_number_of_queries(
    name, params, staff, moderator, notulist, django_assert_max_num_queries
):
    client = client_for(Client, staff)
    url = reverse(name)
    build_sessions(3, moderator, notulist)
    with_three = query_count(client, url, params)
    build_sessions(27, moderator, notulist)
    with django_assert_max_num_queries(with_three):
        response = client.get(url, params)
    assert response.status_code == 200
    assert with_three <= 12


def test_initiative_page_uses_a_constant_number_of_queries(
    staff, moderator, notulist, django_assert_max_num_queries
):
    client = client_for(Client, staff)
    initiative = Initiative.objects.create(name="Leerhuis", sector="Zorg")
    for month in (1, 2, 3):
        make_session(initiative, moderator, notulist, when=at(2024, month, 1),
                     actions={"maatwerk": ["Eerste stap"]})
    url = reverse("reports:initiative_overview", args=[initiative.pk])
    with_three = query_count(client, url)
    for month in range(4, 31):
        make_session(initiative, moderator, notulist, when=at(2024 + month // 12, 1 + month % 12, 1),
                     actions={"maatwerk": ["Volgende stap"]})
    with django_assert_max_num_queries(with_three):
        assert client.get(url).status_code == 200


# --- Initiative page --------------------------------------------------------------------------

def test_initiative_page_puts_levels_side_by_side_and_lists_action_states(staff, moderator):
    initiative = Initiative.objects.create(name="Leerhuis Noord", sector="Zorg")
    first = make_session(
        initiative, moderator, when=at(2025, 3, 12),
        levels={"maatwerk": ("startend", "gevorderd"), "digitale-tools": ("gevorderd", "")},
        actions={"maatwerk": ["Loopbaancoaches inzetten"]},
    )
    make_session(initiative, moderator, when=at(2026, 3, 12),
                 levels={"maatwerk": ("gevorderd", "voldragen")})
    action = ActionPoint.objects.get(session_factor__session=first, text="Loopbaancoaches inzetten")
    action.status, action.status_comment = ActionStatus.GEDAAN, "Drie coaches gestart"
    action.save()
    response = client_for(Client, staff).get(
        reverse("reports:initiative_overview", args=[initiative.pk])
    )
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.context["overview"].factor_rows}
    assert [c.current_level if c else None for c in rows["maatwerk"]["cells"]] == [
        "startend", "gevorderd"]
    # digitale-tools was only chosen the first time: "niet gekozen", not a low level.
    assert [c.current_level if c else None for c in rows["digitale-tools"]["cells"]] == [
        "gevorderd", None]
    html = response.content.decode()
    assert "niet gekozen" in html and "niet als score of trend" in html
    assert "Loopbaancoaches inzetten" in html and "Drie coaches gestart" in html
    assert "badge--gedaan" in html
    assert "12 maart 2025" in html and "12 maart 2026" in html


def test_unknown_initiative_is_404(staff):
    response = client_for(Client, staff).get(reverse("reports:initiative_overview", args=[99999]))
    assert response.status_code == 404


def test_initiatives_overview_shows_the_state_of_the_latest_session(pipeline, staff, frozen_now, settings):
    settings.ACTIESCAN_FOLLOW_UP_MONTHS = 5
    client = client_for(Client, staff)
    response = client.get(reverse("reports:initiatives_overview"))
    rows = {i.name: i for i in response.context["page"].object_list}
    assert set(rows) == {"Techniekpact", "Zorgleerhuis", "Bouwcampus", "Havenacademie",
                         "Leerpunt Oost"}
    assert rows["Techniekpact"].session_count == 2
    assert rows["Techniekpact"].latest.pk == pipeline["gepland"].pk
    assert rows["Havenacademie"].latest.follow_up_due is True
    response = client.get(reverse("reports:initiatives_overview"), {"follow_up": "on"})
    assert [i.name for i in response.context["page"].object_list] == [
        "Havenacademie", "Leerpunt Oost"]
    response = client.get(reverse("reports:initiatives_overview"), {"cases": "on", "q": "casus"})
    assert [i.name for i in response.context["page"].object_list] == ["Casus Leerwerkloket"]


# --- Across sessions --------------------------------------------------------------------------

def test_aggregates_count_not_chosen_separately_and_never_rank(staff, moderator):
    a = Initiative.objects.create(name="Alfa Leerhuis")
    b = Initiative.objects.create(name="Bravo Academie")
    casus = Initiative.objects.create(name="Oefencasus", is_case=True)
    make_session(a, moderator, when=at(2026, 1, 1),
                 levels={"maatwerk": ("startend", ""), "digitale-tools": ("voldragen", "")},
                 actions={"maatwerk": ["Loopbaangesprekken organiseren", "Werkgevers betrekken"]})
    make_session(b, moderator, when=at(2026, 2, 1), levels={"maatwerk": ("", "")},
                 actions={"maatwerk": ["Loopbaangesprekken plannen"]})
    make_session(b, moderator, when=at(2026, 3, 1), status=Status.GEPLAND,
                 levels={"maatwerk": ("voldragen", "")})  # planned: not held, not counted
    make_session(casus, moderator, when=at(2026, 1, 5), levels={"maatwerk": ("voldragen", "")})
    client = client_for(Client, staff)
    response = client.get(reverse("reports:factors_overview"))
    assert response.status_code == 200
    aggregates = response.context["aggregates"]
    assert aggregates["total"] == 2
    rows = {row["code"]: row for row in aggregates["rows"]}
    maatwerk = rows["maatwerk"]
    assert (maatwerk["chosen"], maatwerk["not_chosen"], maatwerk["no_level"]) == (2, 0, 1)
    assert {lv["value"]: lv["count"] for lv in maatwerk["levels"]} == {
        "startend": 1, "gevorderd": 0, "voldragen": 0}
    assert dict(maatwerk["themes"]) == {"loopbaangesprekken": 2}
    tools = rows["digitale-tools"]
    assert (tools["chosen"], tools["not_chosen"]) == (1, 1)
    # Not chosen is counted apart, never as a level.
    assert sum(lv["count"] for lv in tools["levels"]) == 1
    other = rows["netwerk-samenwerking"]
    assert (other["chosen"], other["not_chosen"]) == (0, 2)
    assert all(lv["count"] == 0 for lv in other["levels"])
    html = response.content.decode()
    assert "Dit is geen rangschikking van initiatieven." in html
    assert "Alfa Leerhuis" not in html and "Bravo Academie" not in html
    # Casus sessions only when asked for.
    response = client.get(reverse("reports:factors_overview"), {"cases": "on"})
    rows = {row["code"]: row for row in response.context["aggregates"]["rows"]}
    assert response.context["aggregates"]["total"] == 3
    assert {lv["value"]: lv["count"] for lv in rows["maatwerk"]["levels"]}["voldragen"] == 1


# --- Follow-up session ------------------------------------------------------------------------

@pytest.fixture
def held_session(initiative, moderator, notulist):
    session = make_session(
        initiative, moderator, notulist, when=at(2026, 3, 12),
        levels={"maatwerk": ("gevorderd", "voldragen"), "digitale-tools": ("startend", "")},
        actions={"maatwerk": ["Loopbaancoaches inzetten", "Werkgevers betrekken"]},
    )
    services.close_session(session=session, user=moderator)
    session.refresh_from_db()
    return session


def plan_follow_up(client, initiative, moderator, notulist, when="2026-12-01T14:00"):
    response = client.post(reverse("sessions:plan"), {
        "initiative": initiative.pk, "starts_at": when, "location": "Tiel",
        "moderator": moderator.pk, "notulist": notulist.pk,
    })
    assert response.status_code == 302
    return ScanSession.objects.filter(initiative=initiative).latest("pk")


def test_planning_a_follow_up_links_the_previous_session_and_reviews_its_actions(
    held_session, initiative, moderator, notulist
):
    client = client_for(Client, moderator)
    follow_up = plan_follow_up(client, initiative, moderator, notulist)
    assert follow_up.previous_session == held_session
    html = client.get(reverse("sessions:detail", args=[follow_up.pk])).content.decode()
    assert "Terugblik op de vorige sessie" in html
    assert "Loopbaancoaches inzetten" in html and "Werkgevers betrekken" in html
    assert "12 maart 2026" in html
    # Empty action points of the previous session are not part of the review.
    assert len(follow_up.previous_action_points()) == 2


def test_a_first_session_has_no_previous_session_and_no_review(initiative, moderator, notulist):
    client = client_for(Client, moderator)
    session = plan_follow_up(client, initiative, moderator, notulist)
    assert session.previous_session is None
    assert "Terugblik" not in client.get(reverse("sessions:detail", args=[session.pk])).content.decode()


def test_previous_session_is_the_latest_held_one_before(held_session, initiative, moderator, notulist):
    # A session planned but never held is skipped; a later one does not count.
    make_session(initiative, moderator, when=at(2026, 6, 1), status=Status.GEPLAND)
    make_session(initiative, moderator, when=at(2027, 6, 1))
    follow_up = plan_follow_up(client_for(Client, moderator), initiative, moderator, notulist)
    assert follow_up.previous_session == held_session


def test_status_of_previous_action_points_is_saved_even_though_that_session_is_closed(
    held_session, initiative, moderator, notulist
):
    client = client_for(Client, notulist)
    follow_up = plan_follow_up(client_for(Client, moderator), initiative, moderator, notulist)
    action = follow_up.previous_action_points()[0]
    assert held_session.is_closed
    response = client.post(
        reverse("reports:action_status", args=[action.pk]),
        {"status": "gedaan", "status_comment": "Drie coaches aan de slag",
         "next": reverse("sessions:detail", args=[follow_up.pk])},
        HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"review-item-{action.pk}",
    )
    assert response.status_code == 200
    assert "Opgeslagen" in response.content.decode()
    action.refresh_from_db()
    assert (action.status, action.status_comment) == ("gedaan", "Drie coaches aan de slag")
    assert action.status_updated_by == notulist and action.status_updated_at
    # Without htmx: back to where the form was.
    response = client.post(reverse("reports:action_status", args=[action.pk]),
                           {"status": "vervallen", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.url == reverse("sessions:detail", args=[held_session.pk])
    action.refresh_from_db()
    assert action.status == "vervallen" and action.status_comment == ""


@pytest.mark.parametrize("data, message", [
    ({"status": "half"}, "Kies: niet gestart, bezig, gedaan of vervallen."),
    ({"status": "bezig", "status_comment": "x" * 2001}, "De toelichting is te lang"),
])
def test_bad_status_input_is_refused_with_a_message(held_session, moderator, data, message):
    action = held_session.previous_action_points() or ActionPoint.objects.filter(
        session_factor__session=held_session).exclude(text="")
    action = action[0]
    response = client_for(Client, moderator).post(
        reverse("reports:action_status", args=[action.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    action.refresh_from_db()
    assert action.status == "niet_gestart" and action.status_updated_at is None


def test_outsiders_cannot_see_or_change_an_action_status(held_session, outsider, staff):
    action = ActionPoint.objects.filter(session_factor__session=held_session).exclude(text="")[0]
    url = reverse("reports:action_status", args=[action.pk])
    assert client_for(Client, outsider).post(url, {"status": "gedaan"}).status_code == 404
    assert client_for(Client, outsider).get(url).status_code == 404
    response = Client().post(url, {"status": "gedaan"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    action.refresh_from_db()
    assert action.status == "niet_gestart"
    # The moderator of a follow-up session may; staff always.
    follow_up = make_session(held_session.initiative, outsider, when=at(2026, 12, 1),
                             status=Status.GEPLAND)
    follow_up.previous_session = held_session
    follow_up.save()
    assert client_for(Client, outsider).post(url, {"status": "bezig"}).status_code == 302
    assert client_for(Client, staff).get(url).status_code == 200
    action.refresh_from_db()
    assert action.status == "bezig"


def test_cockpit_shows_the_previous_level_by_catalogue_code(
    held_session, initiative, moderator, notulist
):
    client = client_for(Client, moderator)
    follow_up = plan_follow_up(client, initiative, moderator, notulist)
    ids = [SuccessFactor.objects.get(code=c).pk for c in ("maatwerk", "netwerk-samenwerking")]
    services.choose_factors(session=follow_up, factor_ids=ids, user=moderator)
    maatwerk = follow_up.factors.get(factor__code="maatwerk")
    netwerk = follow_up.factors.get(factor__code="netwerk-samenwerking")
    html = client.get(reverse("sessions:cockpit", args=[follow_up.pk]),
                      {"factor": maatwerk.pk}).content.decode()
    assert "Vorige keer: gevorderd (12 maart 2026)" in html
    assert "toen gewenst: voldragen" in html
    assert "Terugblik: 2 actiepunten van de vorige sessie" in html
    html = client.get(reverse("sessions:cockpit", args=[follow_up.pk]),
                      {"factor": netwerk.pk}).content.decode()
    assert "Vorige keer niet gekozen (12 maart 2026)" in html


# --- Permissions ------------------------------------------------------------------------------

STAFF_URLS = [
    ("reports:sessions_overview", {}),
    ("reports:sessions_export", {"kind": "scores", "format": "csv"}),
    ("reports:initiatives_overview", {}),
    ("reports:initiatives_export", {"format": "csv"}),
    ("reports:initiatives_import", {}),
    ("reports:factors_overview", {}),
]


@pytest.mark.parametrize("who", ["moderator", "notulist", "outsider"])
def test_overviews_are_for_staff_only(who, request, scan_session):
    client = client_for(Client, request.getfixturevalue(who))
    for name, params in STAFF_URLS:
        assert client.get(reverse(name), params).status_code == 403, name
    url = reverse("reports:initiative_overview", args=[scan_session.initiative.pk])
    assert client.get(url).status_code == 403
    response = client.post(reverse("reports:initiatives_import"), {})
    assert response.status_code == 403


def test_anonymous_users_are_sent_to_login(scan_session):
    client = Client()
    for name, params in STAFF_URLS:
        response = client.get(reverse(name), params)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name


def test_staff_opens_every_overview_and_sees_the_menu_link(staff, scan_session):
    client = client_for(Client, staff)
    for name, params in STAFF_URLS:
        assert client.get(reverse(name), params).status_code == 200, name
    html = client.get(reverse("home")).content.decode()
    assert reverse("reports:sessions_overview") in html


def test_no_menu_link_for_others(moderator):
    html = client_for(Client, moderator).get(reverse("home")).content.decode()
    assert reverse("reports:sessions_overview") not in html


def test_each_session_says_where_it_stands_in_one_column(pipeline, staff, frozen_now):
    """Not "Gepland" under Status beside "gepland" under Fase: one column, the pipeline's stage,
    with the conversation's own status only where it adds something (still running)."""
    html = client_for(Client, staff).get(reverse("reports:sessions_overview")).content.decode()
    headers = re.findall(r'<th scope="col">([^<]+)</th>', html.split("<thead>")[1].split("</thead>")[0])
    assert "Stand" in headers and "Status" not in headers and "Fase" not in headers
    rows = [row.split("</tr>")[0] for row in html.split('<th scope="row">')[1:]]
    running = next(row for row in rows if "Zorgleerhuis" in row and "gehouden" in row)
    assert "gesprek loopt nog" in running
    planned = next(row for row in rows if "Techniekpact" in row and "gepland" in row)
    assert planned.count(">gepland<") == 1 and "Gepland" not in planned
    closed = next(row for row in rows if "Havenacademie" in row)
    assert "gedeeld" in closed and "Afgerond" not in closed and "gesprek loopt nog" not in closed


# --- A follow-up is no way into another moderator's session (issue 13, item 1) ----------------

def test_a_moderator_who_may_not_see_the_previous_session_plans_without_a_review(
    held_session, initiative, outsider, notulist
):
    """Pieter has never seen Jeroen's session with this initiative. Planning a new session for
    it (the plan form lists every initiative) does not make it a follow-up: no review of
    Jeroen's action points, no previous levels, no way to change their status."""
    client = client_for(Client, outsider)
    session = plan_follow_up(client, initiative, outsider, notulist)
    assert session.previous_session is None and session.previous_action_points() == []
    for name in ("sessions:detail", "sessions:cockpit"):
        html = client.get(reverse(name, args=[session.pk])).content.decode()
        assert "Loopbaancoaches" not in html and "Terugblik" not in html and "Vorige keer" not in html
    action = ActionPoint.objects.filter(session_factor__session=held_session).exclude(text="")[0]
    url = reverse("reports:action_status", args=[action.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"status": "vervallen"}).status_code == 404
    # Nor through the notulist he chose for it, who has not seen that session either.
    other_notulist = outsider.__class__.objects.create_user("karin")
    session.notulist = other_notulist
    session.save()
    assert client_for(Client, other_notulist).get(url).status_code == 404
    action.refresh_from_db()
    assert action.status == "niet_gestart"
    # Nor in the path over time of the new session's advice.
    services.start_session(session=session, user=outsider)
    services.close_session(session=session, user=outsider)
    from reports import document
    from reports import services as advice_services

    advice = advice_services.get_or_draft_advice(session=session, user=outsider)
    assert document.advice_content(advice)["path"] is None


def test_a_table_added_to_an_event_by_an_outsider_is_no_follow_up_either(held_session, initiative, outsider):
    from sessions.models import Event

    event = Event.objects.create(name="Werkbijeenkomst", starts_at=at(2026, 12, 1), organiser=outsider)
    response = client_for(Client, outsider).post(
        reverse("sessions:event_add_table", args=[event.pk]),
        {"initiative": initiative.pk, "location": "Tafel 1", "moderator": outsider.pk, "language": "nl"})
    assert response.status_code == 302
    table = event.tables.get()
    assert table.previous_session is None


@pytest.mark.parametrize("planner", ["moderator", "notulist_as_moderator", "staff"])
def test_whoever_may_see_the_previous_session_or_staff_plans_a_follow_up(
    held_session, initiative, outsider, notulist, staff, moderator, planner
):
    """The rule's other side: Jeroen (who led it), Fatima (who took its minutes) and staff link
    the new session to it, also when someone else moderates the new one."""
    if planner == "notulist_as_moderator":
        from django.contrib.auth.models import Group

        notulist.groups.add(Group.objects.get(name="Moderator"))
    user = {"moderator": moderator, "notulist_as_moderator": notulist, "staff": staff}[planner]
    follow_up = plan_follow_up(client_for(Client, user), initiative, outsider, notulist)
    assert follow_up.previous_session == held_session
    html = client_for(Client, outsider).get(reverse("sessions:detail", args=[follow_up.pk])).content.decode()
    assert "Loopbaancoaches inzetten" in html


def test_the_advice_path_shows_only_sessions_its_people_may_see_or_follow_up(initiative, moderator, notulist, outsider):
    """Two sessions by Jeroen, one later by Pieter (linked by nobody): Pieter's advice carries
    none of Jeroen's levels; a follow-up that staff linked to Jeroen's second carries the chain."""
    from reports import document
    from reports import services as advice_services

    first = make_session(initiative, moderator, notulist, when=at(2025, 3, 12))
    second = make_session(initiative, moderator, notulist, when=at(2025, 9, 12))
    second.previous_session = first
    second.save()
    pieter = make_session(initiative, outsider, when=at(2026, 3, 12))
    assert document.advice_content(advice_services.get_or_draft_advice(session=pieter, user=outsider))["path"] is None
    linked = make_session(initiative, outsider, when=at(2026, 9, 12))
    linked.previous_session = second
    linked.save()
    path = document.advice_content(advice_services.get_or_draft_advice(session=linked, user=outsider))["path"]
    # The chain (first, second), Pieter's own session, and this one.
    assert [s["held_at"][:10] for s in path["sessions"]] == ["2025-03-12", "2025-09-12", "2026-03-12", "2026-09-12"]
    assert [s["is_this"] for s in path["sessions"]] == [False, False, False, True]


def test_links_made_before_the_rule_by_a_planner_who_could_not_see_are_undone(
    held_session, initiative, moderator, outsider, staff
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("sessions.migrations.0009_unlink_follow_ups_the_planner_could_not_see")
    by = {who: make_session(initiative, outsider, when=at(2026, 12, n), status=Status.GEPLAND)
          for n, who in enumerate((outsider, moderator, staff, None), start=1)}
    for planner, session in by.items():
        ScanSession.objects.filter(pk=session.pk).update(previous_session=held_session, created_by=planner)
    migration.unlink(apps, None)
    linked = {planner: ScanSession.objects.get(pk=s.pk).previous_session_id for planner, s in by.items()}
    assert linked == {outsider: None, moderator: held_session.pk, staff: held_session.pk, None: held_session.pk}
