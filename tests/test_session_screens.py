"""Planning, preparing and running a session through its screens."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.defaults import server_error

from actiescan.models import LevelDescriptor, SubQuestion, SuccessFactor
from sessions import autosave, services
from sessions.models import Initiative, Participant, ScanSession, SessionFactor

from .helpers import at, client_for, plan_session


def test_moderator_adds_an_initiative_and_plans_a_session(moderator, notulist):
    client = client_for(Client, moderator)
    response = client.post(reverse("sessions:initiative_create"), {
        "name": "Techniekpact Twente", "sector": "Techniek", "region": "Twente",
        "contact_email": "info@example.org",
    })
    initiative = Initiative.objects.get(name="Techniekpact Twente")
    assert response.status_code == 302 and initiative.code == "techniekpact-twente"
    response = client.post(reverse("sessions:plan"), {
        "initiative": initiative.pk, "starts_at": "2026-12-01T14:00", "location": "Enschede",
        "moderator": moderator.pk, "notulist": notulist.pk,
    })
    session = ScanSession.objects.get(initiative=initiative)
    assert response.status_code == 302 and response.url == session.get_absolute_url()
    assert session.created_by == moderator and session.status == "gepland"
    assert session.starts_at.hour == 13  # 14:00 in Amsterdam is 13:00 UTC in winter


def test_plan_form_shows_dutch_errors(moderator):
    client = client_for(Client, moderator)
    response = client.post(reverse("sessions:plan"), {"starts_at": "morgen", "moderator": moderator.pk,
                                                      "notulist": moderator.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dit veld is verplicht" in html
    assert "Voer een geldige datum/tijd in" in html
    assert "iemand anders dan de moderator" in html
    assert not ScanSession.objects.exists()


def test_choose_reorder_and_keep_factors_with_text(scan_session, moderator):
    client = client_for(Client, moderator)
    codes = list(scan_session.factors.values_list("factor__code", flat=True))
    assert codes == ["maatwerk", "digitale-tools", "leren-monitoring"]
    first = scan_session.factors.get(factor__code="maatwerk")
    first.minutes = "Al besproken"
    first.save()
    netwerk = SuccessFactor.objects.get(code="netwerk-samenwerking")
    digitale = SuccessFactor.objects.get(code="digitale-tools")
    response = client.post(
        reverse("sessions:choose_factors", args=[scan_session.pk]),
        {"factors": [digitale.pk, netwerk.pk]}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="chosen-factors",
    )
    assert response.status_code == 200
    # maatwerk has minutes and stays; leren-monitoring is dropped; netwerk is added at the end.
    order = list(scan_session.factors.order_by("position").values_list("factor__code", flat=True))
    assert order == ["maatwerk", "digitale-tools", "netwerk-samenwerking"]
    assert list(scan_session.factors.order_by("position").values_list("position", flat=True)) == [1, 2, 3]
    added = scan_session.factors.get(factor__code="netwerk-samenwerking")
    assert added.action_points.count() == 2
    client.post(reverse("sessions:move_factor", args=[scan_session.pk, added.pk, "omhoog"]))
    order = list(scan_session.factors.order_by("position").values_list("factor__code", flat=True))
    assert order == ["maatwerk", "netwerk-samenwerking", "digitale-tools"]


def test_participants_are_added_and_removed(scan_session, notulist):
    client = client_for(Client, notulist)
    response = client.post(reverse("sessions:add_participant", args=[scan_session.pk]),
                           {"name": "Marieke Janssen", "role": "representant"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET="participants")
    assert response.status_code == 200 and "Marieke Janssen" in response.content.decode()
    participant = Participant.objects.get(session=scan_session)
    response = client.post(reverse("sessions:add_participant", args=[scan_session.pk]),
                           {"name": "", "role": "koning"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="participants")
    assert response.status_code == 400 and "Dit veld is verplicht" in response.content.decode()
    client.post(reverse("sessions:remove_participant", args=[scan_session.pk, participant.pk]))
    assert not Participant.objects.exists()


def test_cannot_start_without_factors(initiative, moderator, notulist):
    session = plan_session(initiative, moderator, notulist, codes=())
    client = client_for(Client, moderator)
    response = client.post(reverse("sessions:start", args=[session.pk]))
    session.refresh_from_db()
    assert response.status_code == 302 and session.status == "gepland"
    assert client.get(reverse("sessions:cockpit", args=[session.pk])).status_code == 302


def test_cockpit_shows_the_factor_with_questions_and_level_cards(running_session, moderator):
    client = client_for(Client, moderator)
    factor = running_session.factors.get(factor__code="maatwerk")
    html = client.get(reverse("sessions:cockpit", args=[running_session.pk]), {"factor": factor.pk}).content.decode()
    assert "hoe toegankelijk en relevant is jullie aanbod" in html
    assert "In hoeverre is het aanbod kosteloos of financieel toegankelijk?" in html
    for label in ("Startend", "Gevorderd", "Voldragen"):
        assert label in html
    assert html.count(f'data-autosave="choice" data-field="factor:{factor.pk}:current_level"') == 3
    assert "Nog nodig om deze succesfactor af te ronden" in html


def test_completeness_needs_a_level_and_both_action_points(running_session, moderator):
    factor = running_session.factors.first()
    first, second = factor.action_points.all()
    factor.current_level = "startend"
    factor.save()
    first.text = "Taalniveau B1 in alle folders"
    first.save()
    factor = services.factors_with_actions(running_session).get(pk=factor.pk)
    assert not factor.is_complete and factor.missing_parts() == ["actiepunt 2"]
    second.text = "Leerambassadeurs werven"
    second.save()
    factor = services.factors_with_actions(running_session).get(pk=factor.pk)
    assert factor.is_complete


def test_notulist_view_follows_the_moderators_factor(running_session, moderator, notulist):
    second = running_session.factors.order_by("position")[1]
    client_for(Client, moderator).post(reverse("sessions:go_to_factor", args=[running_session.pk, second.pk]))
    html = client_for(Client, notulist).get(reverse("sessions:notulist", args=[running_session.pk])).content.decode()
    assert f'data-field="factor:{second.pk}:minutes"' in html
    assert 'id="follow-moderator"' in html


def test_notulist_opening_the_cockpit_does_not_move_the_table(running_session, moderator, notulist):
    first, second = running_session.factors.order_by("position")[:2]
    client_for(Client, moderator).post(reverse("sessions:go_to_factor", args=[running_session.pk, first.pk]))
    client_for(Client, notulist).get(reverse("sessions:cockpit", args=[running_session.pk]), {"factor": second.pk})
    running_session.refresh_from_db()
    assert running_session.current_factor_id == first.pk


def test_fragment_requests_render_only_the_partial(running_session, moderator):
    client = client_for(Client, moderator)
    url = reverse("sessions:cockpit", args=[running_session.pk])
    factor = running_session.factors.first()
    response = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="factor-nav",
                          HTTP_HX_CURRENT_URL=f"http://testserver{url}?factor={factor.pk}")
    html = response.content.decode()
    assert html.lstrip().startswith('<nav id="factor-nav"') and "<html" not in html


@pytest.mark.parametrize("view, target", [("cockpit", "factor-status"), ("notulist", "factor-summary")])
def test_a_refresh_brings_the_navigation_along_in_one_answer(running_session, moderator, view, target):
    """One request per screen per refresh: the status (cockpit) or summary (notulist) answers
    with the navigation as an out-of-band swap, showing the level just chosen; the navigation
    itself no longer fetches on its own."""
    factor = running_session.factors.order_by("position").first()
    factor.current_level = "gevorderd"
    factor.save()
    client = client_for(Client, moderator)
    url = reverse(f"sessions:{view}", args=[running_session.pk])
    html = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target,
                      HTTP_HX_CURRENT_URL=f"http://testserver{url}?factor={factor.pk}").content.decode()
    assert html.lstrip().startswith(f'<div id="{target}"') and "<html" not in html
    nav = html[html.index('<nav id="factor-nav"'):]
    assert 'hx-swap-oob="true"' in nav[:200] and "Gevorderd" in nav
    page = client.get(url, {"factor": factor.pk}).content.decode()
    nav_tag = page[page.index('<nav id="factor-nav"'):].split(">", 1)[0]
    assert "hx-trigger" not in nav_tag and "hx-swap-oob" not in nav_tag


def test_wrap_up_shows_levels_actions_and_chart(running_session, moderator):
    factor = running_session.factors.first()
    factor.current_level, factor.desired_level = "startend", "voldragen"
    factor.save()
    action = factor.action_points.first()
    action.text, action.owner, action.timeframe = "Coaches inzetten", "Marieke", "voor de zomer"
    action.save()
    html = client_for(Client, moderator).get(reverse("sessions:wrap_up", args=[running_session.pk])).content.decode()
    assert "Coaches inzetten" in html and "Marieke" in html and "voor de zomer" in html
    assert 'class="level-chart__current" cx="250" cy="36" r="9"' in html and 'class="level-chart__desired" cx="550" cy="36" r="5"' in html
    assert "Sessie afsluiten" in html


def test_snapshot_keeps_old_texts_after_catalogue_edits(running_session, moderator):
    factor = SuccessFactor.objects.get(code="maatwerk")
    old_main_question = factor.main_question
    factor.main_question = "Nieuwe hoofdvraag na een redactieronde"
    factor.save()
    SubQuestion.objects.filter(factor=factor, order=1).update(text="Nieuwe subvraag")
    LevelDescriptor.objects.filter(factor=factor, level="startend").update(text="Nieuwe beschrijving")
    session_factor = SessionFactor.objects.get(session=running_session, factor=factor)
    html = client_for(Client, moderator).get(
        reverse("sessions:cockpit", args=[running_session.pk]), {"factor": session_factor.pk}
    ).content.decode()
    assert old_main_question in html
    assert "Nieuwe hoofdvraag" not in html and "Nieuwe subvraag" not in html
    assert "Nieuwe beschrijving" not in html


def test_a_planned_session_takes_the_catalogue_as_it_is_at_the_start(scan_session, moderator):
    SuccessFactor.objects.filter(code="maatwerk").update(main_question="Bijgewerkte hoofdvraag")
    services.start_session(session=scan_session, user=moderator)
    sf = scan_session.factors.get(factor__code="maatwerk")
    assert sf.snapshot["main_question"] == "Bijgewerkte hoofdvraag"


@pytest.mark.parametrize("view", ["cockpit", "notulist", "wrap_up"])
def test_screens_use_a_constant_number_of_queries(view, initiative, moderator, notulist,
                                                  django_assert_max_num_queries):
    small = plan_session(initiative, moderator, notulist, codes=("maatwerk",))
    all_codes = list(SuccessFactor.objects.values_list("code", flat=True))
    large = plan_session(initiative, moderator, notulist, codes=all_codes)
    for session in (small, large):
        services.start_session(session=session, user=moderator)
    client = client_for(Client, moderator)
    # Warm up (the audit line of a first visit); measure a steady visit.
    for session in (small, large):
        client.get(reverse(f"sessions:{view}", args=[session.pk]))
    with django_assert_max_num_queries(12) as small_queries:
        client.get(reverse(f"sessions:{view}", args=[small.pk]))
    with django_assert_max_num_queries(12) as large_queries:
        client.get(reverse(f"sessions:{view}", args=[large.pk]))
    assert len(large_queries) == len(small_queries)


def test_sync_uses_a_constant_number_of_queries(initiative, moderator, notulist, django_assert_max_num_queries):
    all_codes = list(SuccessFactor.objects.values_list("code", flat=True))
    session = plan_session(initiative, moderator, notulist, codes=all_codes)
    client = client_for(Client, notulist)
    client.get(reverse("sessions:sync", args=[session.pk]), {"since": 0})
    session.refresh_from_db()
    with django_assert_max_num_queries(4):
        assert client.get(reverse("sessions:sync", args=[session.pk]), {"since": session.revision}).status_code == 204
    with django_assert_max_num_queries(8):
        assert client.get(reverse("sessions:sync", args=[session.pk]), {"since": 0}).status_code == 200


def test_the_clock_starts_when_the_session_starts_where_the_table_is(scan_session, moderator):
    client = client_for(Client, moderator)
    first, second = scan_session.factors.order_by("position")[:2]
    client.get(reverse("sessions:cockpit", args=[scan_session.pk]))  # only looking
    scan_session.refresh_from_db()
    assert scan_session.current_factor_id is None
    client.post(reverse("sessions:start", args=[scan_session.pk]))
    scan_session.refresh_from_db()
    # No one moved the table while preparing: it starts at the first factor, with its clock.
    assert scan_session.current_factor_id == first.pk and scan_session.current_factor_since
    html = client.get(reverse("sessions:cockpit", args=[scan_session.pk])).content.decode()
    assert 'data-timer-start=""' not in html
    # Moved while preparing: it starts there.
    other = plan_session(scan_session.initiative, moderator, scan_session.notulist)
    chosen = other.factors.order_by("position")[1]
    client.post(reverse("sessions:go_to_factor", args=[other.pk, chosen.pk]))
    client.post(reverse("sessions:start", args=[other.pk]))
    other.refresh_from_db()
    assert other.current_factor_id == chosen.pk and other.current_factor_since


def test_an_absurdly_long_initiative_description_is_refused(moderator):
    client = client_for(Client, moderator)
    response = client.post(reverse("sessions:initiative_create"),
                           {"name": "Te lang", "description": "x" * 20_001})
    assert response.status_code == 200
    assert "niet meer dan 20000 tekens" in response.content.decode()
    assert not Initiative.objects.filter(name="Te lang").exists()


def test_a_closed_session_shows_the_time_spent_standing_still(running_session, moderator):
    factor = running_session.factors.order_by("position").first()
    SessionFactor.objects.filter(pk=factor.pk).update(seconds_spent=7 * 60 + 5)
    services.close_session(session=running_session, user=moderator)
    html = client_for(Client, moderator).get(
        reverse("sessions:cockpit", args=[running_session.pk]), {"factor": factor.pk}
    ).content.decode()
    assert "07:05" in html and "Tijd besteed aan deze succesfactor" in html
    assert "data-timer-start" not in html  # the script does not run a clock any more


# --- Words and details --------------------------------------------------------------------------

def test_dates_use_dutch_month_names_everywhere(running_session, moderator, staff):
    """`j M Y` gave "3 Dec 2026"; every date says its month in Dutch words."""
    ScanSession.objects.filter(pk=running_session.pk).update(starts_at=at(2026, 3, 3, 14))
    autosave.save_field(session=running_session, key=f"session:{running_session.pk}:general_minutes",
                        values=["Notulen"], version=0, user=moderator)
    pages = [
        client_for(Client, moderator).get(reverse("sessions:list")).content.decode(),
        client_for(Client, staff).get(reverse("sessions:history", args=[running_session.pk])).content.decode(),
        client_for(Client, staff).get(reverse("reports:audit_log", args=[running_session.pk])).content.decode(),
    ]
    assert "3 maart 2026" in pages[0]
    month_abbreviations = re.compile(r"\b\d{1,2} (Jan|Feb|Mrt|Mar|Apr|Mei|May|Jun|Jul|Aug|Sep|Okt|Oct|Nov|Dec)\b")
    for html in pages:
        assert not month_abbreviations.search(html)
    today = date_format(timezone.localtime(), "j F Y")
    assert today in pages[1] and today in pages[2]


def test_the_session_tabs_are_named_alike_without_numbers(running_session, moderator):
    html = client_for(Client, moderator).get(reverse("sessions:detail", args=[running_session.pk])).content.decode()
    tabs = re.findall(r"<li><a href=\"[^\"]+\"(?: aria-current=\"page\")?>([^<]+)</a></li>",
                      html.split('class="tabs"')[1].split("</nav>")[0])
    assert tabs == ["Voorbereiding", "Scan (moderator)", "Notulen (notulist)", "Totaaloverzicht",
                    "Reflectie", "Presentatiescherm", "Telefoons"]


def test_the_500_page_is_styled_and_needs_no_request(rf):
    from django.template import loader

    html = loader.get_template("500.html").render()  # as Django's server_error renders it
    assert '<link rel="stylesheet" href="/static/css/actiescan.css">' in html
    assert settings.STATIC_URL == "/static/" and finders.find("css/actiescan.css")
    assert "<h1>Er ging iets mis</h1>" in html and 'class="site-header"' in html
    response = server_error(rf.get("/"))
    assert response.status_code == 500 and b"css/actiescan.css" in response.content


def test_the_login_lockout_admin_speaks_dutch(staff):
    client = client_for(Client, staff)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Inlogblokkades" in index and "Inlogpogingen" in index and "Mislukte inlogpogingen" in index
    assert "Access attempts" not in index and ">Axes<" not in index
    changelist = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "Tijdstip van de poging" in changelist and "Geblokkeerd" in changelist
