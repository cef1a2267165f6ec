"""Security hardening: a strict Content-Security-Policy and no inline code on any page,
brute-force protection on login, production cookies, a login on every non-public URL, and
object-level access (outsider 404, wrong role 403) for every view of sessions and reports."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from reports import services as advice_services
from reports.models import AdviceVersion, ShareLink
from sessions import autosave, phones, present, services
from sessions.models import (
    ActionPoint,
    ActionProposal,
    AuditEvent,
    Event,
    FieldRevision,
    JoinCode,
    Participant,
    PhoneParticipant,
    PresentCode,
    Reflection,
    ScanSession,
    SessionFactor,
    Status,
)

from .helpers import (
    PASSWORD,
    client_for,
    join_phone,
    make_join_code,
    plan_session,
    settings_in_production,
)

# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def finished(running_session, moderator, notulist):
    """A session that was held and closed, with a finalized advice and a share link."""
    Participant.objects.create(session=running_session, name="Marieke", role="representant")
    for sf in running_session.factors.all():
        autosave.save_field(session=running_session, key=f"factor:{sf.pk}:current_level",
                            values=["gevorderd"], version=None, user=moderator)
    services.close_session(session=running_session, user=moderator)
    running_session.refresh_from_db()
    advice = advice_services.get_or_draft_advice(session=running_session, user=notulist)
    version = advice_services.finalize(advice=advice, user=notulist)
    link = advice_services.create_share_link(version=version, user=moderator)
    return running_session, version, link


# --- Content-Security-Policy and no inline code -------------------------------------------------


class InlineCodeFinder(HTMLParser):
    """Everything a strict CSP would block (or that needs 'unsafe-inline' to work)."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value for name, value in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script> without src")
        if tag == "style":
            self.problems.append("inline <style> element")
        for name, value in names.items():
            if re.fullmatch(r"on[a-z]+", name) or name.startswith("hx-on"):
                self.problems.append(f"event handler attribute {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"style= attribute on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name}= on <{tag}>")


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_strict_csp_and_no_inline_code(response, label):
    assert "text/html" in response.headers.get("Content-Type", ""), label
    directives = csp_directives(response)
    assert directives, f"{label}: no Content-Security-Policy header"
    script_src = directives.get("script-src", directives.get("default-src"))
    style_src = directives.get("style-src", directives.get("default-src"))
    assert script_src == ["'self'"], (label, script_src)
    assert "'unsafe-inline'" not in style_src and "'unsafe-eval'" not in style_src, label
    assert directives.get("object-src") == ["'none'"] and directives.get("frame-ancestors") == ["'none'"]
    finder = InlineCodeFinder()
    finder.feed(response.content.decode())
    assert not finder.problems, (label, finder.problems)


def member_pages(session, version):
    pk = session.pk
    return [
        reverse("home"),
        reverse("sessions:list"),
        reverse("sessions:plan"),
        reverse("sessions:initiative_create"),
        reverse("sessions:initiative", args=[session.initiative_id]),
        reverse("sessions:detail", args=[pk]),
        reverse("sessions:edit", args=[pk]),
        reverse("sessions:cockpit", args=[pk]),
        reverse("sessions:notulist", args=[pk]),
        reverse("sessions:wrap_up", args=[pk]),
        reverse("reports:advice", args=[pk]),
        reverse("reports:advice_preview", args=[pk]),
        reverse("account"),
        reverse("password_change"),
        reverse("two_factor"),
        reverse("sessions:join_codes", args=[pk]),
        reverse("sessions:table_voices", args=[pk]),
        reverse("sessions:mark_spreads", args=[pk]),
    ] + ([reverse("reports:advice_send", args=[pk, version.number])] if version else [])


def staff_pages(session):
    pk = session.pk
    return [
        reverse("sessions:history", args=[pk]),
        reverse("reports:audit_log", args=[pk]),
        reverse("reports:sessions_overview"),
        reverse("reports:initiatives_overview"),
        reverse("reports:initiative_overview", args=[session.initiative_id]),
        reverse("reports:factors_overview"),
    ]


def test_every_page_sends_a_strict_csp_and_has_no_inline_code(finished, moderator, staff, initiative, notulist):
    session, version, link = finished
    # A running session too: the live screens look different before closing.
    running = plan_session(initiative, moderator, notulist)
    services.start_session(session=running, user=moderator)
    checked = 0
    for user, pages in (
        (moderator, member_pages(session, version) + member_pages(running, None)[5:10]),
        (staff, member_pages(session, version)[:4] + staff_pages(session)),
    ):
        client = client_for(Client, user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (user, url, response.status_code)
            assert_strict_csp_and_no_inline_code(response, url)
            checked += 1
    anonymous = Client()
    for url, status in (
        (reverse("login"), 200),
        (reverse("password_reset"), 200),
        (reverse("password_reset_done"), 200),
        (reverse("password_reset_confirm", args=["MQ", "x-y"]), 200),
        (reverse("privacy_statement"), 200),
        (reverse("accessibility_statement"), 200),
        (reverse("reports:shared", args=[link.token]), 200),
        (reverse("reports:shared", args=["x" * 43]), 404),
        ("/bestaat-niet/", 404),
    ):
        response = anonymous.get(url)
        assert response.status_code == status, url
        assert_strict_csp_and_no_inline_code(response, url)
        checked += 1
    # A phone at the table, without an account.
    phone = Client()
    join_phone(phone, make_join_code(running, moderator))
    for url in (reverse("sessions:phone_enter"), reverse("sessions:phone", args=[running.pk])):
        response = phone.get(url)
        assert response.status_code == 200, url
        assert_strict_csp_and_no_inline_code(response, url)
        checked += 1
    assert checked >= 30


def test_htmx_is_configured_for_the_csp(client, db):
    html = client.get(reverse("login")).content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html)
    assert config, "htmx-config meta tag missing"
    assert json.loads(config.group(1))["allowEval"] is False
    assert json.loads(config.group(1))["includeIndicatorStyles"] is False
    assert re.search(r'<script src="/static/[^"]*htmx[^"]*\.js"', html)


def test_the_finder_recognises_inline_code():
    finder = InlineCodeFinder()
    finder.feed('<p onclick="x()" style="color:red"><script>alert(1)</script>'
                '<a href="javascript:void(0)">x</a><button hx-on:click="y">b</button><style>p{}</style>')
    assert len(finder.problems) == 6


# --- Production settings --------------------------------------------------------------------------


def production_settings() -> dict:
    return settings_in_production(
        "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_AGE", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS", "AUTHENTICATION_BACKENDS", "MIDDLEWARE", "AXES_FAILURE_LIMIT",
    )


def test_production_cookies_are_secure_httponly_lax_and_outlive_a_session():
    prod = production_settings()
    assert prod["SESSION_COOKIE_SECURE"] is True and prod["CSRF_COOKIE_SECURE"] is True
    assert prod["SESSION_COOKIE_HTTPONLY"] is True
    assert prod["SESSION_COOKIE_SAMESITE"] == "Lax" and prod["CSRF_COOKIE_SAMESITE"] == "Lax"
    # A scan session lasts up to 90 minutes; the login must comfortably outlive it.
    assert prod["SESSION_COOKIE_AGE"] >= 2 * 60 * 60
    assert prod["SECURE_SSL_REDIRECT"] is True and prod["SECURE_HSTS_SECONDS"] >= 31536000
    assert prod["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"
    assert prod["MIDDLEWARE"][-1] == "axes.middleware.AxesMiddleware"
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in prod["MIDDLEWARE"]


def test_the_session_cookie_is_httponly_and_lax(client, moderator):
    response = client.post(reverse("login"), {"username": "jeroen", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 2 * 60 * 60


# --- Brute-force protection (django-axes) -----------------------------------------------------------


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_login_with_a_clear_dutch_message(moderator, staff):
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(4):
        response = log_in(client, "jeroen", "fout")
        assert response.status_code == 200 and "klopt niet" in response.content.decode()
    response = log_in(client, "jeroen", "fout")
    assert response.status_code == 429
    html = response.content.decode()
    assert "te vaak een verkeerd wachtwoord" in html and "15 minuten" in html
    assert '<html lang="nl">' in html
    # Even the right password is refused now, and nobody is logged in.
    response = log_in(client, "jeroen", PASSWORD)
    assert response.status_code == 429
    assert client.get(reverse("home")).status_code == 302
    # The lock is for this username from this address only.
    assert log_in(Client(REMOTE_ADDR="192.0.2.10"), "sanne", PASSWORD).status_code == 302
    assert log_in(Client(REMOTE_ADDR="198.51.100.7"), "jeroen", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off_time(moderator):
    from axes.models import AccessAttempt

    client = Client(REMOTE_ADDR="192.0.2.11")
    for _ in range(5):
        log_in(client, "jeroen", "fout")
    assert log_in(client, "jeroen", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timezone.timedelta(seconds=5))
    assert log_in(client, "jeroen", PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count(moderator):
    client = Client(REMOTE_ADDR="192.0.2.12")
    for _ in range(4):
        log_in(client, "jeroen", "fout")
    assert log_in(client, "jeroen", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert log_in(client, "jeroen", "fout").status_code == 200
    assert log_in(client, "jeroen", PASSWORD).status_code == 302


def test_the_admin_login_is_protected_too(staff):
    client = Client(REMOTE_ADDR="192.0.2.13")
    for _ in range(5):
        client.post("/beheer/login/", {"username": "sanne", "password": "fout"})
    response = client.post("/beheer/login/", {"username": "sanne", "password": PASSWORD})
    assert response.status_code == 429


# --- Every URL needs a login, except the public ones ------------------------------------------------

PUBLIC = {"login", "logout", "healthz", "favicon", "set_language", "shared", "shared_pdf",
          "accessibility_statement", "privacy_statement",
          # Forgetting a password happens before logging in (tests/test_password_reset.py).
          "password_reset", "password_reset_done", "password_reset_confirm",
          "password_reset_complete",
          # The present screen: a present code instead of a login (tests/test_present.py).
          "present_enter", "present_leave", "present", "present_sync", "present_case",
          "present_spread",
          # A phone at the table: a join code instead of a login (tests/test_phones.py).
          "phone_enter", "phone_leave", "phone", "phone_stream", "phone_sync", "phone_mark",
          "phone_proposal"}
EXAMPLE_VALUES = {"uidb64": "MQ", "pk": "1", "factor_pk": "1", "participant_pk": "1", "link_pk": "1", "number": "1",
                  "direction": "omhoog", "token": "x" * 43}


def every_route(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the admin has its own login (staff only), tested in test_accounts
            ns = f"{pattern.namespace}:" if pattern.namespace else ""
            for route, name in every_route(pattern, prefix + str(pattern.pattern)):
                yield route, (ns + name) if name else name
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


def example_url(route: str) -> str:
    def value(match):
        converter, name = match.group(1) or "str", match.group(2)
        return EXAMPLE_VALUES.get(name, "1" if converter == "int" else "x")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


@pytest.mark.django_db
def test_every_url_but_the_public_ones_requires_login():
    client = Client()
    checked = 0
    for route, name in every_route():
        if (name or "").split(":")[-1] in PUBLIC:
            continue
        url = example_url(route)
        answered = set()
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            # 405: the view does not take this method at all (and says nothing about it).
            assert response.status_code in (302, 401, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response.url.startswith(reverse("login")), url
            elif response.status_code == 401:
                assert "Log" in response.json()["message"]
            answered.add(response.status_code)
        assert answered & {302, 401}, (url, answered)
        checked += 1
    assert checked >= 35


# Django's own views, which decide about methods themselves.
NOT_OURS = {"set_language", "login", "logout"}


@pytest.mark.django_db
def test_every_view_names_the_methods_it_takes(staff):
    """@require_GET / @require_POST (or the list of methods) on every view of ours: a GET never
    changes state, and a method nobody planned for is refused before the view runs."""
    client = client_for(Client, staff)
    checked = []
    for route, name in every_route():
        if (name or "").split(":")[-1] in NOT_OURS:
            continue
        url = example_url(route)
        response = client.generic("PUT", url)
        assert response.status_code == 405, (url, response.status_code)
        checked.append(url)
    assert len(checked) >= 50


def test_public_pages_open_without_login(client, db):
    for name in ("login", "accessibility_statement", "privacy_statement"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("healthz")).status_code == 200


# --- Object-level access for every view --------------------------------------------------------------


@pytest.fixture
def world(finished, moderator, notulist, initiative):
    session, version, link = finished
    participant = session.participants.first()
    factor = session.factors.order_by("position").first()
    action = factor.action_points.first()
    section = session.advice.sections.first()
    event = Event.objects.create(name="Werkbijeenkomst", starts_at=timezone.now(), organiser=None)
    code = present.create_code(session=session, user=moderator)
    join_code, _plain = phones.create_code(session=session, user=moderator)
    phone = PhoneParticipant.objects.create(session=session, join_code=join_code, name="Anna")
    proposal = ActionProposal.objects.create(participant=phone, session_factor=factor, text="Idee")
    revision = FieldRevision.objects.create(session=session, field=f"factor:{factor.pk}:minutes",
                                            value="Een oude versie", version=1, author=moderator)
    return {
        "session": session, "initiative": initiative, "version": version, "link": link,
        "participant": participant, "factor": factor, "action": action, "section": section,
        "event": event, "code": code, "revision": revision, "join_code": join_code, "phone": phone,
        "proposal": proposal,
    }


# name: (method, url kwargs from the world, POST data, who gets 403 (wrong role) or None).
# Every URL name of the sessions and reports apps must be here (see the test below).
OBJECT_VIEWS = {
    "sessions:initiative": ("get", lambda w: [w["initiative"].pk], {}, None),
    "sessions:detail": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:edit": ("get", lambda w: [w["session"].pk], {}, "notulist"),
    "sessions:choose_factors": ("post", lambda w: [w["session"].pk], {"factors": ["1"]}, "notulist"),
    "sessions:move_factor": ("post", lambda w: [w["session"].pk, w["factor"].pk, "omlaag"], {}, "notulist"),
    "sessions:add_participant": ("post", lambda w: [w["session"].pk], {"name": "X", "role": "representant"}, None),
    "sessions:remove_participant": ("post", lambda w: [w["session"].pk, w["participant"].pk], {}, None),
    "sessions:start": ("post", lambda w: [w["session"].pk], {}, "notulist"),
    "sessions:cockpit": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:notulist": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:wrap_up": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:go_to_factor": ("post", lambda w: [w["session"].pk, w["factor"].pk], {}, "notulist"),
    "sessions:go_to_wrap_up": ("post", lambda w: [w["session"].pk], {}, "notulist"),
    "sessions:close": ("post", lambda w: [w["session"].pk], {}, "notulist"),
    "sessions:reopen": ("post", lambda w: [w["session"].pk], {}, "notulist"),
    "sessions:save": ("post", lambda w: [w["session"].pk],
                      lambda w: {"field": f"factor:{w['factor'].pk}:minutes", "value": "x", "version": "0"}, None),
    "sessions:sync": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:unsaved_text": ("post", lambda w: [w["session"].pk], {"screen": "abcdef0123456789", "fields": "1"}, None),
    "sessions:stream": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:history": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:history_restore": ("post", lambda w: [w["session"].pk, w["revision"].pk], {}, None),
    "reports:audit_log": ("get", lambda w: [w["session"].pk], {}, "moderator"),
    "reports:advice": ("get", lambda w: [w["session"].pk], {}, None),
    "reports:advice_save": ("post", lambda w: [w["session"].pk],
                            lambda w: {"field": f"section:{w['section'].pk}:text", "value": "x", "version": "0"}, None),
    "reports:advice_sync": ("get", lambda w: [w["session"].pk], {}, None),
    "reports:advice_preview": ("get", lambda w: [w["session"].pk], {}, None),
    "reports:advice_preview_pdf": ("get", lambda w: [w["session"].pk], {}, None),
    "reports:advice_finalize": ("post", lambda w: [w["session"].pk], {}, None),
    "reports:advice_version_pdf": ("get", lambda w: [w["session"].pk, w["version"].number], {}, None),
    # Whoever may share the advice: the moderator, the notulist and staff (tests/test_advice_delivery.py).
    "reports:share_create": ("post", lambda w: [w["session"].pk, w["version"].number], {}, None),
    "reports:share_revoke": ("post", lambda w: [w["session"].pk, w["link"].pk], {}, None),
    "reports:advice_send": ("post", lambda w: [w["session"].pk, w["version"].number],
                            {"recipients": "a@example.org", "message": "x", "days": "30"}, None),
    "reports:action_status": ("post", lambda w: [w["action"].pk], {"status": "gedaan"}, None),
    "reports:initiative_overview": ("get", lambda w: [w["initiative"].pk], {}, "moderator"),
    # Workshops (issue 7): an event is for its organiser and staff, a table keeps its session's access.
    "sessions:event": ("get", lambda w: [w["event"].pk], {}, None),
    "sessions:event_edit": ("get", lambda w: [w["event"].pk], {}, None),
    "sessions:event_tables": ("get", lambda w: [w["event"].pk], {}, None),
    "sessions:event_add_table": ("post", lambda w: [w["event"].pk],
                                 lambda w: {"initiative": w["initiative"].pk, "location": "Tafel 1",
                                            "moderator": w["session"].moderator_id, "language": "nl"}, None),
    "sessions:event_reflection": ("post", lambda w: [w["event"].pk], {"insights": "x", "version": "0"}, None),
    "sessions:event_export": ("get", lambda w: [w["event"].pk], {}, None),
    "sessions:reflection": ("post", lambda w: [w["session"].pk], {"insights": "x", "version": "0"}, None),
    "sessions:present_codes": ("get", lambda w: [w["session"].pk], {}, None),
    # Inspiration for action points (issue 18): whoever may see the session.
    "sessions:inspiration": ("get", lambda w: [w["session"].pk, w["factor"].pk], {}, None),
    "sessions:take_over_example": ("post", lambda w: [w["session"].pk, w["factor"].pk],
                                   {"example": "1", "position": "1"}, None),
    # The printable scan of a session (issue 18): whoever may see the session.
    "reports:worksheet": ("get", lambda w: [w["session"].pk], {}, None),
    "reports:preparation_sheet": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:present_code_create": ("post", lambda w: [w["session"].pk], {}, "notulist"),
    "sessions:present_code_revoke": ("post", lambda w: [w["session"].pk, w["code"].pk], {}, "notulist"),
    # Taking part from a phone (tests/test_phones.py): the notulist sees, the moderator runs.
    "sessions:join_codes": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:join_code_create": ("post", lambda w: [w["session"].pk], {}, "notulist"),
    "sessions:join_code_revoke": ("post", lambda w: [w["session"].pk, w["join_code"].pk], {}, "notulist"),
    "sessions:phone_remove": ("post", lambda w: [w["session"].pk, w["phone"].pk], {}, "notulist"),
    "sessions:table_voices": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:mark_spreads": ("get", lambda w: [w["session"].pk], {}, None),
    "sessions:mark_round": ("post", lambda w: [w["session"].pk, w["factor"].pk], {"action": "reveal"}, "notulist"),
    "sessions:proposal_adopt": ("post", lambda w: [w["session"].pk, w["proposal"].pk], {"position": "1"}, "notulist"),
    "sessions:proposal_dismiss": ("post", lambda w: [w["session"].pk, w["proposal"].pk], {}, "notulist"),
}
# Pages without an object: who may open them is a matter of role only.
ROLE_VIEWS = {
    "sessions:list": ("get", None),
    "sessions:plan": ("get", "notulist"),
    "sessions:initiative_create": ("get", "notulist"),
    "reports:sessions_overview": ("get", "moderator"),
    "reports:sessions_export": ("get", "moderator"),
    "reports:initiatives_overview": ("get", "moderator"),
    "reports:initiatives_export": ("get", "moderator"),
    "reports:initiatives_import": ("get", "moderator"),
    "reports:factors_overview": ("get", "moderator"),
    "sessions:events": ("get", None),
    "sessions:event_create": ("get", "notulist"),
    "sessions:case_list": ("get", None),
    # A casus is invented training material: every logged-in user may read it.
    "sessions:case": ("get", None),
    # The blank printable scan (issue 18): for those who plan sessions.
    "reports:blank_worksheet": ("get", "notulist"),
    "reports:blank_preparation_sheet": ("get", "notulist"),
}
TOKEN_VIEWS = {"reports:shared", "reports:shared_pdf",
               # The present screen opens with a present code (tests/test_present.py).
               "sessions:present_enter", "sessions:present_leave", "sessions:present",
               "sessions:present_sync", "sessions:present_case", "sessions:present_spread",
               # A phone opens its table with a join code (tests/test_phones.py).
               "sessions:phone_enter", "sessions:phone_leave", "sessions:phone",
               "sessions:phone_stream", "sessions:phone_sync", "sessions:phone_mark",
               "sessions:phone_proposal"}


def test_the_access_tables_cover_every_url_of_sessions_and_reports():
    names = {name for _route, name in every_route()
             if name and (name.startswith(("sessions:", "reports:")))}
    missing = names - set(OBJECT_VIEWS) - set(ROLE_VIEWS) - TOKEN_VIEWS
    assert not missing, f"add these views to the access tests: {sorted(missing)}"


def snapshot(session):
    session.refresh_from_db()
    return (
        session.status, session.revision, FieldRevision.objects.count(), AdviceVersion.objects.count(),
        ShareLink.objects.filter(revoked_at__isnull=True).count(), Participant.objects.count(),
        list(ActionPoint.objects.order_by("pk").values_list("status", flat=True)),
        AuditEvent.objects.filter(user__username="pieter").count(),
        ScanSession.objects.count(), Reflection.objects.count(),
        PresentCode.objects.filter(revoked_at__isnull=True).count(),
        list(JoinCode.objects.values_list("revoked_at", flat=True)),
        list(PhoneParticipant.objects.values_list("left_at", flat=True)),
        list(ActionProposal.objects.values_list("adopted_into", "dismissed_at")),
        list(SessionFactor.objects.order_by("pk").values_list("marks_open", "marks_revealed", "marks_on_screen")),
    )


def request_view(client, name, spec, world):
    method, args, data, _ = spec
    url = reverse(name, args=args(world))
    data = data(world) if callable(data) else data
    return getattr(client, method)(url, data, HTTP_ACCEPT="application/json" if "save" in name else "*/*")


def test_an_outsider_gets_404_on_every_object_and_changes_nothing(world, outsider):
    client = client_for(Client, outsider)
    before = snapshot(world["session"])
    for name, spec in OBJECT_VIEWS.items():
        if name == "reports:initiative_overview":
            continue  # staff only: an outsider is refused by role (403), tested below
        response = request_view(client, name, spec, world)
        assert response.status_code == 404, (name, response.status_code)
    assert snapshot(world["session"]) == before


def test_the_wrong_role_gets_403_and_changes_nothing(world, request):
    before = snapshot(world["session"])
    checked = 0
    for name, spec in OBJECT_VIEWS.items():
        if spec[3] is None:
            continue
        client = client_for(Client, request.getfixturevalue(spec[3]))
        response = request_view(client, name, spec, world)
        assert response.status_code == 403, (name, spec[3], response.status_code)
        checked += 1
    for name, (method, role) in ROLE_VIEWS.items():
        if role is None:
            continue
        client = client_for(Client, request.getfixturevalue(role))
        response = getattr(client, method)(reverse(name))
        assert response.status_code == 403, (name, role, response.status_code)
        checked += 1
    assert checked >= 16
    assert snapshot(world["session"]) == before


def test_the_right_people_do_get_in(world, moderator, notulist, staff):
    """The other side of the tables above: the 403s and 404s are about who asks, not broken URLs."""
    for name in ("sessions:edit", "reports:audit_log", "reports:share_create",
                 "reports:initiative_overview"):
        spec = OBJECT_VIEWS[name]
        response = request_view(client_for(Client, staff), name, spec, world)
        assert response.status_code in (200, 302), (name, response.status_code)
    for name in ("sessions:detail", "sessions:cockpit", "sessions:history", "reports:advice",
                 "reports:advice_version_pdf"):
        for user in (moderator, notulist):
            response = request_view(client_for(Client, user), name, OBJECT_VIEWS[name], world)
            assert response.status_code == 200, (name, user, response.status_code)


# --- The role table of the README ("Wie mag wat") ------------------------------------------------

README = settings.BASE_DIR / "README.md"
ROLE_COLUMNS = ["staff", "moderator", "notulist", "outsider", "phone", "share_link"]
ROLE_HEADERS = ["SER-medewerker (staff)", "moderator of the session", "notulist of the session",
                "other moderator", "phone at the table", "initiative (share link)"]


def readme_role_table() -> dict[str, dict[str, str]]:
    """The table under "## Wie mag wat" in README.md: action → role → yes / no / —."""
    text = README.read_text(encoding="utf-8").split("## Wie mag wat", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header[1:] == ROLE_HEADERS, header
    table = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        table[cells[0]] = dict(zip(ROLE_COLUMNS, cells[1:], strict=True))
    return table


def fresh(model_factory):
    """A URL argument made anew for every request: removing or revoking twice is no test."""
    return lambda w: model_factory(w)


def new_participant(w):
    return Participant.objects.create(session=w["session"], name="Kees", role="representant").pk


def new_present_code(w):
    return present.create_code(session=w["session"], user=w["session"].moderator).pk


def new_join_code(w):
    return phones.create_code(session=w["session"], user=w["session"].moderator)[0].pk


def new_phone(w):
    return PhoneParticipant.objects.create(session=w["session"], join_code=w["join_code"], name="Bo").pk


def new_proposal(w):
    return ActionProposal.objects.create(participant=w["phone"], session_factor=w["factor"], text="Idee").pk


def section_version(w):
    w["section"].refresh_from_db()
    return {"field": f"section:{w['section'].pk}:text", "value": "x", "version": str(w["section"].text_version)}


def field_version(w):
    w["factor"].refresh_from_db()
    return {"field": f"factor:{w['factor'].pk}:minutes", "value": "x", "version": str(w["factor"].minutes_version)}


def reopened(w):
    services.reopen_session(session=w["session"], user=w["session"].moderator)
    w["session"].refresh_from_db()


def shared_token(w):
    return advice_services.issue_share_link(version=w["version"], user=w["session"].moderator)[1]


# Per action of the README table: (URL name, method, args, data, kind). kind "object": a URL of one
# session (an outsider gets 404); "role": a page of a role (whoever lacks it gets 403).
S = lambda w: [w["session"].pk]  # noqa: E731
ROLE_TABLE_ENDPOINTS = {
    "Plan a session or an event, add an initiative": [
        ("sessions:plan", "get", lambda w: [], {}, "role"),
        ("sessions:initiative_create", "get", lambda w: [], {}, "role"),
        ("sessions:event_create", "get", lambda w: [], {}, "role"),
    ],
    "Change the planning of the session": [("sessions:edit", "get", S, {}, "object")],
    "Open the session: preparation, cockpit, minutes, wrap-up, history, worksheet": [
        (name, "get", S, {}, "object") for name in (
            "sessions:detail", "sessions:cockpit", "sessions:notulist", "sessions:wrap_up",
            "sessions:history", "reports:worksheet")
    ],
    "Choose the factors and their order": [
        ("sessions:choose_factors", "post", S, lambda w: {"factors": [str(w["factor"].factor_id)]}, "object"),
        ("sessions:move_factor", "post", lambda w: [w["session"].pk, w["factor"].pk, "omlaag"], {}, "object"),
    ],
    "Keep who is at the table": [
        ("sessions:add_participant", "post", S, {"name": "X", "role": "representant"}, "object"),
        ("sessions:remove_participant", "post", lambda w: [w["session"].pk, new_participant(w)], {}, "object"),
    ],
    "Start the session": [("sessions:start", "post", S, {}, "object")],
    "Move the table to a factor or to the wrap-up": [
        ("sessions:go_to_factor", "post", lambda w: [w["session"].pk, w["factor"].pk], {}, "object"),
        ("sessions:go_to_wrap_up", "post", S, {}, "object"),
    ],
    "Type into the session (minutes, levels, action points), restore an earlier text": [
        ("sessions:save", "post", S, field_version, "object"),
        ("sessions:history_restore", "post", lambda w: [w["session"].pk, w["revision"].pk], {}, "object"),
    ],
    "Close and reopen the session": [
        ("sessions:close", "post", S, {}, "object"),
        ("sessions:reopen", "post", S, {}, "object"),
    ],
    "Present-screen and join codes, the table's marks and proposals": [
        ("sessions:present_code_create", "post", S, {}, "object"),
        ("sessions:present_code_revoke", "post", lambda w: [w["session"].pk, new_present_code(w)], {}, "object"),
        ("sessions:join_code_create", "post", S, {}, "object"),
        ("sessions:join_code_revoke", "post", lambda w: [w["session"].pk, new_join_code(w)], {}, "object"),
        ("sessions:phone_remove", "post", lambda w: [w["session"].pk, new_phone(w)], {}, "object"),
        ("sessions:mark_round", "post", lambda w: [w["session"].pk, w["factor"].pk], {"action": "reveal"}, "object"),
        ("sessions:proposal_adopt", "post", lambda w: [w["session"].pk, new_proposal(w)], {"position": "1"}, "object"),
        ("sessions:proposal_dismiss", "post", lambda w: [w["session"].pk, new_proposal(w)], {}, "object"),
    ],
    "Write the advice, preview it, make a version final": [
        ("reports:advice", "get", S, {}, "object"),
        ("reports:advice_save", "post", S, section_version, "object"),
        ("reports:advice_preview", "get", S, {}, "object"),
        ("reports:advice_finalize", "post", S, {}, "object"),
    ],
    "Share the advice and send it to the initiative": [
        ("reports:share_create", "post", lambda w: [w["session"].pk, w["version"].number], {}, "object"),
        ("reports:share_revoke", "post", lambda w: [w["session"].pk, w["link"].pk], {}, "object"),
        ("reports:advice_send", "get", lambda w: [w["session"].pk, w["version"].number], {}, "object"),
    ],
    "Update how an action point stands (follow-up review)": [
        ("reports:action_status", "post", lambda w: [w["action"].pk], {"status": "bezig"}, "object"),
    ],
    "Read the audit log": [("reports:audit_log", "get", S, {}, "object")],
    "Staff overviews, exports, importing initiatives": [
        (name, "get", lambda w: [], {}, "role") for name in (
            "reports:sessions_overview", "reports:initiatives_overview", "reports:factors_overview",
            "reports:initiatives_import")
    ] + [("reports:initiative_overview", "get", lambda w: [w["initiative"].pk], {}, "role")],
    "Follow the table and take part from a phone": [
        ("sessions:phone", "get", S, {}, "phone"),
        ("sessions:phone_sync", "get", S, {}, "phone"),
    ],
    "Read the shared advice": [
        ("reports:shared", "get", lambda w: [shared_token(w)], {}, "token"),
    ],
}
# Actions that need the session running (the world's session is closed, with its advice).
NEEDS_RUNNING = {"Type into the session (minutes, levels, action points), restore an earlier text",
                 "Present-screen and join codes, the table's marks and proposals",
                 "Move the table to a factor or to the wrap-up", "Follow the table and take part from a phone"}


def test_the_role_table_of_the_readme_names_every_action_the_test_knows():
    assert list(readme_role_table()) == list(ROLE_TABLE_ENDPOINTS)


def role_client(role, world, request):
    if role == "share_link":
        return Client()
    if role == "phone":
        session, client = world["session"], Client()
        was_closed = session.is_closed
        if was_closed:  # a phone joins a running table; the session is closed again after
            reopened(world)
        assert join_phone(client, make_join_code(session, session.moderator), "Anna").status_code == 302
        if was_closed:
            services.close_session(session=session, user=session.moderator)
            session.refresh_from_db()
        return client
    return client_for(Client, request.getfixturevalue(role))


def expected(answer, role, kind, response, name):
    """Whether `response` is what the README's `answer` for this role promises."""
    status = response.status_code
    login = status in (302, 401) and (status == 401 or response.url.startswith(reverse("login")))
    if answer == "yes":
        return status in (200, 204, 302) and not login
    # no: the session's own people and role pages 403; an outsider 404; no account: the login.
    if role in ("phone", "share_link"):
        if kind == "phone":  # a phone page opened without joining: the code entry
            return status == 302 and response.url == reverse("sessions:phone_enter")
        return login
    if kind == "object" and role == "outsider":
        return status == 404
    return status == 403


@pytest.mark.parametrize("action", list(ROLE_TABLE_ENDPOINTS))
def test_the_role_table_of_the_readme_is_what_the_app_does(action, world, request):
    """Each cell of "Wie mag wat" in README.md, tried against every endpoint of its row."""
    row = readme_role_table()[action]
    if action in NEEDS_RUNNING:
        reopened(world)
    checked = 0
    # The refusals first: they must change nothing that an allowed call then relies on.
    for role in sorted(ROLE_COLUMNS, key=lambda r: row[r] == "yes"):
        answer = row[role]
        if answer == "—":
            continue
        assert answer in ("yes", "no"), (action, role, answer)
        client = role_client(role, world, request)
        for name, method, args, data, kind in ROLE_TABLE_ENDPOINTS[action]:
            url = reverse(name, args=args(world))
            payload = data(world) if callable(data) else data
            response = getattr(client, method)(url, payload,
                                               HTTP_ACCEPT="application/json" if "save" in name else "*/*")
            assert expected(answer, role, kind, response, name), (
                action, role, answer, name, response.status_code, getattr(response, "url", ""))
            checked += 1
    assert checked


def test_a_closed_session_stays_closed_for_its_notulist(world, notulist):
    client = client_for(Client, notulist)
    assert client.post(reverse("sessions:reopen", args=[world["session"].pk])).status_code == 403
    assert ScanSession.objects.get(pk=world["session"].pk).status == Status.AFGEROND
