"""Workshop load benchmark: tables of a moderator and a notulist, as two real browsers behave.

Starts the production server (scripts/serve: granian, DEBUG off) on 127.0.0.1, prepares one scan
session per table, and gives each of its two screens what a browser has: an open event stream
(server-sent events) and a kept-alive connection. Each screen saves every --save-interval seconds
(the fields and their mix as two real browsers recorded them, bench/record_browsers.py →
bench/results/browser_mix.json) and reports unsaved text as often per save as they did; the
moderator moves the table as often per save as he did (then his page loads); every event on a
screen's stream that says `refresh` makes it fetch its htmx fragments again, and the notulist's
screen follows a move of the table, as live.js does. A trivial view (/healthz) is requested in
the same run as the floor.

Prints p50/p95/p99 per kind of request, and two latencies measured on the other screen's stream:
`visible` from a save's answer (the commit) to the event that carries it there, and `keystroke`
from the last key (the 800-ms pause of the autosave included). Also errors, requests per second,
the CPU used by the server, the load generator and (with --db postgres) PostgreSQL, and the
server's memory per open stream.

    .venv/bin/python bench/load.py --users 100 --duration 60 --db sqlite
    .venv/bin/python bench/load.py --users 100 --duration 60 --db postgres
    .venv/bin/python bench/load.py --ramp 200,400,600,1000 --duration 30 --save-interval 10

Only loopback traffic; every loop is bounded by --duration. The load generator is plain
asyncio (no dependencies) so it leaves as much of the 2 cores as possible to the server.
"""

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
POSTGRES_BENCH_DB = "actiescan_bench"


# --- Preparing the database (runs in a child process with the server's environment) -----------

PREPARE = r"""
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.utils import timezone
from actiescan.models import SuccessFactor
from sessions import services
from sessions.models import Initiative, ScanSession

call_command("migrate", verbosity=0)
pairs = int(sys.argv[1])
User = get_user_model()
factor_ids = list(SuccessFactor.objects.values_list("pk", flat=True))
initiative = Initiative.objects.create(name="Benchmark-initiatief")
tables = []

def cookie_for(user):
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return store.session_key

for n in range(pairs):
    moderator = User.objects.create(username=f"bench-mod-{n}", first_name="Mod")
    notulist = User.objects.create(username=f"bench-not-{n}", first_name="Not")
    session = ScanSession.objects.create(
        initiative=initiative, starts_at=timezone.now(), moderator=moderator, notulist=notulist)
    services.choose_factors(session=session, factor_ids=factor_ids, user=moderator)
    services.start_session(session=session, user=moderator)
    session.refresh_from_db()
    factors = [{"pk": sf.pk, "actions": [a.pk for a in sf.action_points.order_by("position")]}
               for sf in session.factors.order_by("position")]
    tables.append({"session": session.pk, "revision": session.revision, "factors": factors,
                   "moderator": cookie_for(moderator), "notulist": cookie_for(notulist)})
json.dump(tables, sys.stdout)
"""


def server_env(db: str, sqlite_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        DJANGO_SETTINGS_MODULE="actiescan.settings",
        STATIC_ROOT=str(sqlite_path.parent / "static"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if db == "postgres":
        env["DATABASE_URL"] = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + POSTGRES_BENCH_DB
    else:
        env["SQLITE_PATH"] = str(sqlite_path)
    return env


def reset_postgres():
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{POSTGRES_BENCH_DB}"')


def prepare(env: dict, tables: int) -> list[dict]:
    result = subprocess.run(
        [PYTHON, "-c", PREPARE, str(tables)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=900, check=True,
    )
    return json.loads(result.stdout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    """The app as production serves it: scripts/serve (granian, ASGI) with collected static files."""
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    env = {**env, "GRANIAN_PORT": str(port), "GRANIAN_WORKERS": str(workers),
           "VENV": str(Path(PYTHON).parent.parent)}
    log = open(Path(env["STATIC_ROOT"]).parent / "server.log", "wb")
    process = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "serve")], cwd=ROOT, env=env, stdout=log, stderr=log,
        start_new_session=True,
    )
    process.log_path = log.name
    deadline = time.time() + 60  # a busy machine starts two workers slowly
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if b" 200 " in sock.recv(100):
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start: " + Path(process.log_path).read_text()[-2000:])


def stop_server(process: subprocess.Popen):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


# --- The load generator -------------------------------------------------------------------------

class Connection:
    """One kept-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None
        self.sync_token = None

    async def request(self, method, path, headers, body=b""):
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in headers.items()
            ) + f"Content-Length: {len(body)}\r\n\r\n"
            try:
                self.writer.write(head.encode() + body)
                await self.writer.drain()
                return await self.read_response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer = None
                if attempt == 2:
                    raise

    async def read_response(self):
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, chunked, close, sync_token = 0, False, False, None
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
            elif name == "x-sync-token":
                sync_token = line.decode("latin-1").partition(":")[2].strip()
        if chunked:
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.writer = None
        self.sync_token = sync_token
        return status, body


MIX = json.loads((ROOT / "bench" / "results" / "browser_mix.json").read_text())
CSRF = "b" * 32  # an unmasked 32-character CSRF secret, the same in cookie and header
DEBOUNCE_S = 0.8  # static/js/live/saving.js: a text is saved 800 ms after the last key
LEVELS = ["startend", "gevorderd", "voldragen"]
# What a refresh fetches (the navigation comes out of band with it, sessions/views/live.py), and
# the text fields each screen holds itself: a change of one of those refreshes nothing there
# (static/js/live/sync.js changesSummary; the bench's action texts are never emptied).
FRAGMENTS = {"moderator": ("cockpit", ("factor-status",)),
             "notulist": ("notulist", ("factor-summary",))}
OWN_TEXTS = {"moderator": ("factor:*:rationale", "factor:*:minutes", "action:*:text", "action:*:owner",
                           "action:*:timeframe"),
             "notulist": ("factor:*:minutes", "session:*:general_minutes", "session:*:wrap_up_notes")}


def refreshes(role: str, payload: dict) -> bool:
    """Whether the browser's live:refresh fires on this screen for this event."""
    if not payload.get("refresh"):
        return False
    if payload.get("structural"):
        return True
    own = {tuple(pattern.split(":")[::2]) for pattern in OWN_TEXTS[role]}
    return any((key.split(":")[0], key.split(":")[-1]) not in own for key in payload.get("fields", {}))


def per_save(role: str, kind: str) -> float:
    """How often a screen of `role` does `kind` per save of its own, in the recorded session."""
    rates = MIX["per_minute"][role]
    return rates.get(kind, 0.0) / rates["save"]


def weighted_fields(role: str) -> list[tuple[str, float]]:
    counts = MIX["saved_fields"][role]
    total = sum(counts.values())
    return [(name, n / total) for name, n in counts.items()]


def happens(rate: float) -> int:
    """A whole number of times with `rate` as its mean (1.4: once, and a second time 40 %)."""
    return int(rate) + (random.random() < rate - int(rate))


class SSEStream:
    """A screen's open event stream: the server-sent events of its session."""

    def __init__(self, port, path, cookie):
        self.port, self.path, self.cookie = port, path, cookie

    async def events(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write((f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {self.cookie}\r\n"
                      "Accept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        status = int((await reader.readuntil(b"\r\n")).split()[1])
        chunked = False
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            if line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower():
                chunked = True
        if status != 200:
            raise ConnectionError(f"stream status {status}")
        buffer = b""
        try:
            while True:
                if chunked:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    if size == 0:
                        return
                    buffer += (await reader.readexactly(size + 2))[:-2]
                else:
                    chunk = await reader.read(65536)
                    if not chunk:
                        return
                    buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    name, data = "message", b""
                    for line in block.split(b"\n"):
                        if line.startswith(b"event: "):
                            name = line[7:].decode()
                        elif line.startswith(b"data:"):
                            data = line[5:].strip()
                    yield name, data
        finally:
            writer.close()


class Table:
    """A moderator and a notulist at one table, each with a browser screen: an open stream and
    a kept-alive connection for saves, unsaved-text reports, fragment refreshes and page loads,
    in the mix two real browsers recorded (bench/record_browsers.py)."""

    def __init__(self, table, port, results, save_interval):
        self.table, self.port, self.results, self.save_interval = table, port, results, save_interval
        self.session = table["session"]
        self.factor_index = 0
        self.versions = {}
        self.sent = {}  # token -> (sent at, answered at): the other screen times its arrival
        self.ticked = set()
        self.counter = 0

    @property
    def factor(self):
        return self.table["factors"][self.factor_index]

    def cookies(self, role):
        return f"sessionid={self.table[role]}; csrftoken={CSRF}"

    async def request(self, connection, kind, method, path, role, body=b"", headers=None):
        headers = {"Cookie": self.cookies(role), "Accept": "application/json", **(headers or {})}
        if method == "POST":
            headers.update({"X-CSRFToken": CSRF, "Content-Type": "application/x-www-form-urlencoded"})
        started = time.perf_counter()
        try:
            status, payload = await connection.request(method, path, headers, body)
        except Exception as error:  # noqa: BLE001 - every failure counts as an error
            self.results[kind].append((time.perf_counter() - started, f"exception {type(error).__name__}"))
            return None, None
        ok = status < 400 or (kind == "save" and status == 409)
        self.results[kind].append((time.perf_counter() - started, None if ok else f"status {status}"))
        return status, payload

    def field_value(self, role, name):
        """The key and value of a save of field `name` (e.g. "factor:minutes")."""
        kind, field = name.split(":")
        if kind == "session":
            key = f"session:{self.session}:{field}"
        elif kind == "action":
            key = f"action:{random.choice(self.factor['actions'])}:{field}"
        else:
            key = f"factor:{self.factor['pk']}:{field}"
        if field in ("current_level", "desired_level"):
            return key, [random.choice(LEVELS)], None
        if field == "discussed":
            self.ticked ^= {str(random.randrange(4))}
            return key, sorted(self.ticked), None  # none ticked: no value at all, as a browser
        self.counter += 1
        token = f"T{self.session}x{role[0]}x{self.counter}"
        text = f"Notulen {token}: de representant vertelt over de doelgroep en de partners. " * 2
        return key, [text], token

    async def save(self, connection, role):
        names, weights = zip(*weighted_fields(role), strict=True)
        key, values, token = self.field_value(role, random.choices(names, weights)[0])
        data = [("field", key)] + [("value", v) for v in values]
        if token:
            data.append(("version", self.versions.get(key, 0)))
        body = urlencode(data).encode()
        sent = time.perf_counter()
        status, payload = await self.request(connection, "save", "POST", f"/sessies/{self.session}/opslaan/",
                                             role, body)
        if status in (200, 409) and payload:
            answer = json.loads(payload)
            self.versions[key] = answer.get("version", 0)
            if status == 200 and token:
                self.sent[token] = (sent, time.perf_counter())

    async def screen(self, role, stop_at):
        connection = Connection(self.port)
        await asyncio.sleep(random.random() * self.save_interval)
        next_save = time.perf_counter()
        while time.perf_counter() < stop_at:
            await asyncio.sleep(max(0, next_save - time.perf_counter()))
            next_save += self.save_interval
            await self.save(connection, role)
            for _ in range(happens(per_save(role, "presence"))):
                body = urlencode({"screen": f"{role}-{self.session}", "fields": random.choice([0, 1])}).encode()
                await self.request(connection, "presence", "POST", f"/sessies/{self.session}/niet-opgeslagen/",
                                   role, body)
            if role == "moderator" and happens(per_save(role, "move")):
                self.factor_index = (self.factor_index + 1) % len(self.table["factors"])
                await self.request(connection, "move", "POST",
                                   f"/sessies/{self.session}/naar/{self.factor['pk']}/", role)
                await self.page(connection, role)

    async def page(self, connection, role):
        screen = "cockpit" if role == "moderator" else "notulist"
        await self.request(connection, "page", "GET", f"/sessies/{self.session}/{screen}/?factor={self.factor['pk']}",
                           role, headers={"Accept": "text/html"})

    async def refresh(self, connection, role):
        """What a screen's htmx fragments do on live:refresh: each asks for its part again."""
        screen, targets = FRAGMENTS[role]
        for target in targets:
            await self.request(connection, "fragment", "GET",
                               f"/sessies/{self.session}/{screen}/?factor={self.factor['pk']}", role,
                               headers={"Accept": "text/html", "HX-Request": "true", "HX-Target": target})

    async def listen(self, role, stop_at):
        """The screen's stream: times the other screen's texts, and refreshes fragments (or
        follows the table) as the browser does."""
        fragments = Connection(self.port)
        stream = SSEStream(self.port, f"/sessies/{self.session}/stream/?since={self.table['revision']}",
                           self.cookies(role))
        mine = role[0]
        shown_factor = self.factor["pk"]
        try:
            async for name, data in stream.events():
                if time.perf_counter() >= stop_at:
                    return
                if name != "message":
                    continue
                arrived = time.perf_counter()
                payload = json.loads(data)
                for item in payload.get("fields", {}).values():
                    value = item.get("value")
                    if not isinstance(value, str) or "Notulen T" not in value:
                        continue
                    token = value.split("Notulen ", 2)[1].split(":", 1)[0]
                    if token.split("x")[1] != mine and token in self.sent:
                        sent, answered = self.sent.pop(token)
                        self.results["visible"].append((arrived - answered, None))
                        self.results["keystroke"].append((DEBOUNCE_S + arrived - sent, None))
                if role == "notulist" and payload.get("current_factor") not in (None, shown_factor):
                    shown_factor = payload["current_factor"]
                    await self.page(fragments, role)  # her screen follows the table
                elif refreshes(role, payload):
                    await self.refresh(fragments, role)
        except Exception as error:  # noqa: BLE001
            if time.perf_counter() < stop_at:
                self.results["stream"].append((0, f"exception {type(error).__name__}: {error}"))


async def floor_user(port, stop_at, results, rate=5.0):
    connection = Connection(port)
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        try:
            status, _ = await connection.request("GET", "/healthz", {})
            results["floor"].append((time.perf_counter() - started, None if status == 200 else f"status {status}"))
        except Exception as error:  # noqa: BLE001
            results["floor"].append((time.perf_counter() - started, f"exception {type(error).__name__}"))
            connection = Connection(port)
        await asyncio.sleep(1 / rate)


async def run_load(tables, port, duration, save_interval):
    results = {kind: [] for kind in KINDS}
    stop_at = time.perf_counter() + duration
    # Streams open first (a screen loads, then opens its stream), ramped over 2 s.
    listeners, screens = [], []
    seated = [Table(table, port, results, save_interval) for table in tables]
    for n, table in enumerate(seated):
        for role in ("moderator", "notulist"):
            listeners.append(asyncio.create_task(table.listen(role, stop_at)))
        if n % 25 == 24:
            await asyncio.sleep(0.05)
    await asyncio.sleep(1)
    for table in seated:
        for role in ("moderator", "notulist"):
            screens.append(asyncio.create_task(table.screen(role, stop_at)))
    await asyncio.gather(floor_user(port, stop_at, results), *screens)
    await asyncio.sleep(1)  # the last events
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    return results


KINDS = ("save", "presence", "fragment", "move", "page", "floor", "visible", "keystroke", "stream")


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def summarise(results, duration):
    lines, summary = [], {}
    requests = [kind for kind in KINDS if kind not in ("visible", "keystroke", "stream")]
    total = sum(len(results[kind]) for kind in requests)
    for kind in KINDS:
        if not results[kind] and kind != "stream":
            continue
        timings = [t * 1000 for t, error in results[kind]]
        errors = [error for _, error in results[kind] if error]
        summary[kind] = {
            "n": len(timings), "errors": len(errors),
            "p50": percentile(timings, 50), "p95": percentile(timings, 95), "p99": percentile(timings, 99),
        }
        if kind == "stream":
            if errors:
                lines.append(f"  streams lost: {len(errors)} ({statistics.mode(errors)})")
            continue
        lines.append(
            f"  {kind:<9} n={len(timings):>6}  p50={summary[kind]['p50']:7.1f} ms  "
            f"p95={summary[kind]['p95']:7.1f} ms  p99={summary[kind]['p99']:7.1f} ms  errors={len(errors)}"
            + (f" ({statistics.mode(errors)})" if errors else "")
        )
    summary["requests"] = total
    summary["rps"] = total / duration
    ratio = summary["save"]["p95"] / summary["floor"]["p95"] if summary["floor"]["p95"] else float("nan")
    summary["ratio"] = ratio
    lines.append(f"  requests/s={summary['rps']:.0f}  save p95 / floor p95 = {ratio:.2f}  "
                 "(visible: the other screen's stream, from the save's answer; keystroke: from the "
                 "last key, the 800-ms pause included)")
    return summary, "\n".join(lines)


def cpu_seconds(pgid: int | None = None, name: str | None = None) -> float:
    """CPU time (user + system) of the processes in process group `pgid` (the server) or with
    command name `name` (the PostgreSQL server), from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command, fields = text[text.index("(") + 1:text.rindex(")")], text.rsplit(")", 1)[1].split()
        if (pgid is not None and int(fields[2]) == pgid) or command == name:  # field 5: the group
            total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_memory_kib(pgid: int) -> int:
    """Resident memory of the server's processes (process group `pgid`), from /proc."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            stat = (status.parent / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
            total += int(next((line.split()[1] for line in text.splitlines() if line.startswith("VmRSS:")), 0))
    return total


def measure(db, users_count, duration, workers, save_interval):
    tmp = Path(tempfile.mkdtemp(prefix="actiescan-bench-"))
    env = server_env(db, tmp / "bench.sqlite3")
    if db == "postgres":
        reset_postgres()
    tables = prepare(env, (users_count + 1) // 2)
    port = free_port()
    server = start_server(env, port, workers)
    try:
        def db_cpu_now():
            return cpu_seconds(name="postgres") if db == "postgres" else 0.0

        memory_before = server_memory_kib(server.pid)
        server_cpu, load_cpu, db_cpu = cpu_seconds(server.pid), own_cpu_seconds(), db_cpu_now()
        memory = {}

        async def run_and_sample():
            task = asyncio.create_task(run_load(tables, port, duration, save_interval))
            await asyncio.sleep(min(duration / 2, 20))
            memory["open"] = server_memory_kib(server.pid)
            return await task

        results = asyncio.run(run_and_sample())
        server_cpu = cpu_seconds(server.pid) - server_cpu
        load_cpu = own_cpu_seconds() - load_cpu
        db_cpu = db_cpu_now() - db_cpu
    finally:
        stop_server(server)
    summary, text = summarise(results, duration)
    requests = summary["requests"] or 1
    streams = 2 * len(tables)
    text += (
        f"\n  CPU: server {server_cpu / duration * 100:.0f}% of a core "
        f"({server_cpu / requests * 1000:.2f} ms per request, the pushes included), "
        f"load generator {load_cpu / duration * 100:.0f}% ({load_cpu / requests * 1000:.2f} ms per request)"
        + (f", PostgreSQL {db_cpu / duration * 100:.0f}% ({db_cpu / requests * 1000:.2f} ms per request)"
           if db == "postgres" else "")
        + f"\n  memory: server {memory_before // 1024} MiB before, {memory.get('open', 0) // 1024} MiB with "
        f"{streams} streams open ({(memory.get('open', 0) - memory_before) / streams:.0f} KiB per open stream)"
    )
    return summary, text


def main():
    # A SIGTERM (e.g. from `timeout`) must still run the `finally` that stops the server, which
    # runs in its own process group.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save-interval", type=float, default=2.0,
                        help="seconds between one screen's saves (the recorded session: 2.1-2.5 s)")
    parser.add_argument("--ramp", help="comma-separated user counts for the capacity curve")
    args = parser.parse_args()
    counts = [int(n) for n in args.ramp.split(",")] if args.ramp else [args.users]
    print(f"db={args.db} workers={args.workers} duration={args.duration:.0f}s "
          f"save every {args.save_interval:g} s per screen")
    for count in counts:
        summary, text = measure(args.db, count, args.duration, args.workers, args.save_interval)
        print(f"users={count}")
        print(text, flush=True)
        if args.ramp and (summary["save"]["p95"] > 100 or summary["save"]["errors"]):
            print("  stop: save p95 above 100 ms or errors")
            break


if __name__ == "__main__":
    main()
