"""Taking part from a phone: joining with a short-lived, revocable join code (stored as a hash,
guessing rate-limited per client), following the moderator on the phone (page, poll and
stream), private marks with their spread, ideas for action points adopted through the
conflict-safe autosave, and purging names and ideas with the rest."""

import hashlib
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.management.commands.purge_expired import purge
from sessions import autosave, phones, services
from sessions.models import (
    ActionPoint,
    ActionProposal,
    JoinCode,
    JoinCodeFailure,
    Participant,
    ParticipantMark,
    PhoneParticipant,
    ScanSession,
    SessionFactor,
)

from .helpers import (
    EventStream,
    client_for,
    elsewhere,
    finalized_version,
    join_phone,
    make_join_code,
    plan_session,
    run_async,
    save,
)

pytestmark = pytest.mark.django_db


def phone_url(session, name="phone"):
    return reverse(f"sessions:{name}", args=[session.pk])


def joined(session, moderator, name="", code=None, **extra) -> Client:
    """A phone (its own browser) that joined the session's table."""
    client = Client(**extra)
    response = join_phone(client, code or make_join_code(session, moderator), name)
    assert response.status_code == 302 and response.url == phone_url(session), response.status_code
    return client


def state_of(client, session, since=-1) -> dict:
    response = client.get(phone_url(session, "phone_sync"), {"since": since})
    assert response.status_code == 200, response.status_code
    return response.json()


def current_factor(session) -> SessionFactor:
    session.refresh_from_db()
    return session.current_factor or session.factors.order_by("position").first()


def go_to(moderator_client, session, session_factor):
    response = moderator_client.post(reverse("sessions:go_to_factor", args=[session.pk, session_factor.pk]))
    assert response.status_code == 302


def round_action(client, session, session_factor, action):
    return client.post(reverse("sessions:mark_round", args=[session.pk, session_factor.pk]),
                       {"action": action})


def mark(client, session, session_factor, current="", desired="", json_answer=True):
    extra = {"HTTP_ACCEPT": "application/json"} if json_answer else {}
    return client.post(phone_url(session, "phone_mark"),
                       {"factor": session_factor.pk, "current": current, "desired": desired}, **extra)


def propose(client, session, session_factor, text, json_answer=True):
    extra = {"HTTP_ACCEPT": "application/json"} if json_answer else {}
    return client.post(phone_url(session, "phone_proposal"),
                       {"factor": session_factor.pk, "text": text}, **extra)


def voices(client, session, session_factor):
    return client.get(reverse("sessions:table_voices", args=[session.pk]), {"factor": session_factor.pk})


# --- Codes --------------------------------------------------------------------------------------


def test_the_moderator_makes_a_code_that_is_shown_once_with_its_qr_and_kept_as_a_hash(
        running_session, moderator, notulist, outsider):
    create = reverse("sessions:join_code_create", args=[running_session.pk])
    before = timezone.now()
    response = client_for(Client, moderator).post(create)
    assert response.status_code == 200
    html = response.content.decode()
    shown = re.search(r'<p class="join-code" role="status">([A-Z2-9]{4})-([A-Z2-9]{4})</p>', html)
    assert shown, "the new code is shown to its maker"
    plain = shown.group(1) + shown.group(2)
    assert 'src="data:image/svg+xml' in html and "QR-code die meedoen opent met code" in html
    code = JoinCode.objects.get(session=running_session)
    assert code.created_by == moderator
    assert code.code_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in json.dumps(list(JoinCode.objects.values()), default=str)
    assert timedelta(hours=5, minutes=59) < code.expires_at - before <= timedelta(hours=6, seconds=5)
    # Never again: the page of codes lists it without the code itself.
    page = client_for(Client, moderator).get(reverse("sessions:join_codes", args=[running_session.pk]))
    assert page.status_code == 200 and shown.group(1) not in page.content.decode()
    assert join_phone(Client(), plain.lower()).status_code == 302

    assert client_for(Client, notulist).post(create).status_code == 403
    assert client_for(Client, outsider).post(create).status_code == 404
    assert JoinCode.objects.count() == 1


def test_a_phone_joins_with_a_first_name_or_anonymously(running_session, moderator):
    code = make_join_code(running_session, moderator)
    anna = joined(running_session, moderator, name="  Anna  ", code=f" {code.lower()} ")
    anonymous = joined(running_session, moderator, code=code)
    assert sorted(PhoneParticipant.objects.values_list("name", flat=True)) == ["", "Anna"]
    assert state_of(anna, running_session)["name"] == "Anna"
    assert state_of(anonymous, running_session)["name"] == ""
    assert "u doet anoniem mee" in anonymous.get(phone_url(running_session)).content.decode()
    # The same browser joining again keeps its place (and its marks).
    assert join_phone(anna, code, "").status_code == 302
    assert PhoneParticipant.objects.count() == 2
    assert PhoneParticipant.objects.filter(name="Anna").exists()


def test_a_name_that_is_too_long_or_not_a_name_is_refused_in_dutch(running_session, moderator):
    code = make_join_code(running_session, moderator)
    response = join_phone(Client(), code, "A" * 41)
    assert response.status_code == 400 and "hoogstens 40 tekens" in response.content.decode()
    response = join_phone(Client(), code, "Anna\x07")
    assert response.status_code == 400 and "ongeldig teken" in response.content.decode()
    assert not PhoneParticipant.objects.exists()


def test_the_table_takes_at_most_the_limit_of_phones(running_session, moderator, settings):
    settings.ACTIESCAN_PHONES_PER_TABLE = 2
    code = make_join_code(running_session, moderator)
    first = joined(running_session, moderator, code=code)
    joined(running_session, moderator, code=code)
    response = join_phone(Client(), code)
    assert response.status_code == 400
    assert "al 2 telefoons mee" in unescape(response.content.decode())
    assert PhoneParticipant.objects.count() == 2
    # A phone that stops frees its seat; a phone already at the table is never refused.
    assert join_phone(first, code).status_code == 302
    first.post(reverse("sessions:phone_leave"))
    assert join_phone(Client(), code).status_code == 302


def test_a_code_runs_out_and_the_phones_that_joined_with_it_with_it(running_session, moderator):
    phone = joined(running_session, moderator)
    JoinCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = phone.get(phone_url(running_session))
    assert response.status_code == 302 and response.url == reverse("sessions:phone_enter")
    answer = phone.get(phone_url(running_session, "phone_sync"), {"since": -1})
    assert answer.status_code == 403 and answer.json()["error"] == "revoked"
    factor = current_factor(running_session)
    assert propose(phone, running_session, factor, "Een idee").status_code == 403
    assert not ActionProposal.objects.exists()


def test_revoking_a_code_shuts_out_its_phones_only(running_session, moderator, notulist):
    old_phone = joined(running_session, moderator)
    new_phone = joined(running_session, moderator)
    old, new = JoinCode.objects.order_by("pk")
    PhoneParticipant.objects.filter(pk=PhoneParticipant.objects.order_by("pk").last().pk).update(join_code=new)
    revoke = reverse("sessions:join_code_revoke", args=[running_session.pk, old.pk])
    assert client_for(Client, notulist).post(revoke).status_code == 403
    revision = ScanSession.objects.get(pk=running_session.pk).revision
    assert client_for(Client, moderator).post(revoke).status_code == 302
    old.refresh_from_db()
    assert old.revoked_at is not None
    # The session moved on, so open streams wake up and find out.
    assert ScanSession.objects.get(pk=running_session.pk).revision == revision + 1
    assert old_phone.get(phone_url(running_session, "phone_sync")).status_code == 403
    assert new_phone.get(phone_url(running_session, "phone_sync")).status_code == 200
    fragment = old_phone.get(phone_url(running_session), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="phone-body")
    assert "U doet niet meer mee" in fragment.content.decode()


def test_wrong_codes_are_rate_limited_per_client_and_a_valid_code_always_opens(
        running_session, moderator, settings):
    settings.ACTIESCAN_JOIN_CODE_MAX_FAILURES = 3
    code = make_join_code(running_session, moderator)
    client = Client()
    old = JoinCodeFailure.objects.create(fingerprint="x" * 32, at=timezone.now() - timedelta(days=2))
    for attempt in ("AAAA-AAAA", "BBBB-BBBB", "hallo"):
        assert join_phone(client, attempt).status_code == 400
    assert JoinCodeFailure.objects.count() == 3
    assert not JoinCodeFailure.objects.filter(pk=old.pk).exists()
    response = join_phone(client, "CCCC-CCCC")
    assert response.status_code == 429 and "te veel foute codes" in response.content.decode()
    assert JoinCodeFailure.objects.count() == 3
    # The table's own code opens, however many wrong ones came from this address (a workshop
    # behind one address must not be locked out by one person's typos).
    assert join_phone(client, code).status_code == 302
    assert client.get(phone_url(running_session)).status_code == 200
    other_address = Client(REMOTE_ADDR="10.1.2.3")
    assert join_phone(other_address, "CCCC-CCCC").status_code == 400


def test_a_closed_session_cannot_be_joined(running_session, moderator):
    code = make_join_code(running_session, moderator)
    services.close_session(session=running_session, user=moderator)
    response = join_phone(Client(), code)
    assert response.status_code == 400 and "al afgelopen" in response.content.decode()
    assert not PhoneParticipant.objects.exists()


# --- Access and what a phone sees -------------------------------------------------------------


def test_a_phone_sees_only_its_own_session(running_session, moderator, notulist, initiative):
    other = plan_session(initiative, moderator, notulist)
    services.start_session(session=other, user=moderator)
    phone = joined(running_session, moderator)
    other_factor = other.factors.first()
    response = phone.get(phone_url(other))
    assert response.status_code == 302 and response.url == reverse("sessions:phone_enter")
    assert phone.get(phone_url(other, "phone_sync")).status_code == 403
    assert mark(phone, other, other_factor, "startend").status_code == 403
    assert propose(phone, other, other_factor, "Elders").status_code == 403
    # A factor of another session, posted to one's own session, is not found.
    assert propose(phone, running_session, other_factor, "Elders").status_code == 404
    assert not ActionProposal.objects.exists() and not ParticipantMark.objects.exists()
    # Without joining: nothing at all.
    assert Client().get(phone_url(running_session, "phone_sync")).status_code == 403
    assert Client().get(phone_url(running_session)).url == reverse("sessions:phone_enter")


SECRETS = {
    "minutes": "GEHEIM-NOTULEN", "rationale": "GEHEIM-TOELICHTING", "general": "GEHEIM-ALGEMEEN",
    "action": "GEHEIM-ACTIEPUNT", "owner": "GEHEIM-TREKKER", "participant": "GEHEIM-DEELNEMER",
    "other_phone": "GEHEIMNAAM",
}


def fill_minutes(session, moderator):
    factor = current_factor(session)
    action = factor.action_points.get(position=1)
    for key, value in (
        (f"factor:{factor.pk}:minutes", SECRETS["minutes"]),
        (f"factor:{factor.pk}:rationale", SECRETS["rationale"]),
        (f"session:{session.pk}:general_minutes", SECRETS["general"]),
        (f"action:{action.pk}:text", SECRETS["action"]),
        (f"action:{action.pk}:owner", SECRETS["owner"]),
    ):
        autosave.save_field(session=session, key=key, values=[value], version=0, user=moderator)
    Participant.objects.create(session=session, name=SECRETS["participant"], role="representant")
    return factor


def assert_no_minutes(text: str, label: str):
    for name, secret in SECRETS.items():
        assert secret not in text, (label, name)


def test_no_minutes_in_any_phone_payload(running_session, moderator):
    factor = fill_minutes(running_session, moderator)
    code = make_join_code(running_session, moderator)
    other = joined(running_session, moderator, name=SECRETS["other_phone"], code=code)
    propose(other, running_session, factor, "Idee van een ander")
    phone = joined(running_session, moderator, code=code)
    round_action(client_for(Client, moderator), running_session, factor, "open")
    mark(other, running_session, factor, "gevorderd", "voldragen")

    page = phone.get(phone_url(running_session)).content.decode()
    fragment = phone.get(phone_url(running_session), HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="phone-body").content.decode()
    state = state_of(phone, running_session)
    answers = [mark(phone, running_session, factor, "startend").content.decode(),
               propose(phone, running_session, factor, "Mijn idee").content.decode()]
    for label, text in (("page", page), ("fragment", fragment), ("sync", json.dumps(state)),
                        ("mark", answers[0]), ("proposal", answers[1])):
        assert_no_minutes(text, label)
        assert "Idee van een ander" not in text, label
    # What it does carry: the factor's catalogue texts and the phone's own mark and idea.
    snapshot = factor.snapshot
    assert state["phase"] == "factor" and state["factor"]["id"] == factor.pk
    assert state["factor"]["definition"] == snapshot["definition"]
    assert state["factor"]["main_question"] == snapshot["main_question"]
    assert state["factor"]["sub_questions"] == snapshot["sub_questions"]
    assert [level["text"] for level in state["factor"]["levels"]] == [
        snapshot["levels"][value] for value in ("startend", "gevorderd", "voldragen")]
    after = state_of(phone, running_session)
    assert after["marks"] == {"open": True, "current": "startend", "desired": ""}
    assert after["proposals"] == [{"text": "Mijn idee", "adopted_into": None}]
    assert set(after) == {"revision", "phase", "initiative", "name", "factor", "preparation",
                          "marks", "proposals", "key"}
    assert snapshot["main_question"][1:] in unescape(page)


@pytest.mark.django_db(transaction=True)
def test_the_stream_sends_the_phone_state_without_minutes_and_ends_when_closed(running_session, moderator):
    factor = fill_minutes(running_session, moderator)
    phone = joined(running_session, moderator)
    first, second = running_session.factors.order_by("position")[:2]
    mod = client_for(Client, moderator)
    go_to(mod, running_session, first)
    running_session.refresh_from_db()

    async def scenario():
        stream = await EventStream(phone_url(running_session, "phone_stream"),
                                   phone.cookies["sessionid"].value,
                                   since=running_session.revision).start()
        ready = await stream.next_event()
        # Typed text moves the revision but changes nothing a phone shows: no event.
        await elsewhere(save, mod, running_session, f"factor:{factor.pk}:minutes", "Meer notulen", 1)
        await elsewhere(go_to, mod, running_session, second)
        moved = await stream.next_event()
        await elsewhere(lambda: services.close_session(
            session=ScanSession.objects.get(pk=running_session.pk), user=moderator))
        denied = await stream.next_event()
        end = await stream.next_event(timeout=2)
        return stream.status, ready, moved, denied, end

    status, ready, moved, denied, end = run_async(scenario)
    assert status == 200 and ready["event"] == "ready"
    assert moved["event"] == "message"
    data = json.loads(moved["data"])
    assert data["phase"] == "factor" and data["factor"]["id"] == second.pk
    assert data["factor"]["title"] == second.title
    assert_no_minutes(moved["data"], "stream")
    assert "Meer notulen" not in moved["data"]
    assert denied["event"] == "denied" and json.loads(denied["data"]) == {"error": "ended"}
    assert end == {}


@pytest.mark.django_db(transaction=True)
def test_the_stream_tells_the_phone_when_the_question_opens_and_its_idea_is_adopted(
        running_session, moderator):
    # Starting put the table at the first factor: the phones show it, and follow what happens
    # to it.
    first = running_session.factors.order_by("position").first()
    assert running_session.current_factor_id == first.pk
    phone = joined(running_session, moderator)
    propose(phone, running_session, first, "Mijn idee")
    mod = client_for(Client, moderator)
    running_session.refresh_from_db()

    async def scenario():
        stream = await EventStream(phone_url(running_session, "phone_stream"),
                                   phone.cookies["sessionid"].value,
                                   since=running_session.revision).start()
        await stream.next_event()  # ready
        await elsewhere(round_action, mod, running_session, first, "open")
        opened = await stream.next_event()
        await elsewhere(lambda: adopt(mod, running_session, ActionProposal.objects.get(), 2))
        adopted = await stream.next_event()
        await stream.close()
        return opened, adopted

    opened, adopted = run_async(scenario)
    assert json.loads(opened["data"])["marks"] == {"open": True, "current": "", "desired": ""}
    assert json.loads(adopted["data"])["proposals"] == [{"text": "Mijn idee", "adopted_into": 2}]


@pytest.mark.django_db(transaction=True)
def test_a_revoked_code_ends_the_stream(running_session, moderator):
    phone = joined(running_session, moderator)
    running_session.refresh_from_db()

    async def scenario():
        stream = await EventStream(phone_url(running_session, "phone_stream"),
                                   phone.cookies["sessionid"].value,
                                   since=running_session.revision).start()
        await stream.next_event()  # ready
        await elsewhere(lambda: phones.revoke_code(code=JoinCode.objects.get()))
        return await stream.next_event(), await stream.next_event(timeout=2)

    denied, end = run_async(scenario)
    assert denied["event"] == "denied" and json.loads(denied["data"]) == {"error": "revoked"}
    assert end == {}


@pytest.mark.django_db(transaction=True)
def test_a_browser_that_did_not_join_gets_no_stream(running_session):
    async def scenario():
        stream = await EventStream(phone_url(running_session, "phone_stream"), "none", since=0).start()
        body = await stream.communicator.receive_output(5)
        return stream.status, body["body"]

    status, body = run_async(scenario)
    assert status == 403 and json.loads(body)["error"] == "revoked"


def test_after_closing_the_phone_shows_only_that_it_ended(running_session, moderator):
    fill_minutes(running_session, moderator)
    phone = joined(running_session, moderator)
    title = current_factor(running_session).title
    assert title in phone.get(phone_url(running_session)).content.decode()
    services.close_session(session=running_session, user=moderator)
    page = phone.get(phone_url(running_session))
    html = page.content.decode()
    assert page.status_code == 200 and "Het gesprek is afgelopen" in html
    assert title not in html and running_session.initiative.name not in html
    assert_no_minutes(html, "closed page")
    answer = phone.get(phone_url(running_session, "phone_sync"), {"since": -1})
    assert answer.status_code == 403 and answer.json()["error"] == "ended"


def test_before_the_start_the_phone_shows_the_preparation(scan_session, moderator):
    phone = joined(scan_session, moderator)
    state = state_of(phone, scan_session)
    assert state["phase"] == "preparing" and state["factor"] is None
    titles = [sf.title for sf in scan_session.factors.order_by("position")]
    assert [f["title"] for f in state["preparation"]] == titles
    html = unescape(phone.get(phone_url(scan_session)).content.decode())
    assert "Eerst 5 minuten voorbereiding" in html and "Zo werkt het scoren" in html
    assert all(title in html for title in titles)
    assert "geen toets of benchmark" in html


def test_the_phone_follows_the_moderator_and_the_wrap_up(running_session, moderator):
    phone = joined(running_session, moderator)
    mod = client_for(Client, moderator)
    first, second, _third = running_session.factors.order_by("position")
    go_to(mod, running_session, second)
    state = state_of(phone, running_session)
    assert state["factor"]["id"] == second.pk and state["factor"]["position"] == 2
    assert state["factor"]["total"] == 3
    # Nothing changed: 204, as the live poll protocol says.
    assert phone.get(phone_url(running_session, "phone_sync"), {"since": state["revision"]}).status_code == 204
    mod.post(reverse("sessions:go_to_wrap_up", args=[running_session.pk]))
    wrap_up = state_of(phone, running_session, state["revision"])
    assert wrap_up["phase"] == "wrap_up" and wrap_up["factor"] is None
    assert wrap_up["key"] != state["key"]


# --- Private marks and their spread -------------------------------------------------------------


def test_marks_are_one_per_phone_per_factor_and_only_while_open(running_session, moderator, notulist):
    factor = current_factor(running_session)
    phone = joined(running_session, moderator)
    mod = client_for(Client, moderator)
    response = mark(phone, running_session, factor, "gevorderd", "voldragen")
    assert response.status_code == 400 and "gesloten" in response.json()["message"]
    # Opening "wat denken jullie?" is the moderator's (or staff's), by POST.
    assert round_action(client_for(Client, notulist), running_session, factor, "open").status_code == 403
    revision = ScanSession.objects.get(pk=running_session.pk).revision
    assert round_action(mod, running_session, factor, "open").status_code == 302
    assert ScanSession.objects.get(pk=running_session.pk).revision == revision + 1
    assert state_of(phone, running_session)["marks"]["open"] is True
    assert mark(phone, running_session, factor, "startend", "gevorderd").status_code == 200
    assert mark(phone, running_session, factor, "gevorderd", "voldragen").status_code == 200
    assert list(ParticipantMark.objects.values_list("current_level", "desired_level")) == [
        ("gevorderd", "voldragen")]
    assert mark(phone, running_session, factor, "heel-goed", "").status_code == 400
    assert mark(phone, running_session, factor, "", "").status_code == 400
    round_action(mod, running_session, factor, "close")
    assert mark(phone, running_session, factor, "startend", "").status_code == 400
    assert list(ParticipantMark.objects.values_list("current_level", flat=True)) == ["gevorderd"]
    # Marks do not move the session on: the other screens need not reload for them.
    assert ScanSession.objects.get(pk=running_session.pk).revision == revision + 2
    html = phone.get(phone_url(running_session)).content.decode()
    assert "Uw eigen inschatting" in html and 'name="current"' not in html


def test_without_javascript_a_mark_posts_and_comes_back(running_session, moderator):
    factor = current_factor(running_session)
    phone = joined(running_session, moderator)
    round_action(client_for(Client, moderator), running_session, factor, "open")
    response = mark(phone, running_session, factor, "startend", "voldragen", json_answer=False)
    assert response.status_code == 302 and response.url == phone_url(running_session)
    page = phone.get(response.url).content.decode()
    assert "Uw inschatting is bewaard" in page
    assert re.search(r'name="current" value="startend" checked', page)


def spread_section(html: str) -> str:
    return unescape(html.split('id="voices-marks-title"', 1)[1].split('id="voices-proposals-title"', 1)[0])


def test_the_spread_shows_counts_without_names_from_three_marks_or_when_revealed(
        running_session, moderator, notulist):
    factor = current_factor(running_session)
    mod = client_for(Client, moderator)
    round_action(mod, running_session, factor, "open")
    code = make_join_code(running_session, moderator)
    names = ["Anna", "Bram", "Carla"]
    phones_ = [joined(running_session, moderator, name=name, code=code) for name in names]
    mark(phones_[0], running_session, factor, "startend", "gevorderd")
    mark(phones_[1], running_session, factor, "gevorderd", "voldragen")
    section = spread_section(voices(mod, running_session, factor).content.decode())
    assert "2 telefoons hebben gekozen" in section and "nog 1 kiest" in section
    assert "<table" not in section and "Spreiding toch tonen" in section

    mark(phones_[2], running_session, factor, "gevorderd", "voldragen")
    page = voices(client_for(Client, notulist), running_session, factor).content.decode()
    section = spread_section(page)
    assert "Eigen inschattingen van 3 tafelleden" in section
    rows = re.findall(r'<th scope="row">(\w+)</th>\s*<td><span class="spread__count">(\d+)</span>.*?'
                      r'<span class="spread__count">(\d+)</span>', section, re.S)
    assert rows == [("Startend", "1", "0"), ("Gevorderd", "2", "1"), ("Voldragen", "0", "2")]
    assert "De tafel kiest samen één niveau." in section and "geen stemming en geen benchmark" in section
    assert not any(name in section for name in names)
    # The notulist sees it but does not run it.
    assert "Vraag sluiten" not in section

    spread = phones.mark_spread(factor)
    assert (spread.count, spread.visible) == (3, True)


def test_the_moderator_may_reveal_a_spread_of_fewer_than_three(running_session, moderator):
    factor = current_factor(running_session)
    mod = client_for(Client, moderator)
    round_action(mod, running_session, factor, "open")
    mark(joined(running_session, moderator), running_session, factor, "startend", "gevorderd")
    assert "<table" not in spread_section(voices(mod, running_session, factor).content.decode())
    round_action(mod, running_session, factor, "reveal")
    section = spread_section(voices(mod, running_session, factor).content.decode())
    assert "Eigen inschattingen van 1 tafellid" in section
    assert round_action(mod, running_session, factor, "stemmen").status_code == 302
    assert SessionFactor.objects.get(pk=factor.pk).marks_revealed


def test_the_fragment_answers_204_while_nothing_changed(running_session, moderator):
    factor = current_factor(running_session)
    mod = client_for(Client, moderator)
    fragment = mod.get(reverse("sessions:table_voices", args=[running_session.pk]),
                       {"factor": factor.pk}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="table-voices")
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="table-voices"')
    seen = re.search(r"seen=(\w+)", html).group(1)
    again = mod.get(reverse("sessions:table_voices", args=[running_session.pk]),
                    {"factor": factor.pk, "seen": seen}, HTTP_HX_REQUEST="true")
    assert again.status_code == 204
    propose(joined(running_session, moderator), running_session, factor, "Nieuw idee")
    changed = mod.get(reverse("sessions:table_voices", args=[running_session.pk]),
                      {"factor": factor.pk, "seen": seen}, HTTP_HX_REQUEST="true")
    assert changed.status_code == 200 and "Nieuw idee" in changed.content.decode()


def test_the_present_screen_shows_the_spread_only_when_the_moderator_chooses(running_session, moderator):
    from sessions import present

    factor = current_factor(running_session)
    mod = client_for(Client, moderator)
    services.set_current_factor(session=running_session, session_factor=factor)
    round_action(mod, running_session, factor, "open")
    code = make_join_code(running_session, moderator)
    for current in ("startend", "gevorderd", "gevorderd"):
        mark(joined(running_session, moderator, code=code), running_session, factor, current, "voldragen")
    screen = Client()
    present_code = present.create_code(session=running_session, user=moderator)
    screen.post(reverse("sessions:present_enter"), {"code": present_code.code})
    url = reverse("sessions:present_spread", args=[running_session.pk])
    assert "<table" not in screen.get(url).content.decode()
    assert "present-spread" not in screen.get(reverse("sessions:present", args=[running_session.pk])).content.decode()
    round_action(mod, running_session, factor, "show")
    page = screen.get(reverse("sessions:present", args=[running_session.pk])).content.decode()
    assert f'hx-get="{url}"' in page
    html = unescape(screen.get(url).content.decode())
    assert "Wat denkt de tafel?" in html and "dit is geen stemming" in html
    assert re.search(r"Hier staan we nu</th><td>1</td><td>2</td><td>0</td>", html)
    round_action(mod, running_session, factor, "hide")
    assert "<table" not in screen.get(url).content.decode()
    # Whoever may not see the screen gets nothing.
    assert "<table" not in Client().get(url).content.decode()


def test_the_wrap_up_and_the_advice_editor_show_the_spread(running_session, moderator, notulist):
    factor = current_factor(running_session)
    mod = client_for(Client, moderator)
    round_action(mod, running_session, factor, "open")
    code = make_join_code(running_session, moderator)
    for current in ("startend", "gevorderd", "gevorderd"):
        mark(joined(running_session, moderator, code=code), running_session, factor, current, "voldragen")
    page = mod.get(reverse("sessions:mark_spreads", args=[running_session.pk]),
                   HTTP_HX_REQUEST="true", HTTP_HX_TARGET="mark-spreads")
    html = unescape(page.content.decode())
    assert html.lstrip().startswith('<section id="mark-spreads"')
    assert factor.title in html and "Eigen inschattingen van 3 tafelleden" in html
    assert "tenzij de notulist het overneemt" in html
    version = finalized_version(running_session, moderator, notulist)
    # Not in the advice by itself; beside its section, for the notulist to take over.
    assert "inschatting" not in json.dumps(version.content)
    editor = unescape(client_for(Client, notulist).get(reverse("reports:advice", args=[running_session.pk]))
                      .content.decode())
    assert "Eigen inschattingen van 3 tafelleden. Nu: startend 1, gevorderd 2. Naartoe: voldragen 3." in editor


# --- Ideas for action points ------------------------------------------------------------------


def test_ideas_are_short_plain_text_limited_per_phone_and_escaped_everywhere(running_session, moderator):
    factor = current_factor(running_session)
    phone = joined(running_session, moderator, name="<b>Anna</b>")
    mod = client_for(Client, moderator)
    assert propose(phone, running_session, factor, "   ").status_code == 400
    too_long = propose(phone, running_session, factor, "x" * 281)
    assert too_long.status_code == 400 and "te lang: 281 tekens" in too_long.json()["message"]
    assert propose(phone, running_session, factor, "a\x00b").status_code == 400
    script = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    assert propose(phone, running_session, factor, script).status_code == 200
    for n in range(4):
        assert propose(phone, running_session, factor, f"Idee {n}").status_code == 200
    sixth = propose(phone, running_session, factor, "Nog een")
    assert sixth.status_code == 400 and "al 5 voorstellen" in sixth.json()["message"]
    assert ActionProposal.objects.count() == 5
    for label, html in (
        ("moderator", voices(mod, running_session, factor).content.decode()),
        ("phone", phone.get(phone_url(running_session)).content.decode()),
    ):
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Anna</b>" not in html, label
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in html, label
    assert "&lt;b&gt;Anna&lt;/b&gt;" in voices(mod, running_session, factor).content.decode()


def test_without_javascript_a_refused_idea_keeps_its_text(running_session, moderator):
    factor = current_factor(running_session)
    phone = joined(running_session, moderator)
    response = propose(phone, running_session, factor, "Te lang " * 40, json_answer=False)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Uw voorstel is te lang" in html and ("Te lang " * 40).strip() in html


def adopt(client, session, proposal, position):
    return client.post(reverse("sessions:proposal_adopt", args=[session.pk, proposal.pk]),
                       {"position": position})


def test_an_idea_is_adopted_into_an_empty_point_or_added_below_the_text(running_session, moderator, notulist):
    factor = current_factor(running_session)
    phone = joined(running_session, moderator, name="Anna")
    mod = client_for(Client, moderator)
    propose(phone, running_session, factor, "Maandelijks een open spreekuur")
    propose(phone, running_session, factor, "Een leerwerkloket in de bibliotheek")
    first, second = ActionProposal.objects.order_by("pk")
    point1, point2 = factor.action_points.order_by("position")
    assert adopt(client_for(Client, notulist), running_session, first, 1).status_code == 403
    assert adopt(mod, running_session, first, 1).status_code == 302
    point1.refresh_from_db()
    assert (point1.text, point1.text_version) == ("Maandelijks een open spreekuur", 1)
    # The notulist typed in action point 2 a moment ago: the idea goes below, nothing replaced.
    save(client_for(Client, notulist), running_session, f"action:{point2.pk}:text", "Getypt door Fatima", 0)
    assert adopt(mod, running_session, second, 2).status_code == 302
    point2.refresh_from_db()
    assert point2.text == "Getypt door Fatima\n\nEen leerwerkloket in de bibliotheek"
    assert point2.text_version == 2
    # Adopting again adds nothing twice.
    assert adopt(mod, running_session, second, 2).status_code == 302
    point2.refresh_from_db()
    assert point2.text_version == 2
    # The adoption is a normal save: in the history, by the moderator.
    history = running_session.revisions.filter(field=f"action:{point2.pk}:text").order_by("pk")
    assert [(r.value, r.author_id) for r in history] == [
        ("Getypt door Fatima", notulist.pk),
        ("Getypt door Fatima\n\nEen leerwerkloket in de bibliotheek", moderator.pk)]
    # The phone hears it; the moderator's list marks it.
    assert [p["adopted_into"] for p in state_of(phone, running_session)["proposals"]] == [1, 2]
    assert "in actiepunt 2" in voices(mod, running_session, factor).content.decode()
    assert adopt(mod, running_session, first, 3).status_code == 302
    assert "bestaat niet" in mod.get(reverse("sessions:table_voices", args=[running_session.pk])).content.decode()
    # From the side panel (htmx), the answer is the panel itself, with the reason in it.
    refused = mod.post(reverse("sessions:proposal_adopt", args=[running_session.pk, first.pk]),
                       {"position": 3}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert refused.content.decode().lstrip().startswith('<section id="table-voices"')
    assert 'role="alert">Dit actiepunt bestaat niet.' in refused.content.decode()


def test_adopting_is_conflict_safe_against_a_save_in_between(running_session, moderator, monkeypatch):
    """A save that lands between reading the point and storing the idea: the idea is added to
    that newer text, never over it."""
    factor = current_factor(running_session)
    phone = joined(running_session, moderator)
    propose(phone, running_session, factor, "Het idee")
    proposal = ActionProposal.objects.get()
    point = factor.action_points.get(position=1)
    real_read, real_save = services.stored_action_fields, services.save_field
    versions = []

    def read_then_someone_types(action):
        stored = real_read(action)
        if not versions:
            autosave.save_field(session=running_session, key=f"action:{point.pk}:text",
                                values=["Net getypt"], version=0, user=moderator)
        return stored

    def save(**kwargs):
        versions.append(kwargs["version"])
        return real_save(**kwargs)

    monkeypatch.setattr(phones, "stored_action_fields", read_then_someone_types)
    monkeypatch.setattr(services, "save_field", save)
    phones.adopt_proposal(session=running_session, proposal=proposal, position=1, user=moderator)
    point.refresh_from_db()
    assert point.text == "Net getypt\n\nHet idee"
    assert versions == [0, 1]  # refused once (409 on the old version), then added to the newer text


def test_an_idea_is_put_aside_and_nothing_is_adopted_after_closing(running_session, moderator):
    factor = current_factor(running_session)
    phone = joined(running_session, moderator)
    propose(phone, running_session, factor, "Weg ermee")
    propose(phone, running_session, factor, "Te laat")
    aside, late = ActionProposal.objects.order_by("pk")
    mod = client_for(Client, moderator)
    mod.post(reverse("sessions:proposal_dismiss", args=[running_session.pk, aside.pk]))
    html = voices(mod, running_session, factor).content.decode()
    assert "Weg ermee" not in html and "Te laat" in html
    services.close_session(session=running_session, user=moderator)
    adopt(mod, running_session, late, 1)
    assert ActionPoint.objects.get(session_factor=factor, position=1).text == ""
    assert ActionProposal.objects.get(pk=late.pk).adopted_into is None


def test_the_moderator_sees_who_is_at_the_table_and_may_remove_a_phone(running_session, moderator, notulist):
    code = make_join_code(running_session, moderator)
    phone = joined(running_session, moderator, name="Bram", code=code)
    participant = PhoneParticipant.objects.get()
    page = client_for(Client, notulist).get(reverse("sessions:join_codes", args=[running_session.pk]))
    assert "Aan tafel: 1 van 30 telefoons" in page.content.decode() and "Bram" in page.content.decode()
    remove = reverse("sessions:phone_remove", args=[running_session.pk, participant.pk])
    assert client_for(Client, notulist).post(remove).status_code == 403
    assert client_for(Client, moderator).post(remove).status_code == 302
    assert phone.get(phone_url(running_session, "phone_sync")).status_code == 403


# --- Purge --------------------------------------------------------------------------------------


def test_purge_removes_phone_names_ideas_and_codes_and_keeps_the_anonymous_spread(
        running_session, moderator, notulist):
    factor = current_factor(running_session)
    round_action(client_for(Client, moderator), running_session, factor, "open")
    code = make_join_code(running_session, moderator)
    for name in ("Anna", "Bram", ""):
        phone = joined(running_session, moderator, name=name, code=code)
        mark(phone, running_session, factor, "gevorderd", "voldragen")
        propose(phone, running_session, factor, f"Idee van {name or 'iemand'}")
    JoinCodeFailure.objects.create(fingerprint="f" * 32, at=timezone.now() - timedelta(days=2))
    finalized_version(running_session, moderator, notulist)
    counts = purge([running_session.pk], timezone.now())
    assert counts["phone_names"] == 2 and counts["proposals"] == 3 and counts["join_codes"] == 1
    assert set(PhoneParticipant.objects.values_list("name", flat=True)) == {""}
    assert not ActionProposal.objects.exists() and not JoinCode.objects.exists()
    assert phones.mark_spread(factor).count == 3
    assert purge([running_session.pk], timezone.now())["phone_names"] == 0
    call_command("purge_expired", stdout=open("/dev/null", "w"))
    assert not JoinCodeFailure.objects.exists()


def test_the_phone_state_costs_a_fixed_number_of_queries(running_session, moderator):
    phone = joined(running_session, moderator)
    participant = PhoneParticipant.objects.get()
    with CaptureQueriesContext(connection) as queries:
        found = phones.phone_for_stream(participant.pk, running_session.pk)
        phones.phone_state(found)
    assert len(queries) <= 4, "\n".join(q["sql"] for q in queries)
    assert phone.get(phone_url(running_session)).status_code == 200
