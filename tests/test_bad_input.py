"""The bad-input battery: whatever a browser, a proxy or a curious user sends to a form or a save
endpoint, the answer is a 4xx with a clear Dutch message (or the form again with its errors),
never a 500, and nothing is stored wrongly."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from reports import services as advice_services
from reports.models import Advice, AdviceSection, ShareLink
from sessions import autosave, services
from sessions.models import (
    ActionPoint,
    FieldRevision,
    Initiative,
    Participant,
    RevisionKind,
    ScanSession,
    SessionFactor,
)

from . import hostile
from .helpers import client_for, plan_session

FORM = "application/x-www-form-urlencoded"


def save(client, session, data, *, url_name="sessions:save"):
    return client.post(reverse(url_name, args=[session.pk]), data, HTTP_ACCEPT="application/json")


def stored_texts(session):
    """Everything typed into a session, to compare before and after a refused request."""
    return (
        list(ScanSession.objects.filter(pk=session.pk).values_list(
            "general_minutes", "choice_rationale", "wrap_up_notes", "notulist_checked", "revision")),
        list(SessionFactor.objects.filter(session=session).order_by("pk").values_list(
            "minutes", "rationale", "current_level", "desired_level", "discussed", "minutes_version")),
        list(ActionPoint.objects.filter(session_factor__session=session).order_by("pk").values_list(
            "text", "owner", "timeframe")),
        FieldRevision.objects.filter(session=session).count(),
    )


# --- The autosave endpoint of a session -----------------------------------------------------------

# (field key template, values, version, status, words in the Dutch message)
SESSION_SAVE_CASES = [
    ("factor:{f}:minutes", ["x" * 50_001], "0", 400, "te lang"),
    ("action:{a}:owner", ["x" * 201], "0", 400, "te lang"),
    ("action:{a}:timeframe", ["x" * 201], "0", 400, "maximum is 200"),
    ("factor:{f}:minutes", ["nul\x00byte"], "0", 400, "ongeldig teken"),
    ("factor:{f}:current_level", ["expert"], None, 400, "Kies startend, gevorderd of voldragen"),
    ("factor:{f}:desired_level", ["<script>alert(1)</script>"], None, 400, "Kies startend"),
    ("factor:{f}:current_level", ["Gevorderd "], None, 400, "Kies startend"),
    ("factor:{f}:discussed", ["abc"], None, 400, "Ongeldige subvraag"),
    ("factor:{f}:discussed", ["-1"], None, 400, "Ongeldige subvraag"),
    ("factor:{f}:discussed", ["51"], None, 400, "Ongeldige subvraag"),
    ("factor:{f}:discussed", ["²"], None, 400, "Ongeldige subvraag"),
    ("session:{s}:notulist_checked", ["misschien"], None, 400, "Ongeldige waarde"),
    ("factor:{f}:password", ["x"], "0", 400, "Onbekend veld"),
    ("factor:{f}:minutes_version", ["99"], "0", 400, "Onbekend veld"),
    ("factor:²:minutes", ["x"], "0", 400, "Onbekend veld"),
    ("factor::minutes", ["x"], "0", 400, "Onbekend veld"),
    ("factor:1:minutes:extra", ["x"], "0", 400, "Onbekend veld"),
    ("", ["x"], "0", 400, "Onbekend veld"),
    ("section:{f}:text", ["x"], "0", 400, "Onbekend veld"),
    ("factor:99999999:minutes", ["x"], "0", 404, "bestaat niet"),
    ("factor:{big}:minutes", ["x"], "0", 400, "Onbekend veld"),  # no id has 40 digits
    # Tampered versions: not a number → refused; another number → a conflict, nothing overwritten.
    ("factor:{f}:minutes", ["x"], "abc", 400, "versie"),
    ("factor:{f}:minutes", ["x"], "", 400, "versie"),
    ("factor:{f}:minutes", ["x"], "1.5", 400, "versie"),
    ("factor:{f}:minutes", ["x"], None, 400, "versie"),
    ("factor:{f}:minutes", ["x"], "-1", 409, "intussen gewijzigd"),
    ("factor:{f}:minutes", ["x"], "7", 409, "intussen gewijzigd"),
    ("factor:{f}:minutes", ["x"], "9" * 40, 409, "intussen gewijzigd"),
]


@pytest.mark.parametrize("key, values, version, status, words", SESSION_SAVE_CASES)
def test_session_autosave_refuses_bad_input(running_session, moderator_client, key, values, version, status, words):
    factor = running_session.factors.order_by("position").first()
    autosave.save_field(session=running_session, key=f"factor:{factor.pk}:minutes",
                        values=["Wat er al stond."], version=0, user=None)
    action = factor.action_points.first()
    before = stored_texts(running_session)
    data = {"field": key.format(f=factor.pk, a=action.pk, s=running_session.pk, big="9" * 40),
            "value": values}
    if version is not None:
        data["version"] = version
    response = save(moderator_client, running_session, data)
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert words in body["message"], body
    assert body["error"] in ("invalid", "not_found", "conflict")
    if status == 409:
        # The conflict shows what is stored, so the user can choose; nothing was overwritten,
        # and the refused text is kept in the history as a conflict (not a saved version).
        assert body["value"] == "Wat er al stond."
        refused = FieldRevision.objects.get(session=running_session, kind=RevisionKind.CONFLICT)
        assert (refused.value, refused.revision) == ("x", 0)
        refused.delete()
    assert stored_texts(running_session) == before


def test_foreign_ids_cannot_be_saved_through_this_session(running_session, moderator_client, initiative, moderator, notulist):
    other = plan_session(initiative, moderator, notulist)  # same people, another session
    before_other = stored_texts(other)
    before = stored_texts(running_session)
    foreign_factor = other.factors.first()
    for key in (f"factor:{foreign_factor.pk}:minutes", f"action:{foreign_factor.action_points.first().pk}:text",
                f"session:{other.pk}:general_minutes", f"factor:{foreign_factor.pk}:current_level"):
        response = save(moderator_client, running_session,
                        {"field": key, "value": "gekaapt" if "level" not in key else "startend", "version": "0"})
        assert response.status_code == 404, key
        assert "bestaat niet" in response.json()["message"]
    assert stored_texts(other) == before_other and stored_texts(running_session) == before


def test_a_save_without_csrf_token_is_refused_with_a_message(running_session, moderator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    factor = running_session.factors.first()
    before = stored_texts(running_session)
    response = save(client, running_session, {"field": f"factor:{factor.pk}:minutes", "value": "x", "version": "0"})
    assert response.status_code == 403
    assert response.json()["error"] == "csrf" and "verlopen" in response.json()["message"]
    # A wrong token is no better than none.
    client.cookies["csrftoken"] = "a" * 32
    response = client.post(reverse("sessions:save", args=[running_session.pk]),
                           {"field": f"factor:{factor.pk}:minutes", "value": "x", "version": "0"},
                           HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN="b" * 32)
    assert response.status_code == 403
    assert stored_texts(running_session) == before


@pytest.mark.parametrize("body", [
    b"field=factor%3A{f}%3Aminutes&version=0&value=%FF%FEcaf%E9",   # percent-encoded Latin-1
    b"field=factor:{f}:minutes&version=0&value=caf\xe9",             # raw Latin-1 bytes
    b"field=factor:{f}:minutes&version=0&value=\xc3",                # a cut-off UTF-8 sequence
])
def test_a_body_that_is_not_utf8_is_refused_and_nothing_is_stored(running_session, moderator_client, body):
    factor = running_session.factors.first()
    before = stored_texts(running_session)
    response = moderator_client.post(
        reverse("sessions:save", args=[running_session.pk]), body.replace(b"{f}", str(factor.pk).encode()),
        content_type=FORM, HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["message"] and "niets opgeslagen" in response.json()["message"]
    assert stored_texts(running_session) == before


def test_utf8_text_with_accents_and_emoji_is_stored_exactly(running_session, moderator_client):
    factor = running_session.factors.first()
    text = "Café, coördinatie en één 👍 – ‘zo’"
    response = save(moderator_client, running_session,
                    {"field": f"factor:{factor.pk}:minutes", "value": text, "version": "0"})
    assert response.status_code == 200
    factor.refresh_from_db()
    assert factor.minutes == text


def test_a_body_larger_than_the_upload_limit_is_refused(running_session, moderator_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    factor = running_session.factors.first()
    before = stored_texts(running_session)
    response = save(moderator_client, running_session,
                    {"field": f"factor:{factor.pk}:minutes", "value": "x" * 30_000, "version": "0"})
    assert response.status_code == 413
    assert "te lang" in response.json()["message"]
    assert stored_texts(running_session) == before


def test_too_many_fields_are_refused(running_session, moderator_client):
    factor = running_session.factors.first()
    before = stored_texts(running_session)
    response = save(moderator_client, running_session,
                    {"field": f"factor:{factor.pk}:discussed", "value": [str(i % 5) for i in range(1200)]})
    assert response.status_code == 400
    assert stored_texts(running_session) == before


@pytest.mark.parametrize("since", ["²", "-5", "abc", "1e3", "9" * 40, "", "0x10"])
def test_sync_with_a_garbled_revision_answers_with_everything(running_session, moderator_client, since):
    response = moderator_client.get(reverse("sessions:sync", args=[running_session.pk]), {"since": since})
    assert response.status_code == 200
    assert response.json()["revision"] == running_session.revision


# --- Malformed htmx headers -------------------------------------------------------------------------

GARBLED_HEADERS = [
    {"HX-Request": "true", "HX-Target": "<script>alert(1)</script>"},
    {"HX-Request": "true", "HX-Target": "factor-panel", "HX-Current-URL": "http://[::1/x?factor=1"},
    {"HX-Request": "true", "HX-Target": "live-body", "HX-Current-URL": "not a url at all ?factor=²"},
    {"HX-Request": "true", "HX-Target": "factor-nav", "HX-Current-URL": "http://example.org/?factor=" + "9" * 40},
    {"HX-Request": "yes please", "HX-Trigger": "\x7f", "HX-Boosted": "maybe"},
]


@pytest.mark.parametrize("headers", GARBLED_HEADERS)
@pytest.mark.parametrize("name", ["sessions:cockpit", "sessions:notulist", "sessions:wrap_up", "sessions:detail"])
def test_malformed_htmx_headers_never_break_a_screen(running_session, moderator_client, name, headers):
    response = moderator_client.get(reverse(name, args=[running_session.pk]), headers=headers)
    assert response.status_code == 200
    assert running_session.initiative.name in response.content.decode() or name != "sessions:detail"


@pytest.mark.parametrize("factor", ["²", "abc", "-1", "9" * 40, "1 OR 1=1"])
def test_an_unknown_factor_in_the_address_shows_the_first_factor(running_session, moderator_client, factor):
    first = running_session.factors.order_by("position").first()
    for name in ("sessions:cockpit", "sessions:notulist"):
        response = moderator_client.get(reverse(name, args=[running_session.pk]), {"factor": factor})
        assert response.status_code == 200
        assert f'<h1 id="factor-title">{first.title}</h1>' in response.content.decode()


# --- Forms ------------------------------------------------------------------------------------------


def test_plan_form_refuses_unknown_and_foreign_ids(moderator_client, moderator, notulist, outsider, initiative):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("zonderrol", password="x" * 20)
    for data, words in (
        ({"initiative": "999999", "starts_at": "2026-12-01T14:00", "moderator": moderator.pk}, "Selecteer een geldige keuze"),
        ({"initiative": "²", "starts_at": "2026-12-01T14:00", "moderator": moderator.pk}, "Selecteer een geldige keuze"),
        ({"initiative": initiative.pk, "starts_at": "2026-12-01T14:00", "moderator": nobody.pk}, "Selecteer een geldige keuze"),
        ({"initiative": initiative.pk, "starts_at": "2026-12-01T14:00", "moderator": moderator.pk, "notulist": "9" * 40}, "Selecteer een geldige keuze"),
        ({"initiative": initiative.pk, "starts_at": "31-02-2026 25:00", "moderator": moderator.pk}, "geldige datum/tijd"),
        ({"initiative": initiative.pk, "starts_at": "2026-12-01T14:00", "moderator": moderator.pk, "location": "x" * 201}, "niet meer dan 200 tekens"),
    ):
        response = moderator_client.post(reverse("sessions:plan"), data)
        # The page comes back with its Dutch errors (like every form of the app), nothing saved.
        assert response.status_code == 200, data
        assert words in response.content.decode(), data
    assert not ScanSession.objects.exists()
    response = moderator_client.get(reverse("sessions:plan"), {"initiatief": "²"})
    assert response.status_code == 200


def test_initiative_form_refuses_oversized_and_invalid_input(moderator_client):
    response = moderator_client.post(reverse("sessions:initiative_create"), {
        "name": "x" * 201, "contact_email": "geen-adres", "sector": "y" * 121,
    })
    assert response.status_code == 200
    html = response.content.decode()
    assert "niet meer dan 200 tekens" in html and "geldig e-mailadres" in html and "niet meer dan 120 tekens" in html
    assert not Initiative.objects.exists()


def test_participant_form_refuses_bad_input(scan_session, moderator_client):
    url = reverse("sessions:add_participant", args=[scan_session.pk])
    for data, words in (
        ({"name": "x" * 151, "role": "representant"}, "niet meer dan 150 tekens"),
        ({"name": "", "role": "representant"}, "Dit veld is verplicht"),
        ({"name": "Marieke", "role": "koning"}, "Selecteer een geldige keuze"),
    ):
        for htmx in (False, True):
            response = moderator_client.post(url, data, headers={"HX-Request": "true", "HX-Target": "participants"} if htmx else {})
            assert response.status_code == 400, (data, htmx)
            assert words in response.content.decode()
    assert not Participant.objects.exists()


def test_participants_and_factors_of_another_session_are_not_found(scan_session, moderator_client, initiative, moderator, notulist):
    other = plan_session(initiative, moderator, notulist)
    stranger = Participant.objects.create(session=other, name="Iemand Anders")
    response = moderator_client.post(reverse("sessions:remove_participant", args=[scan_session.pk, stranger.pk]))
    assert response.status_code == 404
    assert Participant.objects.filter(pk=stranger.pk).exists()
    foreign = other.factors.first()
    for direction in ("omhoog", "omlaag"):
        response = moderator_client.post(reverse("sessions:move_factor", args=[scan_session.pk, foreign.pk, direction]))
        assert response.status_code == 404
    own = scan_session.factors.first()
    response = moderator_client.post(f"/sessies/{scan_session.pk}/factoren/{own.pk}/zijwaarts/")
    assert response.status_code == 404


def test_choosing_factors_refuses_unknown_ids(scan_session, moderator_client):
    chosen = set(scan_session.factors.values_list("factor_id", flat=True))
    for values in (["abc"], ["999999"], ["²"], ["9" * 40], ["1", "1.5"]):
        response = moderator_client.post(reverse("sessions:choose_factors", args=[scan_session.pk]),
                                          {"factors": values}, headers={"HX-Request": "true"})
        assert response.status_code == 400, values
        assert "Selecteer een geldige keuze" in response.content.decode()
    assert set(scan_session.factors.values_list("factor_id", flat=True)) == chosen


def test_forms_without_csrf_token_are_refused_with_a_dutch_page(scan_session, moderator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    for url, data in (
        (reverse("sessions:add_participant", args=[scan_session.pk]), {"name": "X", "role": "representant"}),
        (reverse("sessions:start", args=[scan_session.pk]), {}),
        (reverse("sessions:close", args=[scan_session.pk]), {}),
        (reverse("sessions:plan"), {}),
        (reverse("logout"), {}),
    ):
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "Deze pagina is verlopen" in response.content.decode()
    scan_session.refresh_from_db()
    assert scan_session.status == "gepland" and not Participant.objects.exists()


def test_a_form_post_that_is_not_utf8_is_refused(scan_session, moderator_client):
    response = moderator_client.post(reverse("sessions:add_participant", args=[scan_session.pk]),
                                     b"name=Ren\xe9&role=representant", content_type=FORM)
    assert response.status_code == 400
    assert "Er is niets opgeslagen" in response.content.decode()
    assert not Participant.objects.exists()
    # Saying that it is Latin-1 does not help: forms are UTF-8 (Django refuses it too).
    response = moderator_client.post(reverse("sessions:add_participant", args=[scan_session.pk]),
                                     "name=Ren%E9&role=representant",
                                     content_type=FORM + "; charset=iso-8859-1")
    assert response.status_code == 400
    assert not Participant.objects.exists()
    # And proper UTF-8 goes through unchanged.
    response = moderator_client.post(reverse("sessions:add_participant", args=[scan_session.pk]),
                                     "name=Ren%C3%A9&role=representant", content_type=FORM)
    assert response.status_code == 302
    assert Participant.objects.get().name == "René"


def test_the_login_form_survives_garbage(client, moderator):
    response = client.post(reverse("login"), b"username=\xff&password=\xfe", content_type=FORM)
    assert response.status_code == 400
    response = client.post(reverse("login"), {"username": "x" * 10_000, "password": "y"})
    assert response.status_code == 200 and "klopt niet" in response.content.decode()


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", "windows-1252", "utf-16", "x-onbekend", '"utf-8"x'])
def test_a_post_that_declares_another_charset_is_refused_everywhere(charset, running_session, moderator, notulist):
    """A body that says it is not UTF-8 (or names a charset nobody knows) is refused with a 400
    and a Dutch message before any view runs, also where Django alone would answer 500 or read
    it as UTF-8: the login, both autosaves, forms, the public code pages."""
    factor = running_session.factors.first()
    advice_session = plan_session(running_session.initiative, moderator, notulist)
    services.start_session(session=advice_session, user=moderator)
    services.close_session(session=advice_session, user=moderator)
    advice = advice_services.get_or_draft_advice(session=advice_session, user=notulist)
    content_type = f"{FORM}; charset={charset}"
    before, advice_before = stored_texts(running_session), advice_state(advice)
    json_posts = [
        (client_for(Client, moderator), reverse("sessions:save", args=[running_session.pk]),
         f"field=factor:{factor.pk}:minutes&version=0&value=caf%E9"),
        (client_for(Client, notulist), reverse("reports:advice_save", args=[advice_session.pk]),
         f"field=advice:{advice.pk}:introduction&version=0&value=Hallo"),
    ]
    for client, url, body in json_posts:
        response = client.generic("POST", url, body.encode(), content_type=content_type,
                                  HTTP_ACCEPT="application/json")
        assert response.status_code == 400, url
        assert "UTF-8" in response.json()["message"] and "niets opgeslagen" in response.json()["message"]
    form_posts = [
        (Client(enforce_csrf_checks=True), reverse("login"), "username=jeroen&password=x"),
        (client_for(Client, moderator), reverse("sessions:add_participant", args=[running_session.pk]),
         "name=Ren%C3%A9&role=representant"),
        (Client(), reverse("sessions:present_enter"), "code=KDTR-7M4P"),
        (Client(), reverse("sessions:phone_enter"), "code=KDTR-7M4P&name=Ren%C3%A9"),
        (Client(), reverse("password_reset"), "email=jeroen%40example.org"),
    ]
    for client, url, body in form_posts:
        response = client.generic("POST", url, body.encode(), content_type=content_type)
        assert response.status_code == 400, url
        assert "Er is niets opgeslagen" in response.content.decode(), url
    assert stored_texts(running_session) == before
    assert advice_state(advice) == advice_before and not Participant.objects.exists()


def test_utf8_spelled_otherwise_is_still_utf8(scan_session, moderator_client):
    for charset in ("UTF-8", "utf8", '"utf-8"'):
        response = moderator_client.generic(
            "POST", reverse("sessions:add_participant", args=[scan_session.pk]),
            b"name=Ren%C3%A9&role=representant", content_type=f"{FORM}; charset={charset}")
        assert response.status_code == 302, charset
    assert list(Participant.objects.values_list("name", flat=True)) == ["René"] * 3


def test_an_upload_that_is_not_utf8_is_refused(staff):
    client = client_for(Client, staff)
    upload = SimpleUploadedFile("initiatieven.csv", "Code;Naam\ncafe;Café Leren\n".encode("cp1252"),
                                content_type="text/csv")
    response = client.post(reverse("reports:initiatives_import"), {"file": upload})
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()
    assert not Initiative.objects.exists()


# --- The advice ---------------------------------------------------------------------------------------


@pytest.fixture
def advice(running_session, moderator, notulist):
    services.close_session(session=running_session, user=moderator)
    running_session.refresh_from_db()
    return advice_services.get_or_draft_advice(session=running_session, user=notulist)


def advice_state(advice):
    advice.refresh_from_db()
    return (advice.introduction, advice.closing, advice.revision,
            list(AdviceSection.objects.filter(advice=advice).order_by("pk").values_list("text", "text_version")))


@pytest.mark.parametrize("key, value, version, status, words", [
    ("section:{s}:text", "x" * 50_001, "0", 400, "te lang"),
    ("advice:{a}:introduction", "nul\x00", "0", 400, "ongeldig teken"),
    ("advice:{a}:password", "x", "0", 400, "Onbekend veld"),
    ("factor:{f}:minutes", "x", "0", 400, "Onbekend veld"),
    ("section:²:text", "x", "0", 400, "Onbekend veld"),
    ("advice:{other}:closing", "x", "0", 400, "Onbekend veld"),
    ("section:99999999:text", "x", "0", 404, "bestaat niet"),
    ("section:{s}:text", "x", "abc", 400, "versie"),
    ("section:{s}:text", "x", "5", 409, "intussen gewijzigd"),
])
def test_advice_autosave_refuses_bad_input(advice, notulist, key, value, version, status, words):
    client = client_for(Client, notulist)
    section = advice.sections.first()
    before = advice_state(advice)
    data = {"field": key.format(s=section.pk, a=advice.pk, f=section.session_factor_id, other=advice.pk + 1),
            "value": value, "version": version}
    response = save(client, advice.session, data, url_name="reports:advice_save")
    assert response.status_code == status
    assert words in response.json()["message"]
    assert advice_state(advice) == before


def test_a_section_of_another_advice_is_not_found(advice, notulist, initiative, moderator):
    other_session = plan_session(initiative, moderator, notulist)
    services.start_session(session=other_session, user=moderator)
    services.close_session(session=other_session, user=moderator)
    other = advice_services.get_or_draft_advice(session=other_session, user=notulist)
    foreign = other.sections.first()
    response = save(client_for(Client, notulist), advice.session,
                    {"field": f"section:{foreign.pk}:text", "value": "gekaapt", "version": "0"},
                    url_name="reports:advice_save")
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.text != "gekaapt"


@pytest.mark.parametrize("since", ["²", "abc", "-1", "9" * 40])
def test_advice_sync_with_a_garbled_revision(advice, notulist, since):
    response = client_for(Client, notulist).get(reverse("reports:advice_sync", args=[advice.session.pk]), {"since": since})
    assert response.status_code == 200 and "revision" in response.json()


def test_share_link_days_must_be_a_sensible_number(advice, notulist, moderator):
    version = advice_services.finalize(advice=advice, user=notulist)
    client = client_for(Client, moderator)
    url = reverse("reports:share_create", args=[advice.session.pk, version.number])
    for days in ("abc", "0", "366", "²", "-3", "9" * 40):
        response = client.post(url, {"days": days}, follow=True)
        assert response.status_code == 200
        assert "Kies een geldigheid tussen 1 en 365 dagen" in response.content.decode(), days
    assert not ShareLink.objects.exists()
    assert client.post(reverse("reports:share_create", args=[advice.session.pk, 99])).status_code == 404


def test_a_share_link_of_another_advice_cannot_be_revoked(advice, notulist, moderator, initiative):
    other_session = plan_session(initiative, moderator, notulist)
    services.start_session(session=other_session, user=moderator)
    services.close_session(session=other_session, user=moderator)
    other = advice_services.get_or_draft_advice(session=other_session, user=notulist)
    link = advice_services.create_share_link(version=advice_services.finalize(advice=other, user=notulist), user=moderator)
    response = client_for(Client, moderator).post(reverse("reports:share_revoke", args=[advice.session.pk, link.pk]))
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_unknown_versions_and_closed_state_are_handled(advice, notulist, running_session):
    client = client_for(Client, notulist)
    assert client.get(reverse("reports:advice_version_pdf", args=[advice.session.pk, 1])).status_code == 404
    assert client.get(f"/sessies/{advice.session.pk}/advies/v{'9' * 30}.pdf").status_code == 404
    assert not Advice.objects.exclude(pk=advice.pk).exists()


def test_the_follow_up_status_form_refuses_bad_input(running_session, moderator_client):
    action = running_session.factors.first().action_points.first()
    url = reverse("reports:action_status", args=[action.pk])
    for data, words in (
        ({"status": "klaar"}, "Kies: niet gestart, bezig, gedaan of vervallen"),
        ({"status": "gedaan", "status_comment": "x" * 2001}, "te lang"),
        ({"status": "gedaan", "status_comment": "nul\x00"}, "ongeldig teken"),
    ):
        response = moderator_client.post(url, data)
        assert response.status_code == 400, data
        assert words in response.content.decode()
    action.refresh_from_db()
    assert action.status == "niet_gestart" and action.status_comment == ""
    assert moderator_client.post(reverse("reports:action_status", args=[99999999]), {"status": "gedaan"}).status_code == 404


# --- Where a form returns to (`next`) ------------------------------------------------------------

# Each `next` a form may be sent with. Only a path of this site is followed; anything else (a URL
# name, a relative word, another host, a scheme, control characters) goes to the form's own
# page, never to a 500 or to another site.
BAD_NEXT = ["foo", "sessions:list", "home", "foo/bar", "//evil.example", "https://evil.example/x",
            "http:/evil.example", "/\\evil.example", "javascript:alert(1)", "/ok\r\nSet-Cookie: x=1",
            "\x00", "." * 300]


@pytest.mark.parametrize("target", BAD_NEXT)
def test_the_follow_up_status_form_only_returns_to_a_path_of_this_site(running_session, moderator_client, target):
    action = running_session.factors.first().action_points.first()
    response = moderator_client.post(reverse("reports:action_status", args=[action.pk]),
                                     {"status": "bezig", "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:detail", args=[running_session.pk])
    action.refresh_from_db()
    assert action.status == "bezig"


def test_the_follow_up_status_form_returns_to_the_page_it_came_from(running_session, moderator_client):
    action = running_session.factors.first().action_points.first()
    back = f"{reverse('reports:initiative_overview', args=[running_session.initiative_id])}?x=1#a"
    response = moderator_client.post(reverse("reports:action_status", args=[action.pk]),
                                     {"status": "gedaan", "next": back})
    assert response.status_code == 302 and response["Location"] == back


@pytest.mark.parametrize("target", BAD_NEXT)
def test_the_table_forms_only_return_to_a_path_of_this_site(running_session, moderator_client, target):
    factor = running_session.factors.first()
    response = moderator_client.post(reverse("sessions:mark_round", args=[running_session.pk, factor.pk]),
                                     {"action": "open", "next": target})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('sessions:table_voices', args=[running_session.pk])}?factor={factor.pk}"


@pytest.mark.parametrize("target", BAD_NEXT)
def test_the_login_only_returns_to_a_path_of_this_site(client, moderator, target):
    from .helpers import PASSWORD

    response = client.post(reverse("login"), {"username": "jeroen", "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response["Location"] == reverse("home")


# --- Import files that would pin a worker ---------------------------------------------------------

def _csv(text: str, encoding="utf-8") -> tuple[str, bytes]:
    return "initiatieven.csv", text.encode(encoding)


def _xlsx(data: bytes) -> tuple[str, bytes]:
    return "initiatieven.xlsx", data


IMPORT_HEADER = "Code;Naam;Beschrijving\n"
FAR = f'<row r="{{n}}">{hostile.cell("A{n}", "x")}</row>'

# (case, file, words in the Dutch message). Each must be refused quickly: before the limits the
# far rows took 24 s to minutes, the blank-row zip never finished.
HOSTILE_IMPORTS = [
    ("xlsx: a row at 1,048,576", lambda: _xlsx(hostile.xlsx(rows=FAR.format(n=1_048_576))),
     "rijen (lege rijen meegeteld)"),
    ("xlsx: a row at 50,000,000", lambda: _xlsx(hostile.xlsx(rows=FAR.format(n=50_000_000))),
     "rijen (lege rijen meegeteld)"),
    ("xlsx: a declared dimension of 50,000,000 rows", lambda: _xlsx(hostile.xlsx(
        rows=hostile.GOOD_ROW + FAR.format(n=50_000_000), dimension="A1:B50000000")),
     "rijen (lege rijen meegeteld)"),
    ("xlsx: a 2 MB zip of 800,000 blank rows", lambda: _xlsx(hostile.xlsx(
        rows=hostile.GOOD_ROW + hostile.blank_rows(800_000, start=3))),
     "rijen (lege rijen meegeteld)"),
    ("xlsx: a million times the same blank row", lambda: _xlsx(hostile.xlsx(
        rows=hostile.GOOD_ROW + '<row r="3"/>' * 1_000_000)), "rijen (lege rijen meegeteld)"),
    ("xlsx: one row of 900,000 cells", lambda: _xlsx(hostile.xlsx(
        rows='<row r="2">' + '<c r="A2"/>' * 900_000 + "</row>")), "te veel cellen"),
    ("xlsx: a zip bomb (declared 60 MB)", lambda: _xlsx(hostile.xlsx(
        rows=hostile.GOOD_ROW, prolog="<!--" + "x" * 60_000_000 + "-->")), "uitgepakt te groot"),
    ("xlsx: a zip bomb that declares 1,000 bytes", lambda: _xlsx(hostile.understated(hostile.xlsx(
        rows=hostile.GOOD_ROW, prolog="<!--" + "x" * 60_000_000 + "-->")), ),
     "geen geldig Excel-bestand"),
    ("xlsx: entities (billion laughs)", lambda: _xlsx(hostile.xlsx(
        rows=f'<row r="2">{hostile.cell("A2", "&l9;")}</row>',
        prolog="<!DOCTYPE worksheet [<!ENTITY l0 'ha'>" + "".join(
            f"<!ENTITY l{n} '{f'&l{n - 1};' * 10}'>" for n in range(1, 10)) + "]>")),
     "geen geldig Excel-bestand"),
    ("csv: a line of 200,000 characters", lambda: _csv(IMPORT_HEADER + "x;" + "y" * 200_000 + "\n"),
     "Regel 2 van het bestand is te lang"),
    ("csv: a quoted cell of 200,000 characters over many lines", lambda: _csv(
        IMPORT_HEADER + 'x;"' + "y\n" * 100_000 + '"\n'), "Controleer de aanhalingstekens"),
    ("csv: a row of 5,000 columns", lambda: _csv(IMPORT_HEADER + "x;X" + ";y" * 5_000 + "\n"),
     "Rij 2 heeft 5.002 cellen"),
    ("csv: 2,000,000 blank lines", lambda: _csv(IMPORT_HEADER + "\n" * 2_000_000 + "x;X\n"),
     "rijen (lege rijen meegeteld)"),
    ("csv: a NUL byte after the first 4 kB", lambda: _csv(
        IMPORT_HEADER + "".join(f"code-{n};Naam {n};\n" for n in range(400)) + "nul;nul\x00byte;\n"),
     "Regel 402 van het bestand bevat een ongeldig teken (NUL)"),
    ("csv: Windows-1252 after the first 4 kB", lambda: _csv(
        IMPORT_HEADER + "".join(f"code-{n};Naam {n};\n" for n in range(400)) + "cafe;Café;\n",
        encoding="cp1252"), "niet opgeslagen als UTF-8 (het eerste onleesbare teken staat in regel 402)"),
]


@pytest.mark.parametrize("case, make_file, words", HOSTILE_IMPORTS, ids=[c[0] for c in HOSTILE_IMPORTS])
def test_import_files_that_would_pin_a_worker_are_refused(staff, case, make_file, words):
    from reports.imports import ImportRefused, parse_upload

    name, data = make_file()
    assert len(data) <= 2 * 1024 * 1024  # the hostile file passes the upload limit
    # The reader itself, with a generous guard so that a reader that never finishes fails here.
    outcome = hostile.finishes_within(10, parse_upload, SimpleUploadedFile(name, data))
    assert isinstance(outcome.get("error"), ImportRefused), outcome
    assert words in str(outcome["error"])
    # Through the page: 400, the Dutch message, nothing written.
    client = client_for(Client, staff)
    response = client.post(reverse("reports:initiatives_import"),
                           {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    assert words in response.context["refused"]
    assert not Initiative.objects.exists()
