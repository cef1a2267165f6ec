"""Privacy (AVG): minutes and personal data are removed after the retention period while the
anonymous levels stay; deleting an initiative leaves nothing of it behind; an audit log shows
staff who viewed or changed minutes and advice; public privacy and accessibility statements."""

import io
import time

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import CharField, JSONField, TextField
from django.db.models.functions import Cast
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports import services as advice_services
from reports.models import (
    Advice,
    AdviceSection,
    AdviceVersion,
    ShareLink,
    ShareLinkAccess,
    ShareLinkFailure,
)
from reports.pipeline import months_before
from sessions import audit, autosave, services
from sessions.models import (
    ActionPoint,
    AuditEvent,
    FieldRevision,
    Initiative,
    Participant,
    ScanSession,
    SessionFactor,
)

from .helpers import client_for, plan_session


def markers(tag):
    """Recognisable personal data and minutes for one session (ASCII: also findable in JSON)."""
    return {
        "participant": f"Participant Pietje Puk {tag}",
        "organisation": f"Organisatie Geheim {tag}",
        "minutes": f"Notulen met een gevoelig verhaal {tag}",
        "rationale": f"Toelichting over personen {tag}",
        "general": f"Algemene notulen {tag}",
        "choice": f"Keuzetoelichting {tag}",
        "wrap_up": f"Slotvraag van de notulist {tag}",
        "owner": f"Trekker Truus {tag}",
        "status_comment": f"Stand volgens Truus {tag}",
        "section": f"Adviestekst over Truus {tag}",
        "introduction": f"Inleiding met namen {tag}",
        "user_agent": f"Browser-van-de-lezer {tag}",
        "contact": f"Contactpersoon Kees {tag}",
    }


def full_session(initiative, moderator, notulist, tag, *, finalized_months_ago):
    """A session with everything a real one holds, saved through the services (so the history
    has it too), closed, with a finalized advice that was shared and opened."""
    m = markers(tag)
    session = plan_session(initiative, moderator, notulist)
    Participant.objects.create(session=session, name=m["participant"], organisation=m["organisation"])
    services.start_session(session=session, user=moderator)

    def put(key, value, version=0):
        autosave.save_field(session=session, key=key, values=[value], version=version, user=moderator)

    put(f"session:{session.pk}:general_minutes", m["general"])
    put(f"session:{session.pk}:choice_rationale", m["choice"])
    put(f"session:{session.pk}:wrap_up_notes", m["wrap_up"])
    for sf in session.factors.all():
        put(f"factor:{sf.pk}:minutes", m["minutes"])
        put(f"factor:{sf.pk}:rationale", m["rationale"])
        put(f"factor:{sf.pk}:current_level", "startend", None)
        put(f"factor:{sf.pk}:desired_level", "voldragen", None)
        for action in sf.action_points.all():
            put(f"action:{action.pk}:text", f"Actie {action.position}")
            put(f"action:{action.pk}:owner", m["owner"])
    ActionPoint.objects.filter(session_factor__session=session).update(status_comment=m["status_comment"])
    services.close_session(session=session, user=moderator)
    session.refresh_from_db()
    advice = advice_services.get_or_draft_advice(session=session, user=notulist)
    section = advice.sections.first()
    advice_services.save_advice_field(advice=advice, key=f"section:{section.pk}:text",
                                      values=[m["section"]], version=section.text_version, user=notulist)
    advice_services.save_advice_field(advice=advice, key=f"advice:{advice.pk}:introduction",
                                      values=[m["introduction"]], version=0, user=notulist)
    version = advice_services.finalize(advice=advice, user=notulist)
    AdviceVersion.objects.filter(pk=version.pk).update(
        finalized_at=months_before(timezone.now(), finalized_months_ago))
    link = advice_services.create_share_link(version=version, user=moderator)
    ShareLinkAccess.objects.create(link=link, user_agent=m["user_agent"])
    AuditEvent.objects.create(session=session, user=moderator, action="viewed_minutes")
    session.share_token = link.token  # only the hash is stored; the address was mailed
    return session


def rows_mentioning(text, *, session=None):
    """Every model field (text or JSON) of any row that still holds `text`."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, (CharField, TextField)):
                rows = model._default_manager.filter(**{f"{field.attname}__contains": text})
            elif isinstance(field, JSONField):
                rows = model._default_manager.annotate(_as_text=Cast(field.attname, TextField())).filter(
                    _as_text__contains=text)
            else:
                continue
            if rows.exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


def purge(*args):
    out = io.StringIO()
    call_command("purge_expired", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def old_and_new(initiative, moderator, notulist):
    old = full_session(initiative, moderator, notulist, "OUD", finalized_months_ago=25)
    new = full_session(initiative, moderator, notulist, "NIEUW", finalized_months_ago=1)
    return old, new


# --- Retention: purge_expired ---------------------------------------------------------------------


def test_purge_removes_minutes_and_personal_data_but_keeps_the_levels(old_and_new, client):
    old, new = old_and_new
    levels_before = list(SessionFactor.objects.filter(session=old).order_by("pk").values_list(
        "factor__code", "current_level", "desired_level"))
    output = purge()

    for what, text in markers("OUD").items():
        if what == "contact":
            continue  # the initiative's contact is not session data; see the deletion test
        assert rows_mentioning(text) == [], (what, rows_mentioning(text))
    assert not Participant.objects.filter(session=old).exists()
    assert not FieldRevision.objects.filter(session=old).exists()
    version = AdviceVersion.objects.get(advice__session=old)
    assert bytes(version.pdf) == b"" and version.pdf_size == 0
    assert version.content["purged"] is True
    assert [(f["code"], f["current_level"], f["desired_level"]) for f in version.content["factors"]] == levels_before
    # The anonymous levels stay for statistics; so does the audit log.
    assert list(SessionFactor.objects.filter(session=old).order_by("pk").values_list(
        "factor__code", "current_level", "desired_level")) == levels_before
    assert AuditEvent.objects.filter(session=old).exists()
    # The share link no longer opens; the reader gets a clear page, not a 500.
    assert ShareLink.objects.get(version__advice__session=old).revoked_at is not None
    assert client.get(reverse("reports:shared", args=[old.share_token])).status_code == 410
    # The recent session is untouched.
    for what, text in markers("NIEUW").items():
        assert what == "contact" or rows_mentioning(text), what
    assert "Klaar." in output and "Bewaartermijn 24 maanden" in output
    assert "     1  sessies met verlopen bewaartermijn" in output
    assert "     1  deelnemers verwijderd" in output
    assert "     3  gekozen succesfactoren: notulen en toelichting gewist" in output
    assert "     6  actiepunten: trekker en toelichting gewist" in output
    assert "     1  deellinks ingetrokken" in output


def test_a_dry_run_changes_nothing_and_reports_what_would_go(old_and_new):
    old, _ = old_and_new
    before = FieldRevision.objects.count(), Participant.objects.count()
    output = purge("--dry-run")
    assert "Proefdraaien: er is niets gewijzigd." in output
    assert "     1  sessies met verlopen bewaartermijn" in output
    assert (FieldRevision.objects.count(), Participant.objects.count()) == before
    assert rows_mentioning(markers("OUD")["minutes"])


def test_running_the_purge_again_changes_nothing_more(old_and_new):
    purge()
    output = purge()
    counts = [int(line.split()[0]) for line in output.splitlines()[1:]]
    assert counts[0] == 1 and sum(counts[1:]) == 0, output


def test_the_retention_period_is_configurable(old_and_new, settings):
    settings.ACTIESCAN_RETENTION_MONTHS = 36
    assert "     0  sessies met verlopen bewaartermijn" in purge()
    assert rows_mentioning(markers("OUD")["minutes"])
    assert "     2  sessies met verlopen bewaartermijn" in purge("--months", "1")
    assert not rows_mentioning(markers("NIEUW")["minutes"])
    with pytest.raises(CommandError):
        purge("--months", "0")


def test_only_the_latest_final_version_counts(old_and_new, notulist):
    old, _ = old_and_new
    # A new version of the old advice, made last week: the clock starts again.
    advice = Advice.objects.get(session=old)
    advice_services.finalize(advice=advice, user=notulist)
    assert "     0  sessies met verlopen bewaartermijn" in purge()
    assert rows_mentioning(markers("OUD")["minutes"])


def test_sessions_without_final_advice_are_kept(initiative, moderator, notulist):
    session = plan_session(initiative, moderator, notulist)
    ScanSession.objects.filter(pk=session.pk).update(general_minutes="Nog geen advies", created_at=timezone.now() - timezone.timedelta(days=2000))
    assert "     0  sessies met verlopen bewaartermijn" in purge()
    assert ScanSession.objects.get(pk=session.pk).general_minutes == "Nog geen advies"


def test_purged_versions_cannot_be_downloaded_or_shared_again(old_and_new, moderator):
    old, _ = old_and_new
    purge()
    client = client_for(Client, moderator)
    assert client.get(reverse("reports:advice_version_pdf", args=[old.pk, 1])).status_code == 404
    assert client.post(reverse("reports:share_create", args=[old.pk, 1])).status_code == 404
    assert ShareLink.objects.filter(version__advice__session=old).count() == 1
    # The screens of the purged session still open.
    for name in ("sessions:wrap_up", "sessions:cockpit", "reports:advice"):
        assert client.get(reverse(name, args=[old.pk])).status_code == 200, name


def test_old_wrong_share_link_attempts_are_removed(db):
    ShareLinkFailure.objects.create(fingerprint="a" * 32, at=timezone.now() - timezone.timedelta(days=2))
    ShareLinkFailure.objects.create(fingerprint="b" * 32)
    assert "     1  verkeerde deellink-pogingen verwijderd" in purge()
    assert list(ShareLinkFailure.objects.values_list("fingerprint", flat=True)) == ["b" * 32]


# --- Deleting an initiative --------------------------------------------------------------------------


def test_deleting_an_initiative_removes_every_personal_datum(initiative, moderator, notulist):
    Initiative.objects.filter(pk=initiative.pk).update(contact_name=markers("WEG")["contact"])
    session = full_session(initiative, moderator, notulist, "WEG", finalized_months_ago=1)
    other_initiative = Initiative.objects.create(name="Ander initiatief")
    kept = full_session(other_initiative, moderator, notulist, "BLIJFT", finalized_months_ago=1)
    assert FieldRevision.objects.filter(session=session).filter(field__startswith="section:").exists()

    initiative.delete()

    for what, text in markers("WEG").items():
        assert rows_mentioning(text) == [], (what, rows_mentioning(text))
    for model in (ScanSession, Participant, SessionFactor, ActionPoint, FieldRevision, Advice,
                  AdviceSection, AdviceVersion, ShareLink, ShareLinkAccess, AuditEvent):
        field = {ScanSession: "pk", Participant: "session", SessionFactor: "session",
                 ActionPoint: "session_factor__session", FieldRevision: "session", Advice: "session",
                 AdviceSection: "advice__session", AdviceVersion: "advice__session",
                 ShareLink: "version__advice__session", ShareLinkAccess: "link__version__advice__session",
                 AuditEvent: "session"}[model]
        assert not model.objects.filter(**{field: session.pk}).exists(), model
    # The other initiative keeps everything.
    assert rows_mentioning(markers("BLIJFT")["minutes"]) and ScanSession.objects.filter(pk=kept.pk).exists()


def test_staff_can_delete_an_initiative_in_the_admin(initiative, moderator, notulist, staff):
    full_session(initiative, moderator, notulist, "ADMIN", finalized_months_ago=1)
    client = client_for(Client, staff)
    url = reverse("admin:scan_sessions_initiative_delete", args=[initiative.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"post": "yes"})
    assert not Initiative.objects.filter(pk=initiative.pk).exists()
    assert rows_mentioning(markers("ADMIN")["minutes"]) == []


# --- The audit log -------------------------------------------------------------------------------------


def events(session, **filters):
    return list(AuditEvent.objects.filter(session=session, **filters).order_by("pk").values_list(
        "user__username", "action", "detail"))


def test_viewing_the_minutes_and_the_advice_is_logged_once_per_page_load(running_session, moderator, notulist):
    mod, notu = client_for(Client, moderator), client_for(Client, notulist)
    mod.get(reverse("sessions:cockpit", args=[running_session.pk]))
    notu.get(reverse("sessions:notulist", args=[running_session.pk]))
    # A fragment refresh of an open page is a view too, but within the window adds no row.
    mod.get(reverse("sessions:cockpit", args=[running_session.pk]),
            headers={"HX-Request": "true", "HX-Target": "factor-status"})
    assert events(running_session) == [("jeroen", "viewed_minutes", "cockpit"),
                                       ("fatima", "viewed_minutes", "notulist")]
    services.close_session(session=running_session, user=moderator)
    notu.get(reverse("reports:advice", args=[running_session.pk]))
    notu.get(reverse("reports:advice_preview", args=[running_session.pk]))
    assert events(running_session, action="viewed_advice") == [("fatima", "viewed_advice", "editor")]


def test_autosaves_are_logged_at_most_once_per_user_per_window(running_session, moderator, notulist):
    mod, notu = client_for(Client, moderator), client_for(Client, notulist)
    factor = running_session.factors.first()
    url = reverse("sessions:save", args=[running_session.pk])
    for version in range(5):
        assert mod.post(url, {"field": f"factor:{factor.pk}:minutes", "value": f"v{version}",
                              "version": version}).status_code == 200
    assert notu.post(url, {"field": f"session:{running_session.pk}:general_minutes", "value": "x",
                           "version": 0}).status_code == 200
    # A refused save changes nothing and is not logged as a change.
    assert notu.post(url, {"field": f"factor:{factor.pk}:minutes", "value": "oud", "version": 0}).status_code == 409
    assert events(running_session, action="changed_minutes") == [
        ("jeroen", "changed_minutes", ""), ("fatima", "changed_minutes", "")]
    # When the last logged save is more than the window ago, the next save counts again.
    AuditEvent.objects.update(at=timezone.now() - timezone.timedelta(minutes=11),
                              bucket=audit.window_number(time.time() - 11 * 60))
    mod.post(url, {"field": f"factor:{factor.pk}:minutes", "value": "v5", "version": 5})
    assert len(events(running_session, action="changed_minutes", user__username="jeroen")) == 2


def test_finalizing_downloading_sharing_and_revoking_are_all_logged(running_session, moderator, notulist, staff):
    services.close_session(session=running_session, user=moderator)
    notu, mod = client_for(Client, notulist), client_for(Client, moderator)
    pk = running_session.pk
    notu.get(reverse("reports:advice", args=[pk]))
    section = AdviceSection.objects.filter(advice__session=running_session).first()
    notu.post(reverse("reports:advice_save", args=[pk]),
              {"field": f"section:{section.pk}:text", "value": "Nieuwe tekst", "version": section.text_version})
    notu.post(reverse("reports:advice_finalize", args=[pk]))
    notu.get(reverse("reports:advice_version_pdf", args=[pk, 1]))
    notu.get(reverse("reports:advice_version_pdf", args=[pk, 1]))
    mod.post(reverse("reports:share_create", args=[pk, 1]))
    link = ShareLink.objects.get()
    mod.post(reverse("reports:share_revoke", args=[pk, link.pk]))
    assert events(running_session) == [
        ("fatima", "viewed_advice", "editor"),
        ("fatima", "changed_advice", ""),
        ("fatima", "finalized_advice", "v1"),
        ("fatima", "downloaded_pdf", "v1"),
        ("fatima", "downloaded_pdf", "v1"),
        ("jeroen", "shared", "v1"),
        ("jeroen", "revoked", "v1"),
    ]


def test_staff_see_the_audit_log_of_a_session_from_its_history(running_session, moderator, notulist, staff, outsider):
    client_for(Client, notulist).get(reverse("sessions:notulist", args=[running_session.pk]))
    url = reverse("reports:audit_log", args=[running_session.pk])
    staff_client = client_for(Client, staff)
    history = staff_client.get(reverse("sessions:history", args=[running_session.pk])).content.decode()
    assert f'href="{url}"' in history
    html = staff_client.get(url).content.decode()
    assert "Fatima" in html and "notulen bekeken" in html and "notulist" in html
    # Staff opening the history is itself in the log.
    assert ("sanne", "viewed_minutes", "geschiedenis") in events(running_session)
    assert client_for(Client, moderator).get(url).status_code == 403
    assert client_for(Client, notulist).get(url).status_code == 403
    assert client_for(Client, outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_the_audit_log_is_read_only_in_the_admin(running_session, moderator, staff):
    client_for(Client, moderator).get(reverse("sessions:cockpit", args=[running_session.pk]))
    event = AuditEvent.objects.get()
    client = client_for(Client, staff)
    listing = client.get(reverse("admin:scan_sessions_auditevent_changelist"))
    assert listing.status_code == 200 and "notulen bekeken" in listing.content.decode()
    assert client.get(reverse("admin:scan_sessions_auditevent_add")).status_code == 403
    page = client.get(reverse("admin:scan_sessions_auditevent_change", args=[event.pk])).content.decode()
    assert 'name="_save"' not in page
    assert client.post(reverse("admin:scan_sessions_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- Public statements --------------------------------------------------------------------------------


def test_the_privacy_statement_is_public_and_says_what_is_stored(client, db, settings):
    settings.ACTIESCAN_RETENTION_MONTHS = 18
    response = client.get(reverse("privacy_statement"))
    assert response.status_code == 200
    html = response.content.decode()
    for words in ("Privacyverklaring", "namen, rollen en organisaties van de mensen aan tafel",
                  "notulen", "tot 18 maanden nadat het advies definitief is", "logboek",
                  "Medewerkers van de SER zien alle gesprekken", "deellink", "14 dagen",
                  "doorbraakllo@ser.nl", "Autoriteit Persoonsgegevens"):
        assert words in html, words


def test_the_accessibility_statement_is_public(client, db):
    response = client.get(reverse("accessibility_statement"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "WCAG 2.1" in html and "axe-core" in html and "doorbraakllo@ser.nl" in html


def test_both_statements_are_linked_from_every_footer(client, moderator):
    for url in (reverse("login"), reverse("privacy_statement")):
        html = client.get(url).content.decode()
        footer = html[html.index('<footer'):html.index('</footer>')]
        assert reverse("accessibility_statement") in footer and reverse("privacy_statement") in footer
    client.force_login(moderator)
    html = client.get(reverse("home")).content.decode()
    assert reverse("privacy_statement") in html[html.index('<footer'):]


def test_purge_also_clears_reflections_and_screen_codes(initiative, moderator, notulist):
    from sessions.models import PresentCode, PresentCodeFailure, Reflection

    old = full_session(initiative, moderator, notulist, "REFL", finalized_months_ago=30)
    Reflection.objects.create(session=old, insights="Marieke vond het inzichtelijk", levels="ja",
                              possibilities="bij de regio")
    PresentCode.objects.create(session=old,
                               expires_at=timezone.now() + timezone.timedelta(hours=1))
    PresentCodeFailure.objects.create(fingerprint="x", at=timezone.now() - timezone.timedelta(days=2))
    call_command("purge_expired", verbosity=0)
    reflection = Reflection.objects.get(session=old)
    assert (reflection.insights, reflection.levels, reflection.possibilities) == ("", "", "")
    assert not PresentCode.objects.filter(session=old).exists()
    assert not PresentCodeFailure.objects.exists()


# --- What counts as viewing the minutes (issue 13, item 7) ------------------------------------

def test_a_fragment_request_is_logged_as_a_view_whatever_its_headers_say(running_session, notulist):
    """The htmx headers are the client's own words: a request that says it is a fragment of a
    page already open still gets the minutes, so it is logged (once per window, as any view)."""
    client = client_for(Client, notulist)
    client.get(reverse("sessions:notulist", args=[running_session.pk]),
               headers={"HX-Request": "true", "HX-Target": "live-body"})
    assert events(running_session) == [("fatima", "viewed_minutes", "notulist")]


def test_a_full_sync_of_every_field_is_logged_as_a_view(running_session, moderator, notulist):
    factor = running_session.factors.first()
    autosave.save_field(session=running_session, key=f"factor:{factor.pk}:minutes", values=["Geheim"],
                        version=0, user=moderator)
    client = client_for(Client, notulist)
    response = client.get(reverse("sessions:sync", args=[running_session.pk]), {"since": "-1"})
    assert response.status_code == 200 and "Geheim" in response.content.decode()
    assert events(running_session) == [("fatima", "viewed_minutes", "sync")]
    # Throttled as every view: polling on adds no rows within the window.
    for _poll in range(3):
        client.get(reverse("sessions:sync", args=[running_session.pk]), {"since": "-1"})
    assert len(events(running_session)) == 1


def test_the_advice_sync_is_logged_as_a_view_of_the_advice(running_session, moderator, notulist):
    from reports import services as advice_services

    services.close_session(session=running_session, user=moderator)
    advice = advice_services.get_or_draft_advice(session=running_session, user=moderator)
    section = advice.sections.first()
    assert client_for(Client, moderator).post(reverse("reports:advice_save", args=[running_session.pk]), {
        "field": f"section:{section.pk}:text", "value": "Geheim advies", "version": "0"}).status_code == 200
    client = client_for(Client, notulist)
    response = client.get(reverse("reports:advice_sync", args=[running_session.pk]), {"since": "-1"})
    assert response.status_code == 200 and "Geheim advies" in response.content.decode()
    assert events(running_session, action="viewed_advice") == [("fatima", "viewed_advice", "sync")]


def test_the_preparation_page_with_the_reasons_for_the_choice_is_a_view_of_the_minutes(scan_session, notulist):
    client_for(Client, notulist).get(reverse("sessions:detail", args=[scan_session.pk]))
    assert events(scan_session) == [("fatima", "viewed_minutes", "voorbereiding")]
