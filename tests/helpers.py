"""Helpers every test module may import (fixtures live in conftest.py): users in their roles, a
planned session, logged-in clients, a thread with its own connection, the autosave and sync
calls as the browser makes them, the structure of a tagged PDF, a live stream read through the
ASGI app, and a phone joining a table."""

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime

from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from actiescan.asgi import application as asgi_application
from actiescan.models import SuccessFactor
from sessions import services
from sessions.models import ActionPoint, ScanSession, SessionFactor, Status

PASSWORD = "een-lang-testwachtwoord"


def make_user(username, group, *, is_staff=False, first_name=""):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=is_staff, first_name=first_name
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def plan_session(initiative, moderator, notulist, codes=("maatwerk", "digitale-tools", "leren-monitoring")):
    session = ScanSession.objects.create(
        initiative=initiative,
        starts_at=timezone.now(),
        location="Tiel",
        moderator=moderator,
        notulist=notulist,
    )
    ids = [SuccessFactor.objects.get(code=code).pk for code in codes]
    services.choose_factors(session=session, factor_ids=ids, user=moderator)
    session.refresh_from_db()
    return session


def client_for(client_class, user):
    client = client_class()
    if user is not None:
        client.force_login(user)
    return client


def in_thread(work):
    """Run `work` in a thread with its own database connection; returns (thread, outcome)."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def save(client, session, key, value, version=None):
    """An autosave of one field, as live.js sends it."""
    data = {"field": key, "value": value}
    if version is not None:
        data["version"] = str(version)
    return client.post(
        reverse("sessions:save", args=[session.pk]), data, HTTP_ACCEPT="application/json"
    )


def sync(client, session, since, token=None):
    """A live-sync poll, as live.js sends it."""
    headers = {"X-Sync-Token": token} if token else {}
    return client.get(reverse("sessions:sync", args=[session.pk]), {"since": since}, headers=headers)


def at(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour, 0))


def make_session(initiative, moderator, notulist=None, *, when, status=Status.AFGEROND,
                 levels=None, actions=None):
    """A session with chosen factors: `levels` maps a catalogue code to (current, desired);
    `actions` maps a code to the texts of its action points."""
    session = ScanSession.objects.create(
        initiative=initiative, starts_at=when, moderator=moderator, notulist=notulist,
    )
    levels = levels if levels is not None else {"maatwerk": ("startend", "gevorderd")}
    ids = [SuccessFactor.objects.get(code=code).pk for code in levels]
    services.choose_factors(session=session, factor_ids=ids, user=moderator)
    for code, (current, desired) in levels.items():
        SessionFactor.objects.filter(session=session, factor__code=code).update(
            current_level=current, desired_level=desired
        )
    for code, texts in (actions or {}).items():
        for position, text in enumerate(texts, start=1):
            ActionPoint.objects.filter(
                session_factor__session=session, session_factor__factor__code=code,
                position=position,
            ).update(text=text)
    ScanSession.objects.filter(pk=session.pk).update(status=status)
    session.refresh_from_db()
    return session


def page_token(client, session) -> str:
    """The sync token the cockpit page hands to live.js."""
    html = client.get(reverse("sessions:cockpit", args=[session.pk])).content.decode()
    found = re.search(r'data-sync-token="([^"]+)"', html)
    assert found, "the cockpit carries no sync token"
    return found.group(1)


def settings_in_production(*names, **env) -> dict:
    """The values of these settings as a production process (DEBUG=0) computes them."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "SESSION_COOKIE_AGE")}
    environ.update({"DEBUG": "0", "SECRET_KEY": "p" * 60, "ALLOWED_HOSTS": "actiescan.example.org",
                    "DJANGO_SETTINGS_MODULE": "actiescan.settings", **env})
    code = ("import json, django; django.setup(); from django.conf import settings as s; "
            f"print(json.dumps({{k: getattr(s, k) for k in {list(names)!r}}}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environ,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextmanager
def smtp_server(refuse=()):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for the test: yields the list that every
    accepted message lands in, as (sender, recipients, email.message.Message). Addresses in
    `refuse` are refused at RCPT, as a mail server does with an unknown mailbox. Django is
    pointed at it with the SMTP backend, TLS off."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller
    from django.test import override_settings

    received = []

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address in refuse:
                return "550 5.1.1 Mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.mail_from, list(envelope.rcpt_tos),
                             message_from_bytes(envelope.content, policy=policy.default)))
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(MAILERS={"default": {
            "BACKEND": "actiescan.mail.SMTPBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "use_ssl": False,
                        "timeout": 5},
        }}):
            yield received
    finally:
        controller.stop()


def mail_parts(message) -> tuple[str, str]:
    """(plain text, HTML) of a sent django.core.mail message."""
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    return message.body, html


def finalized_version(session, moderator, notulist):
    """Close a running session with levels and action points, draft its advice and make
    version 1 final (with its real PDF)."""
    from reports import services as advice_services

    for sf in session.factors.order_by("position"):
        SessionFactor.objects.filter(pk=sf.pk).update(current_level="startend", desired_level="gevorderd")
        ActionPoint.objects.filter(session_factor=sf).update(text=f"Actie voor {sf.title}", owner="Marieke")
    services.close_session(session=session, user=moderator)
    session.refresh_from_db()
    advice = advice_services.get_or_draft_advice(session=session, user=notulist)
    return advice_services.finalize(advice=advice, user=notulist)


def structure(node):
    """Every element of a PDF's structure tree (pikepdf), in reading order."""
    import pikepdf

    kids = node.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from structure(kid)


def figure_alts(pdf_bytes) -> list[str]:
    """The alternative texts of the figures of a tagged PDF, in reading order."""
    import io

    import pikepdf

    pdf = pikepdf.open(io.BytesIO(bytes(pdf_bytes)))
    return [str(element.get("/Alt", "")) for element in structure(pdf.Root.StructTreeRoot)
            if str(element.S) == "/Figure"]
def admin_form_data(response) -> dict:
    """The POST data of an admin change page as it is shown (main form and inlines)."""
    data = {}

    def put(form, name):
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = value

    main = response.context["adminform"].form
    for name in main.fields:
        put(main, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        for form in formset.forms:
            for name in form.fields:
                put(form, name)
    return data



# --- Live streams through Django's real ASGI application -----------------------------------------

class EventStream:
    """One open stream (server-sent events) of the ASGI app at `path`, read event by event."""

    def __init__(self, path, cookie, *, since=None, last_event_id=None):
        query = f"since={since}" if since is not None else ""
        headers = [(b"cookie", f"sessionid={cookie}".encode()), (b"accept", b"text/event-stream")]
        if last_event_id is not None:
            headers.append((b"last-event-id", str(last_event_id).encode()))
        self.communicator = ApplicationCommunicator(asgi_application, {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path,
            "raw_path": b"", "query_string": query.encode(), "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        })
        self.buffer = ""
        self.status = None
        self.ended = False

    async def start(self):
        await self.communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
        message = await self.communicator.receive_output(10)
        self.status = message["status"]
        self.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        return self

    async def next_event(self, timeout=5.0) -> dict:
        """The next event as {"event", "id", "data"}; {} when the stream ended."""
        deadline = time.monotonic() + timeout
        while "\n\n" not in self.buffer:
            if self.ended:
                return {}
            message = await self.communicator.receive_output(max(0.01, deadline - time.monotonic()))
            self.buffer += message.get("body", b"").decode()
            self.ended = not message.get("more_body", False)
        block, self.buffer = self.buffer.split("\n\n", 1)
        fields = {"event": "message", "id": None, "data": ""}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            if name in ("event", "id"):
                fields[name] = value
            elif line.startswith("data:"):
                fields["data"] = line[5:].strip()
        return fields

    async def close(self):
        await self.communicator.send_input({"type": "http.disconnect"})
        try:
            await self.communicator.wait(2)
        except (TimeoutError, asyncio.CancelledError):
            pass


def elsewhere(work, *args):
    """Run sync work (a save through the test client) from the async scenario in another thread,
    which gives its database connection back when done."""

    def run():
        try:
            return work(*args)
        finally:
            connections.close_all()

    return sync_to_async(run)()


def run_async(scenario, *args):
    """asyncio.run(scenario(*args)) in a thread of its own: the browser tests' Playwright keeps an
    event loop running in the test thread of the same pytest worker."""
    thread, outcome = in_thread(lambda: asyncio.run(scenario(*args)))
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# --- Phones at the table ---------------------------------------------------------------------------

def make_join_code(session, user) -> str:
    """A new join code of the session, as the moderator reads it off the screen (KDTR-7M4P)."""
    from sessions import phones

    _code, plain = phones.create_code(session=session, user=user)
    return phones.display_code(plain)


def join_phone(client, code, name="", **extra):
    """A phone enters the join code on /mee/, as its browser sends it."""
    return client.post(reverse("sessions:phone_enter"), {"code": code, "name": name}, **extra)


def login_session_key(user) -> str:
    """A login session for `user`, stored in the database, as logging in makes it: its key is
    the value of the `sessionid` cookie (signed with this process's SECRET_KEY)."""
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def app_server(tmp_path, *, debug=False, workers=1):
    """The app as production serves it (scripts/serve: granian, ASGI) on a free port, on the
    test database and with this process's SECRET_KEY (so login cookies made here work there).
    Yields its base URL."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")}
    if db["ENGINE"] == "actiescan.db":
        env["SQLITE_PATH"] = str(db["NAME"])
    else:
        env["DATABASE_URL"] = (f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}"
                               f":{db['PORT'] or 5432}/{db['NAME']}")
    env.update(DEBUG="1" if debug else "0", SECRET_KEY=settings.SECRET_KEY,
               ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0", LOG_LEVEL="WARNING",
               STATIC_ROOT=str(tmp_path / "no-static"), AXES_ENABLED="0",
               GRANIAN_WORKERS=str(workers), VENV=str(Path(sys.executable).parent.parent))
    port = free_port()
    log_path = tmp_path / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(["bash", "scripts/serve"], cwd=settings.BASE_DIR,
                                   env={**env, "GRANIAN_PORT": str(port)}, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except OSError as error:  # refused, reset or timed out while the server boots
                if time.time() > deadline or process.poll() is not None:
                    raise AssertionError(log_path.read_text()[-2000:]) from error
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
