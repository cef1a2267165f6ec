"""Instructions per request, counted by valgrind's callgrind: repeatable on a noisy machine,
where times are not. For each kind of request the script runs in a process of its own under
callgrind twice, once with N requests and once with none; the difference divided by N is what one
request costs, everything Django does included (middleware, login, the database, SQLite itself).

    .venv/bin/python bench/instructions.py [--requests 200] [--kinds floor,autosave,push,poll]

Kinds:
  floor     GET /healthz: the trivial view every ratio is measured against
  autosave  POST /sessies/<pk>/opslaan/ of the minutes, the version carried forward
  push      one pushed update: what an open stream does for one change of the other screen (the
            access check and changes_since, as sessions/views/stream.py runs them) and the event
  poll      GET /sessies/<pk>/sync/?since= with one change, with the sync token (the fallback)

Uses a throw-away SQLite database with production-like settings (DEBUG off); touches nothing else.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKLOAD = r"""
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actiescan.settings")
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse
from django.contrib.auth import get_user_model
from django.utils import timezone

kind, count = sys.argv[1], int(sys.argv[2])
if kind == "prepare":  # outside valgrind, once: the tables (a copy of the file is measured)
    call_command("migrate", verbosity=0)
    sys.exit(0)
setup_test_environment()
from actiescan.models import SuccessFactor
from sessions import autosave, services, sync_tokens
from sessions.models import Initiative, ScanSession
from sessions.push.sse import event

User = get_user_model()
moderator = User.objects.create_user("mod", password="x", first_name="Mod")
notulist = User.objects.create_user("not", password="x", first_name="Not")
session = ScanSession.objects.create(initiative=Initiative.objects.create(name="Instructies"),
                                     starts_at=timezone.now(), moderator=moderator, notulist=notulist)
services.choose_factors(session=session, factor_ids=list(SuccessFactor.objects.values_list("pk", flat=True)), user=moderator)
services.start_session(session=session, user=moderator)
factor = session.factors.order_by("position").first()
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(moderator)
other = Client(HTTP_HOST="127.0.0.1")
other.force_login(notulist)
save_url = reverse("sessions:save", args=[session.pk])
# The poll's token, as a page hands it out; valid for the whole (slow, under valgrind) run.
sync_tokens.MAX_AGE = 24 * 3600
token = client.get(reverse("sessions:sync", args=[session.pk]) + "?since=0").headers["X-Sync-Token"]
field = f"factor:{factor.pk}:minutes"
version = 0


def save(c, n):
    global version
    response = c.post(save_url, {"field": field, "value": f"Notulen, versie {n}.", "version": version},
                      HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    version = response.json()["version"]


def one(n):
    if kind == "floor":
        assert client.get("/healthz").status_code == 200
    elif kind == "autosave":
        save(client, n)
    elif kind == "poll":
        session.refresh_from_db()
        url = reverse("sessions:sync", args=[session.pk]) + f"?since={session.revision - 1}"
        assert client.get(url, headers={"X-Sync-Token": token}).status_code == 200
    elif kind == "push":
        sent = ScanSession.objects.get(pk=session.pk).revision - 1
        login_key = client.session.session_key
        mark = sync_tokens.password_mark(moderator)
        current = sync_tokens.still_allowed(login_key=login_key, user_id=moderator.pk, mark=mark,
                                            session_pk=session.pk)
        payload = autosave.changes_since(current, sent)
        assert payload and event(payload, id=current.revision)


# Warm up (templates, caches, the first queries) before the counted part.
for n in range(5):
    if kind in ("poll", "push"):
        save(other, n)
    one(n)
if count:
    for n in range(count):
        if kind in ("poll", "push"):
            save(other, 100 + n)  # the other screen's change this request reports
        one(n)
print("done", kind, count)
"""

# For poll and push the other screen's save is part of the loop; it is measured as "autosave"
# and subtracted, so their figure is the reading side alone.


def environment(database: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DEBUG="0", SECRET_KEY="instructions-" + "x" * 40, ALLOWED_HOSTS="127.0.0.1",
               SECURE_SSL_REDIRECT="0", SQLITE_PATH=str(database), LOG_LEVEL="ERROR",
               PYTHONHASHSEED="0", AXES_ENABLED="0")
    return env


def migrated_database(folder: Path) -> Path:
    database = folder / "migrated.sqlite3"
    subprocess.run([sys.executable, "-c", WORKLOAD, "prepare", "0"], cwd=ROOT,
                   env=environment(database), check=True)
    return database


def instructions(kind: str, count: int, template: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "db.sqlite3"
        shutil.copyfile(template, database)
        env = environment(database)
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no",
             sys.executable, "-c", WORKLOAD, kind, str(count)],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )
        summary = next(line for line in out.read_text().splitlines() if line.startswith(("summary:", "totals:")))
        return int(re.findall(r"\d+", summary)[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--kinds", default="floor,autosave,push,poll")
    args = parser.parse_args()
    per_request = {}
    template = migrated_database(Path(tempfile.mkdtemp(prefix="actiescan-instructions-")))
    for kind in args.kinds.split(","):
        base = instructions(kind, 0, template)
        loaded = instructions(kind, args.requests, template)
        per_request[kind] = (loaded - base) / args.requests
        print(f"{kind:<9} {per_request[kind] / 1e6:8.2f} M instructions per request "
              f"(run of {args.requests}: {loaded:,} − {base:,})", flush=True)
    if "autosave" in per_request:
        for kind in ("poll", "push"):
            if kind in per_request:
                per_request[kind] -= per_request["autosave"]
                print(f"{kind:<9} {per_request[kind] / 1e6:8.2f} M without the other screen's save")
    if "floor" in per_request:
        for kind, value in per_request.items():
            print(f"{kind:<9} {value / per_request['floor']:6.2f} × the floor")


if __name__ == "__main__":
    main()
