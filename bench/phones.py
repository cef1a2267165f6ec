"""Phones at the table: 20 tables × 30 phones following their moderator live.

Starts the production server (scripts/serve: granian, 2 workers) on 127.0.0.1 with production
settings and prepares one running scan session per table, each with a join code and 30 joined
phones. Then, for --duration seconds:

* every phone keeps its own stream open (/mee/sessie/<pk>/stream/), as static/js/phone.js does;
* every table's notulist autosaves the minutes every 2 s (typed text: no phone may be woken for
  it with an event);
* every --move seconds each moderator takes the table to the next factor (the POST
  sessions:go_to_factor) and opens "wat denkt de tafel?"; every phone then marks (within 5 s)
  and one in five sends an idea;
* every moderator's side panel (the table's input) refreshes every 3 s, as its htmx fragment does.

Prints the latency of a factor move reaching the phones (from sending the moderator's POST to
the event arriving on each phone), p50/p95/p99 of every kind of request, errors, events that
phones got for typed text (should be 0), and the CPU and memory (RSS) of the server.

    .venv/bin/python bench/phones.py --tables 20 --phones 30 --duration 120
    .venv/bin/python bench/phones.py --tables 20 --phones 30 --duration 60 --move 30   # shorter
    .venv/bin/python bench/phones.py --follow-only   # moves and typing only: the cost of following

Only loopback traffic; every loop is bounded by --duration. SQLite (the embedded default).
"""

import argparse
import asyncio
import json
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import (  # noqa: E402 - the workshop benchmark's server and HTTP helpers
    PYTHON,
    ROOT,
    Connection,
    cpu_seconds,
    free_port,
    own_cpu_seconds,
    percentile,
    server_env,
    server_memory_kib,
    start_server,
    stop_server,
)

CSRF = "b" * 32  # an unmasked 32-character CSRF secret, the same in cookie and header

PREPARE = r"""
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.utils import timezone
from actiescan.models import SuccessFactor
from sessions import phones, services
from sessions.models import Initiative, PhoneParticipant, ScanSession

call_command("migrate", verbosity=0)
tables, per_table = int(sys.argv[1]), int(sys.argv[2])
User = get_user_model()
factor_ids = list(SuccessFactor.objects.values_list("pk", flat=True))
initiative = Initiative.objects.create(name="Benchmark-initiatief")

def cookie(**data):
    store = SessionStore()
    for key, value in data.items():
        store[key] = value
    store.create()
    return store.session_key

def login_cookie(user):
    return cookie(_auth_user_id=str(user.pk),
                  _auth_user_backend="django.contrib.auth.backends.ModelBackend",
                  _auth_user_hash=user.get_session_auth_hash())

out = []
for n in range(tables):
    moderator = User.objects.create(username=f"bench-mod-{n}", first_name="Mod")
    notulist = User.objects.create(username=f"bench-not-{n}", first_name="Not")
    session = ScanSession.objects.create(initiative=initiative, starts_at=timezone.now(),
                                         moderator=moderator, notulist=notulist)
    services.choose_factors(session=session, factor_ids=factor_ids, user=moderator)
    services.start_session(session=session, user=moderator)
    factors = list(session.factors.order_by("position").values_list("pk", flat=True))
    services.set_current_factor(session=session, session_factor=session.factors.get(pk=factors[0]))
    code, _plain = phones.create_code(session=session, user=moderator)
    phone_cookies = []
    for p in range(per_table):
        participant = PhoneParticipant.objects.create(session=session, join_code=code,
                                                      name=f"P{p}" if p % 2 else "")
        phone_cookies.append(cookie(**{phones.SESSION_KEY: [participant.pk]}))
    session.refresh_from_db()
    out.append({"session": session.pk, "factors": factors, "revision": session.revision,
                "minutes": f"factor:{factors[0]}:minutes",
                "moderator": login_cookie(moderator), "notulist": login_cookie(notulist),
                "phones": phone_cookies})
json.dump(out, sys.stdout)
"""


def prepare(env, tables, per_table):
    result = subprocess.run([PYTHON, "-c", PREPARE, str(tables), str(per_table)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900, check=True)
    return json.loads(result.stdout)


def rss_bytes(pgid: int) -> int:
    return server_memory_kib(pgid) * 1024


# --- The load -----------------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.timings = {}  # kind -> [(seconds, error or None)]
        self.moves = {}  # (session, factor) -> when the moderator's POST was sent
        self.reach = []  # seconds from a move to a phone's event
        self.events = 0
        self.events_without_change = 0
        self.denied = 0
        self.ready = 0
        self.stream_errors = []

    def add(self, kind, seconds, error=None):
        self.timings.setdefault(kind, []).append((seconds, error))


async def request(connection, results, kind, method, path, headers, body=b"", ok=(200, 204, 302)):
    started = time.perf_counter()
    try:
        status, payload = await connection.request(method, path, headers, body)
    except Exception as error:  # noqa: BLE001 - every failure counts as an error
        results.add(kind, time.perf_counter() - started, f"exception {type(error).__name__}")
        return None, None
    results.add(kind, time.perf_counter() - started, None if status in ok else f"status {status}")
    return status, payload


async def phone_stream(table, cookie, port, results, stop_at, opened):
    """One phone's EventSource: read events until the end, note when each move arrived."""
    session = table["session"]
    head = (f"GET /mee/sessie/{session}/stream/?since={table['revision']} HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            f"Cookie: sessionid={cookie}; csrftoken={CSRF}\r\n\r\n")
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head.encode())
        await writer.drain()
        status_line = await reader.readuntil(b"\r\n")
        if b" 200 " not in status_line:
            results.stream_errors.append(status_line.decode().strip())
            return
        while (await reader.readuntil(b"\r\n")) != b"\r\n":
            pass
        buffer, last_key, last_factor = "", None, table["factors"][0]
        opened.append(1)
        while time.perf_counter() < stop_at:
            size_line = await asyncio.wait_for(reader.readuntil(b"\r\n"), max(0.1, stop_at - time.perf_counter()))
            size = int(size_line.strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                results.stream_errors.append("stream ended")
                return
            buffer += chunk[:-2].decode()
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                now = time.perf_counter()
                name = next((line[7:] for line in block.splitlines() if line.startswith("event: ")), "message")
                data = next((line[6:] for line in block.splitlines() if line.startswith("data: ")), "")
                if name == "ready":
                    results.ready += 1
                elif name == "denied":
                    results.denied += 1
                    return
                elif name == "message":
                    results.events += 1
                    state = json.loads(data)
                    if state["key"] == last_key:
                        results.events_without_change += 1
                    last_key = state["key"]
                    factor = (state.get("factor") or {}).get("id")
                    sent = results.moves.get((session, factor))
                    if factor != last_factor and sent is not None:
                        results.reach.append(now - sent)
                    last_factor = factor
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        if time.perf_counter() < stop_at - 1:
            results.stream_errors.append("connection lost")
    finally:
        try:
            writer.close()
        except Exception:  # noqa: BLE001
            pass


def form_headers(cookie, **extra):
    return {"Cookie": f"sessionid={cookie}; csrftoken={CSRF}", "X-CSRFToken": CSRF,
            "Content-Type": "application/x-www-form-urlencoded", **extra}


async def phone_actions(table, cookie, factor, port, results):
    """After the question opened: one mark within 5 s; one phone in five sends an idea."""
    connection = Connection(port)
    session = table["session"]
    await asyncio.sleep(random.random() * 5)
    levels = ["startend", "gevorderd", "voldragen"]
    body = urlencode({"factor": factor, "current": random.choice(levels),
                      "desired": random.choice(levels)}).encode()
    await request(connection, results, "mark", "POST", f"/mee/sessie/{session}/inschatting/",
                  form_headers(cookie, Accept="application/json"), body, ok=(200,))
    if random.random() < 0.2:
        await asyncio.sleep(random.random() * 3)
        body = urlencode({"factor": factor, "text": "De projectleider belt elke werkgever voor 1 april."}).encode()
        await request(connection, results, "idea", "POST", f"/mee/sessie/{session}/voorstel/",
                      form_headers(cookie, Accept="application/json"), body, ok=(200,))


async def moderator(table, port, results, stop_at, move_every, follow_only):
    """Every `move_every` s: the next factor (the POST), then open the question; the phones
    act. The side panel refreshes every 3 s meanwhile. `follow_only`: moves only."""
    connection = Connection(port)
    session = table["session"]
    headers = form_headers(table["moderator"])
    await asyncio.sleep(random.random() * min(move_every, max(stop_at - time.perf_counter(), 0) / 2))
    index, seen, tasks = 0, "", []
    next_move = time.perf_counter()
    while time.perf_counter() < stop_at:
        if time.perf_counter() >= next_move:
            index = (index + 1) % len(table["factors"])
            factor = table["factors"][index]
            results.moves[(session, factor)] = time.perf_counter()
            await request(connection, results, "move", "POST", f"/sessies/{session}/naar/{factor}/", headers)
            next_move += move_every
            if follow_only:
                continue
            await asyncio.sleep(1)
            await request(connection, results, "open question", "POST",
                          f"/sessies/{session}/tafel/{factor}/inschattingen/", headers,
                          urlencode({"action": "open"}).encode())
            tasks += [asyncio.create_task(phone_actions(table, cookie, factor, port, results))
                      for cookie in table["phones"]]
        if follow_only:
            await asyncio.sleep(max(0.05, min(next_move, stop_at) - time.perf_counter()))
            continue
        status, payload = await request(
            connection, results, "side panel", "GET",
            f"/sessies/{session}/tafel/?factor={table['factors'][index]}&seen={seen}",
            {"Cookie": f"sessionid={table['moderator']}", "HX-Request": "true", "HX-Target": "table-voices"})
        if status == 200 and payload:
            found = payload.split(b"seen=", 1)
            seen = found[1].split(b'"', 1)[0].decode() if len(found) > 1 else ""
        await asyncio.sleep(3)
    await asyncio.gather(*tasks, return_exceptions=True)


async def notulist(table, port, results, stop_at):
    """Typed minutes, saved every 2 s: moves the session's revision, shows on no phone."""
    connection = Connection(port)
    version, n = 0, 0
    await asyncio.sleep(random.random() * 2)
    while time.perf_counter() < stop_at:
        n += 1
        body = urlencode({"field": table["minutes"], "value": f"Notulen, zin {n}. " * 5,
                          "version": version}).encode()
        status, payload = await request(connection, results, "autosave", "POST",
                                        f"/sessies/{table['session']}/opslaan/",
                                        form_headers(table["notulist"], Accept="application/json"), body,
                                        ok=(200,))
        if status == 200:
            version = json.loads(payload)["version"]
        await asyncio.sleep(2)


async def run(tables, port, duration, move_every, server_pid, follow_only):
    results = Results()
    opened = []
    ramp_ends = time.perf_counter() + 10
    stop_at = ramp_ends + duration
    streams = []
    count = sum(len(t["phones"]) for t in tables)
    # Open the streams over 10 s (phones join over a minute or so in reality).
    for table, cookie in ((t, c) for t in tables for c in t["phones"]):
        streams.append(asyncio.create_task(phone_stream(table, cookie, port, results, stop_at, opened)))
        await asyncio.sleep(10 / count)
    await asyncio.sleep(max(0, ramp_ends - time.perf_counter()))
    memory_open = rss_bytes(server_pid)
    cpu_before, own_before = cpu_seconds(server_pid), own_cpu_seconds()
    await asyncio.gather(
        *(moderator(t, port, results, stop_at, move_every, follow_only) for t in tables),
        *(notulist(t, port, results, stop_at) for t in tables),
    )
    cpu = cpu_seconds(server_pid) - cpu_before
    own = own_cpu_seconds() - own_before
    await asyncio.gather(*streams, return_exceptions=True)
    return results, len(opened), memory_open, cpu, own


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--phones", type=int, default=30)
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--move", type=float, default=20, help="seconds between factor moves per table")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--follow-only", action="store_true",
                        help="moves and typed minutes only: no question, marks, ideas or side panel")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="actiescan-phones-"))
    env = server_env("sqlite", tmp / "bench.sqlite3")
    tables = prepare(env, args.tables, args.phones)
    port = free_port()
    server = start_server(env, port, args.workers)
    try:
        memory_idle = rss_bytes(server.pid)
        results, opened, memory_open, cpu, own = asyncio.run(
            run(tables, port, args.duration, args.move, server.pid, args.follow_only))
        memory_end = rss_bytes(server.pid)
    finally:
        stop_server(server)

    streams = args.tables * args.phones
    print(f"tables={args.tables} phones/table={args.phones} streams={streams} "
          f"duration={args.duration:.0f}s move every {args.move:.0f}s workers={args.workers} db=sqlite"
          + (" (following only)" if args.follow_only else ""))
    print(f"  streams opened {opened}/{streams}, ready {results.ready}, denied {results.denied}, "
          f"stream errors {len(results.stream_errors)}"
          + (f" ({statistics.mode(results.stream_errors)})" if results.stream_errors else ""))
    reach = [t * 1000 for t in results.reach]
    moves = sum(1 for kind, _e in results.timings.get("move", []))
    print(f"  factor move → phone: n={len(reach)} (of {moves} moves × {args.phones} phones) "
          f"p50={percentile(reach, 50):.0f} p95={percentile(reach, 95):.0f} "
          f"p99={percentile(reach, 99):.0f} max={max(reach, default=float('nan')):.0f} ms")
    print(f"  events {results.events}, of which without a change for the phone: "
          f"{results.events_without_change}")
    for kind, rows in sorted(results.timings.items()):
        timings = [t * 1000 for t, _e in rows]
        errors = [e for _t, e in rows if e]
        print(f"  {kind:<13} n={len(rows):>6}  p50={percentile(timings, 50):7.1f}  "
              f"p95={percentile(timings, 95):7.1f}  p99={percentile(timings, 99):7.1f} ms  "
              f"errors={len(errors)}" + (f" ({statistics.mode(errors)})" if errors else ""))
    print(f"  server CPU {cpu / args.duration * 100:.0f}% of one core (2 cores in all), "
          f"load generator {own / args.duration * 100:.0f}%")
    print(f"  server RSS: idle {memory_idle / 2**20:.0f} MiB, streams open {memory_open / 2**20:.0f} MiB "
          f"({(memory_open - memory_idle) / max(streams, 1) / 1024:.0f} KiB per stream), "
          f"end {memory_end / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
