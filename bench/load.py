"""Workshop load benchmark: moderators and notulisten autosaving and polling at once.

Starts gunicorn on 127.0.0.1 with the production settings (DEBUG off), prepares one scan
session per two users, and lets every user save a field every 2 s and poll for changes every
2 s (with the sync token, as live.js does; `--no-sync-token` takes the full path), on one
kept-alive connection each. A trivial view (/healthz) is requested in the same run
as the floor. Prints p50/p95/p99 per kind of request, errors, requests per second and the CPU
used by the server, the load generator and (with --db postgres) PostgreSQL.

    .venv/bin/python bench/load.py --users 100 --duration 60 --db sqlite
    .venv/bin/python bench/load.py --users 100 --duration 60 --db postgres
    .venv/bin/python bench/load.py --ramp 100,200,400,700,1000 --duration 20 --db sqlite

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

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
POSTGRES_BENCH_DB = "actiescan_bench"


# --- Preparing the database (runs in a child process with the server's environment) -----------

PREPARE = r"""
import json, sys
import django
django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.utils import timezone
from django.utils.crypto import get_random_string
from actiescan.models import SuccessFactor
from sessions import services
from sessions.models import Initiative, ScanSession

call_command("migrate", verbosity=0)
pairs = int(sys.argv[1])
User = get_user_model()
factor_ids = list(SuccessFactor.objects.values_list("pk", flat=True))
initiative = Initiative.objects.create(name="Benchmark-initiatief")
users = []

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
    factor = session.factors.order_by("position").first()
    action = factor.action_points.order_by("position").first()
    session.refresh_from_db()
    users.append({"session": session.pk, "field": f"factor:{factor.pk}:minutes",
                  "cookie": cookie_for(notulist), "revision": session.revision})
    users.append({"session": session.pk, "field": f"action:{action.pk}:text",
                  "cookie": cookie_for(moderator), "revision": session.revision})
json.dump(users, sys.stdout)
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


def prepare(env: dict, pairs: int) -> list[dict]:
    result = subprocess.run(
        [PYTHON, "-c", PREPARE, str(pairs)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=900, check=True,
    )
    return json.loads(result.stdout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    log = open(Path(env["STATIC_ROOT"]).parent / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "actiescan.wsgi"],
        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
    )
    process.log_path = log.name
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if b" 200 " in sock.recv(100):
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start: " + Path(process.log_path).read_text()[-2000:])


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


async def virtual_user(user, port, stop_at, results, counter, use_token):
    csrf = "b" * 32  # an unmasked 32-character CSRF secret, the same in cookie and header
    cookies = f"sessionid={user['cookie']}; csrftoken={csrf}"
    connection = Connection(port)
    version, revision, sync_token = 0, user["revision"], None
    await asyncio.sleep(random.random() * 2)
    next_save = time.perf_counter()
    next_poll = next_save + 1.0
    while time.perf_counter() < stop_at:
        now = time.perf_counter()
        if next_save <= next_poll:
            await asyncio.sleep(max(0, next_save - now))
            counter[0] += 1
            text = f"Zin {counter[0]} van de notulen, getypt tijdens de benchmark. " * 3
            from urllib.parse import urlencode

            body = urlencode({"field": user["field"], "value": text, "version": version}).encode()
            headers = {"Cookie": cookies, "X-CSRFToken": csrf, "Accept": "application/json",
                       "Content-Type": "application/x-www-form-urlencoded"}
            started = time.perf_counter()
            try:
                status, payload = await connection.request("POST", f"/sessies/{user['session']}/opslaan/", headers, body)
            except Exception as error:  # noqa: BLE001 - every failure counts as an error
                results["save"].append((time.perf_counter() - started, f"exception {type(error).__name__}"))
                connection = Connection(port)
            else:
                ok = status == 200
                if ok:
                    version = json.loads(payload)["version"]
                results["save"].append((time.perf_counter() - started, None if ok else f"status {status}"))
            next_save += 2.0
        else:
            await asyncio.sleep(max(0, next_poll - now))
            headers = {"Cookie": cookies, "Accept": "application/json"}
            if sync_token and use_token:  # as live.js does (docs/live-protocol.md)
                headers["X-Sync-Token"] = sync_token
            started = time.perf_counter()
            try:
                status, payload = await connection.request("GET", f"/sessies/{user['session']}/sync/?since={revision}", headers)
            except Exception as error:  # noqa: BLE001
                results["poll"].append((time.perf_counter() - started, f"exception {type(error).__name__}"))
                connection = Connection(port)
            else:
                ok = status in (200, 204)
                sync_token = connection.sync_token or sync_token
                if status == 200:
                    revision = json.loads(payload)["revision"]
                results["poll"].append((time.perf_counter() - started, None if ok else f"status {status}"))
            next_poll += 2.0


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


async def run_load(users, port, duration, use_token):
    results = {"save": [], "poll": [], "floor": []}
    stop_at = time.perf_counter() + duration
    counter = [0]
    await asyncio.gather(
        floor_user(port, stop_at, results),
        *(virtual_user(user, port, stop_at, results, counter, use_token) for user in users),
    )
    return results


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def summarise(results, duration):
    lines, summary = [], {}
    total = sum(len(v) for v in results.values())
    for kind in ("save", "poll", "floor"):
        timings = [t * 1000 for t, error in results[kind]]
        errors = [error for _, error in results[kind] if error]
        summary[kind] = {
            "n": len(timings), "errors": len(errors),
            "p50": percentile(timings, 50), "p95": percentile(timings, 95), "p99": percentile(timings, 99),
        }
        lines.append(
            f"  {kind:<5} n={len(timings):>6}  p50={summary[kind]['p50']:7.1f} ms  "
            f"p95={summary[kind]['p95']:7.1f} ms  p99={summary[kind]['p99']:7.1f} ms  errors={len(errors)}"
            + (f" ({statistics.mode(errors)})" if errors else "")
        )
    summary["rps"] = total / duration
    ratio = summary["save"]["p95"] / summary["floor"]["p95"] if summary["floor"]["p95"] else float("nan")
    summary["ratio"] = ratio
    lines.append(f"  requests/s={summary['rps']:.0f}  save p95 / floor p95 = {ratio:.2f}")
    return summary, "\n".join(lines)


def cpu_seconds(pgid: int | None = None, name: str | None = None) -> float:
    """CPU time (user + system) of the processes in process group `pgid` (gunicorn) or with
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


def measure(db, users_count, duration, workers, use_token=True):
    tmp = Path(tempfile.mkdtemp(prefix="actiescan-bench-"))
    env = server_env(db, tmp / "bench.sqlite3")
    if db == "postgres":
        reset_postgres()
    users = prepare(env, (users_count + 1) // 2)[:users_count]
    port = free_port()
    server = start_server(env, port, workers)
    try:
        def db_cpu_now():
            return cpu_seconds(name="postgres") if db == "postgres" else 0.0

        server_cpu, load_cpu, db_cpu = cpu_seconds(server.pid), own_cpu_seconds(), db_cpu_now()
        results = asyncio.run(run_load(users, port, duration, use_token))
        server_cpu = cpu_seconds(server.pid) - server_cpu
        load_cpu = own_cpu_seconds() - load_cpu
        db_cpu = db_cpu_now() - db_cpu
    finally:
        stop_server(server)
    summary, text = summarise(results, duration)
    requests = sum(len(v) for v in results.values()) or 1
    text += (
        f"\n  CPU: server {server_cpu / duration * 100:.0f}% of a core "
        f"({server_cpu / requests * 1000:.2f} ms per request), "
        f"load generator {load_cpu / duration * 100:.0f}% ({load_cpu / requests * 1000:.2f} ms per request)"
        + (f", PostgreSQL {db_cpu / duration * 100:.0f}% ({db_cpu / requests * 1000:.2f} ms per request)"
           if db == "postgres" else "")
    )
    return summary, text


def main():
    # A SIGTERM (e.g. from `timeout`) must still run the `finally` that stops gunicorn, which
    # runs in its own process group.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ramp", help="comma-separated user counts for the capacity curve")
    parser.add_argument("--no-sync-token", action="store_true",
                        help="poll without the sync token (every poll takes the full path)")
    args = parser.parse_args()
    counts = [int(n) for n in args.ramp.split(",")] if args.ramp else [args.users]
    print(f"db={args.db} workers={args.workers} duration={args.duration:.0f}s")
    for count in counts:
        summary, text = measure(args.db, count, args.duration, args.workers, not args.no_sync_token)
        print(f"users={count}")
        print(text, flush=True)
        if args.ramp and (summary["save"]["p95"] > 100 or summary["save"]["errors"] or summary["poll"]["errors"]):
            print("  stop: save p95 above 100 ms or errors")
            break


if __name__ == "__main__":
    main()
