"""Fuzz the save and sync endpoints of a live session: random and mutated requests, counted by
status; any 5xx is a failure (exit status 1).

Uses Django's test client (the whole request path: middleware, CSRF off as in tests, the
views, the database) on a scratch SQLite database of its own, so it needs no server and sends
nothing over the network. Logs in as the session's moderator and notulist (and joins a phone)
and sends autosaves (known and made-up field keys, versions, revisions, huge and odd values,
wrong types, unicode, missing parameters, bodies that are not UTF-8), syncs with odd `since`
values, moves of the table, level choices, unsaved-text reports and the phone's sync, mark and
proposal. tests/test_fuzz.py runs a bounded version (300 requests, fixed seed) in CI.

    .venv/bin/python bench/fuzz.py --requests 3000 --seed 13
"""

import argparse
import collections
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ODD_TEXTS = [
    "", " ", "x", "é ü ß 中文 🙂", "\u202eMarieke", "\u2068\u2069", "a\x00b", "\x01\x1f\x7f",
    "<script>alert(1)</script>", "{{ 7*7 }}", "%(x)s", "'; DROP TABLE x; --", "\ud7ff\ue000",
    "\r\n\r\n", "x" * 201, "y" * 6000, "z" * 50_001, "Leer" + "w" * 200, "=HYPERLINK(1)",
    "-1", "0", "1e309", "NaN", "null", "true", "[]", "{}", "9" * 40, "²", "٣",
]
LEVELS = ["startend", "gevorderd", "voldragen", "", "Startend", "expert", "1", "null"]
NUMBERS = ["-1", "0", "1", "2", "7", "", "abc", "1.5", "9" * 40, "1e3", "0x10", "²", " 3 ", "-0",
           "99999999999999999999", "NaN"]


def pick(rng, *options):
    return rng.choice(options)


def field_keys(session):
    """The session's real field keys, and mutations of them."""
    factors = list(session.factors.order_by("position"))
    actions = [a for f in factors for a in f.action_points.all()]
    real = [f"session:{session.pk}:general_minutes", f"session:{session.pk}:choice_rationale",
            f"session:{session.pk}:wrap_up_notes", f"session:{session.pk}:notulist_checked"]
    for f in factors:
        real += [f"factor:{f.pk}:{name}" for name in
                 ("minutes", "rationale", "current_level", "desired_level", "discussed")]
    for a in actions:
        real += [f"action:{a.pk}:{name}" for name in ("text", "owner", "timeframe")]
    return real, [f.pk for f in factors]


def mutate_key(rng, key):
    kind = rng.randrange(8)
    parts = key.split(":")
    if kind == 0:
        parts[1] = rng.choice(NUMBERS)
    elif kind == 1:
        parts[-1] = rng.choice(["password", "pk", "minutes_version", "", "text", "MINUTES"])
    elif kind == 2:
        parts[0] = rng.choice(["section", "advice", "", "factor", "session", "action"])
    elif kind == 3:
        parts.append("extra")
    elif kind == 4:
        parts = parts[:2]
    elif kind == 5:
        return rng.choice(["", ":", "::", "a" * 300, "\u202e", "factor:1:minutes\x00"])
    return ":".join(parts)


def autosave_data(rng, keys):
    key = rng.choice(keys)
    if rng.random() < 0.35:
        key = mutate_key(rng, key)
    if key.endswith("level"):
        values = [rng.choice(LEVELS + ODD_TEXTS[:6])]
    elif key.endswith("discussed"):
        values = [rng.choice(NUMBERS) for _ in range(rng.randrange(0, 4))]
    elif key.endswith("checked"):
        values = [rng.choice(["1", "0", "", "on", "ja", "misschien"])]
    else:
        values = [rng.choice(ODD_TEXTS) + rng.choice(["", " extra"])]
    data = {"field": key, "value": values}
    if rng.random() < 0.9:
        data["version"] = rng.choice(NUMBERS)
    if rng.random() < 0.5:
        data["seen_revision"] = rng.choice(NUMBERS)
    if rng.random() < 0.2:
        data["merge"] = rng.choice(["1", "0", "x"])
    if rng.random() < 0.05:
        data.pop("field")
    if rng.random() < 0.05:
        data["value"] = [rng.choice(ODD_TEXTS) for _ in range(rng.randrange(2, 6))]
    return data


def fuzz(*, session, moderator, notulist, requests: int, seed: int, log=None):
    """Send `requests` fuzzed requests; a Counter of (endpoint, status)."""
    from django.test import Client
    from django.urls import reverse

    from sessions import phones

    rng = random.Random(seed)
    clients = {}
    for role, user in (("moderator", moderator), ("notulist", notulist)):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients[role] = client
    phone = Client(raise_request_exception=False)
    _code, plain = phones.create_code(session=session, user=moderator)
    phone.post(reverse("sessions:phone_enter"), {"code": plain, "name": "Fuzz"})

    keys, factor_ids = field_keys(session)
    pk = session.pk
    counts = collections.Counter()
    failures = []

    def send(endpoint, method, client, url, data=None, **extra):
        if method == "get":
            response = client.get(url, data or {}, **extra)
        else:
            response = client.post(url, data or {}, **extra)
        counts[(endpoint, response.status_code)] += 1
        if response.status_code >= 500:
            failures.append((endpoint, url, data, response.status_code))
            if log:
                log(f"{response.status_code} {endpoint} {url} {str(data)[:300]}")

    json_accept = {"HTTP_ACCEPT": "application/json"}
    for _n in range(requests):
        role = rng.choice(["moderator", "notulist"])
        client = clients[role]
        roll = rng.random()
        if roll < 0.45:
            send("save", "post", client, reverse("sessions:save", args=[pk]),
                 autosave_data(rng, keys), **json_accept)
        elif roll < 0.50:
            # A body that is not UTF-8, or not a form at all.
            body = rng.choice([b"field=\xff\xfe&value=x", b"{\"field\": 1}", b"\x00" * 50,
                               b"field=" + b"%" * 30, b"value=" + b"a" * 3000])
            response = client.post(reverse("sessions:save", args=[pk]), body,
                                   content_type=rng.choice(["application/x-www-form-urlencoded",
                                                            "application/json", "text/plain"]),
                                   **json_accept)
            counts[("save (raw body)", response.status_code)] += 1
            if response.status_code >= 500:
                failures.append(("save (raw body)", body[:50], None, response.status_code))
        elif roll < 0.65:
            since = rng.choice(NUMBERS + ["", "-5", str(rng.randrange(0, 10_000))])
            params = {"since": since} if rng.random() < 0.9 else {}
            if rng.random() < 0.2:
                params["factor"] = rng.choice(NUMBERS)
            send("sync", "get", client, reverse("sessions:sync", args=[pk]), params)
        elif roll < 0.72:
            factor = rng.choice(factor_ids + [0, 99_999_999])
            send("move table", "post", clients["moderator"],
                 reverse("sessions:go_to_factor", args=[pk, factor]),
                 {"next": rng.choice(["", "/", "//evil.example", "cockpit"])})
        elif roll < 0.75:
            send("move to wrap-up", "post", clients["moderator"],
                 reverse("sessions:go_to_wrap_up", args=[pk]))
        elif roll < 0.80:
            factor = rng.choice(factor_ids)
            send("level", "post", client, reverse("sessions:save", args=[pk]),
                 {"field": f"factor:{factor}:{rng.choice(['current_level', 'desired_level'])}",
                  "value": [rng.choice(LEVELS)], "seen_revision": rng.choice(NUMBERS)},
                 **json_accept)
        elif roll < 0.84:
            send("unsaved text", "post", client, reverse("sessions:unsaved_text", args=[pk]),
                 {"screen": rng.choice(["cockpit", "notulist", "", "x" * 500]),
                  "fields": rng.choice(NUMBERS)})
        elif roll < 0.87:
            send("screen", "get", client, reverse(
                rng.choice(["sessions:cockpit", "sessions:notulist"]), args=[pk]),
                {"factor": rng.choice(NUMBERS + [str(f) for f in factor_ids])})
        elif roll < 0.91:
            send("phone sync", "get", phone, reverse("sessions:phone_sync", args=[pk]),
                 {"since": rng.choice(NUMBERS)})
        elif roll < 0.96:
            send("phone mark", "post", phone, reverse("sessions:phone_mark", args=[pk]),
                 {"factor": rng.choice(NUMBERS + [str(f) for f in factor_ids]),
                  "current": rng.choice(LEVELS), "desired": rng.choice(LEVELS)})
        else:
            send("phone proposal", "post", phone, reverse("sessions:phone_proposal", args=[pk]),
                 {"factor": rng.choice(NUMBERS + [str(f) for f in factor_ids]),
                  "text": rng.choice(ODD_TEXTS)})
    return counts, failures


def summary(counts) -> str:
    by_endpoint = collections.defaultdict(collections.Counter)
    for (endpoint, status), n in counts.items():
        by_endpoint[endpoint][status] += n
    lines = []
    for endpoint in sorted(by_endpoint):
        statuses = ", ".join(f"{n} × {s}" for s, n in sorted(by_endpoint[endpoint].items()))
        lines.append(f"  {endpoint:16} {statuses}")
    total = collections.Counter()
    for (_endpoint, status), n in counts.items():
        total[status] += n
    lines.append("  " + "total".ljust(16) + " " + ", ".join(
        f"{n} × {s}" for s, n in sorted(total.items())))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="actiescan-fuzz-")
    os.environ.pop("DATABASE_URL", None)
    os.environ["SQLITE_PATH"] = f"{scratch}/fuzz.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actiescan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from actiescan.models import SuccessFactor
    from actiescan.roles import MODERATOR_GROUP, NOTULIST_GROUP
    from sessions import services
    from sessions.models import Initiative, ScanSession

    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    # Every refused request is logged as a warning; only errors (a 500) are of interest here.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    call_command("migrate", verbosity=0)
    users = get_user_model().objects

    def user(name, group):
        made = users.create_user(username=name, password=None, first_name=name.title())
        made.groups.add(Group.objects.get(name=group))
        return made

    moderator, notulist = user("moderator", MODERATOR_GROUP), user("notulist", NOTULIST_GROUP)
    initiative = Initiative.objects.create(name="Fuzz-initiatief")
    session = ScanSession.objects.create(initiative=initiative, starts_at=timezone.now(),
                                         location="Loopback", moderator=moderator,
                                         notulist=notulist)
    services.choose_factors(session=session, user=moderator, factor_ids=list(
        SuccessFactor.objects.active().values_list("pk", flat=True)[:3]))
    services.start_session(session=session, user=moderator)
    session.refresh_from_db()

    started = time.perf_counter()
    counts, failures = fuzz(session=session, moderator=moderator, notulist=notulist,
                            requests=args.requests, seed=args.seed,
                            log=lambda line: print(line, file=sys.stderr))
    seconds = time.perf_counter() - started
    total = sum(counts.values())
    print(f"fuzz: {total} requests (seed {args.seed}) in {seconds:.1f} s")
    print(summary(counts))
    server_errors = sum(n for (_e, status), n in counts.items() if status >= 500)
    print(f"5xx: {server_errors}")
    sys.exit(1 if server_errors else 0)


if __name__ == "__main__":
    main()
