"""Page cost: server time and query count of the main screens for a session with 8 factors.

Renders each page in-process through Django's test client (middleware, auth, templates, the
database) with the production-like settings (DEBUG off, templates cached), after one warm-up,
and reports the median of N requests and the number of queries.

    .venv/bin/python bench/page_cost.py [runs] [--profile cockpit]

`--profile NAME` prints a pyinstrument profile of that page (needs pyinstrument).
Uses a throw-away SQLite database; touches nothing else.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "pages.sqlite3")
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actiescan.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

MINUTES = ("De representant vertelt over de doelgroep en de partners in de regio. " * 25).strip()


def build():
    from actiescan.models import SuccessFactor
    from reports import services as advice_services
    from sessions import services
    from sessions.models import Initiative, ScanSession

    User = get_user_model()
    staff = User.objects.create_user("staff", password="x", is_staff=True)
    moderator = User.objects.create_user("mod", password="x", first_name="Mod")
    notulist = User.objects.create_user("not", password="x", first_name="Not")
    initiative = Initiative.objects.create(name="Paginakosten-initiatief")
    ids = list(SuccessFactor.objects.values_list("pk", flat=True))
    sessions = []
    for _ in range(30):  # a staff overview with a full page of sessions
        session = ScanSession.objects.create(
            initiative=initiative, starts_at=timezone.now(), moderator=moderator, notulist=notulist
        )
        services.choose_factors(session=session, factor_ids=ids, user=moderator)
        services.start_session(session=session, user=moderator)
        for sf in session.factors.all():
            sf.current_level, sf.desired_level, sf.minutes = "startend", "gevorderd", MINUTES
            sf.save()
            for action in sf.action_points.all():
                action.text, action.owner, action.timeframe = "Actie", "Marieke", "maart"
                action.save()
        sessions.append(session)
    closed = sessions[-1]
    services.close_session(session=closed, user=moderator)
    advice_services.get_or_draft_advice(session=closed, user=notulist)
    return staff, moderator, sessions[0], closed


def measure(client, url, runs):
    client.get(url)  # warm-up: template loading, first-visit writes
    timings, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    return statistics.median(timings) * 1000, queries


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = int(args[0]) if args else 30
    profile = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else None
    settings.DEBUG = False
    setup_test_environment()
    call_command("migrate", verbosity=0)
    staff, moderator, running, closed = build()
    mod_client, staff_client = Client(), Client()
    mod_client.force_login(moderator)
    staff_client.force_login(staff)
    pages = {
        "cockpit": (mod_client, reverse("sessions:cockpit", args=[running.pk])),
        "notulist": (mod_client, reverse("sessions:notulist", args=[running.pk])),
        "wrap-up": (mod_client, reverse("sessions:wrap_up", args=[running.pk])),
        "advice preview": (mod_client, reverse("reports:advice_preview", args=[closed.pk])),
        "staff overview": (staff_client, reverse("reports:sessions_overview")),
    }
    if profile:
        from pyinstrument import Profiler

        client, url = pages[profile]
        client.get(url)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(runs):
            client.get(url)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    print(f"{'page':<28} {'median ms':>10} {'queries':>8}   (8 factors, {runs} runs)")
    for name, (client, url) in pages.items():
        median, queries = measure(client, url, runs)
        print(f"{name:<28} {median:>10.1f} {queries:>8}")
    running.refresh_from_db()
    sync_url = reverse("sessions:sync", args=[running.pk]) + f"?since={running.revision}"
    median, queries = measure_204(mod_client, sync_url, runs)
    print(f"{'sync, no change, full path':<28} {median:>10.1f} {queries:>8}")
    token = mod_client.get(sync_url).headers["X-Sync-Token"]
    median, queries = measure_204(mod_client, sync_url, runs, headers={"X-Sync-Token": token})
    print(f"{'sync, no change, with token':<28} {median:>10.1f} {queries:>8}")
    median, queries = measure_save(mod_client, running, runs)
    print(f"{'autosave':<28} {median:>10.1f} {queries:>8}")
    # The other screen saved one field since this screen's last poll: what a workshop mostly sees.
    running.refresh_from_db()
    changed_url = reverse("sessions:sync", args=[running.pk]) + f"?since={running.revision - 1}"
    median, queries = measure_204(mod_client, changed_url, runs, status=200)
    print(f"{'sync, one change, full path':<28} {median:>10.1f} {queries:>8}")
    median, queries = measure_204(mod_client, changed_url, runs, status=200, headers={"X-Sync-Token": token})
    print(f"{'sync, one change, with token':<28} {median:>10.1f} {queries:>8}")
    median, queries = measure_204(Client(), reverse("healthz"), runs, status=200)
    print(f"{'healthz (floor)':<28} {median:>10.1f} {queries:>8}")
    measure_fragments(mod_client, running, runs)
    measure_phone(mod_client, moderator, running, runs)


def measure_phone(mod_client, moderator, session, runs):
    """A phone at the table (sessions/phones.py): its page, its poll, its own mark, and the
    moderator's side panel with the table's input."""
    from sessions import phones

    factor = session.factors.order_by("position").first()
    phones.set_mark_round(session=session, session_factor=factor, action="open")
    _code, plain = phones.create_code(session=session, user=moderator)
    phone = Client()
    phone.post(reverse("sessions:phone_enter"), {"code": plain})
    page = reverse("sessions:phone", args=[session.pk])
    for name, client, url, status, headers in (
        ("phone page", phone, page, 200, None),
        ("phone poll, one change", phone, reverse("sessions:phone_sync", args=[session.pk]) + "?since=0", 200, None),
        ("side panel (fragment)", mod_client, reverse("sessions:table_voices", args=[session.pk]), 200,
         {"HX-Request": "true", "HX-Target": "table-voices"}),
    ):
        median, queries = measure_204(client, url, runs, status=status, headers=headers)
        print(f"{name:<28} {median:>10.1f} {queries:>8}")
    url = reverse("sessions:phone_mark", args=[session.pk])
    timings, queries = [], 0
    for n in range(runs + 1):
        data = {"factor": factor.pk, "current": "startend", "desired": ["gevorderd", "voldragen"][n % 2]}
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = phone.post(url, data, HTTP_ACCEPT="application/json")
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content
        if n:
            timings.append(elapsed)
            queries = len(captured)
    print(f"{'phone mark':<28} {statistics.median(timings) * 1000:>10.1f} {queries:>8}")


def measure_fragments(client, session, runs):
    """What a screen fetches when an event says `refresh` (hx-trigger="live:refresh"), and the
    report of unsaved text each screen sends while someone types."""
    cockpit = reverse("sessions:cockpit", args=[session.pk])
    notulist = reverse("sessions:notulist", args=[session.pk])
    factor = session.factors.order_by("position").first()
    for name, url, target in (
        ("cockpit factor-status", cockpit, "factor-status"),
        ("cockpit factor-nav", cockpit, "factor-nav"),
        ("notulist factor-summary", notulist, "factor-summary"),
    ):
        headers = {"HX-Request": "true", "HX-Target": target,
                   "HX-Current-URL": f"http://testserver{url}?factor={factor.pk}"}
        median, queries = measure_204(client, f"{url}?factor={factor.pk}", runs, status=200, headers=headers)
        print(f"{name:<28} {median:>10.1f} {queries:>8}")
    url = reverse("sessions:unsaved_text", args=[session.pk])
    timings, queries = [], 0
    for n in range(runs + 1):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(url, {"screen": "benchscreen01", "fields": n % 2})
            elapsed = time.perf_counter() - started
        assert response.status_code == 204, response.content
        if n:
            timings.append(elapsed)
            queries = len(captured)
    print(f"{'unsaved-text report':<28} {statistics.median(timings) * 1000:>10.1f} {queries:>8}")


def measure_204(client, url, runs, status=204, headers=None):
    timings, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append(time.perf_counter() - started)
        assert response.status_code == status
        queries = len(captured)
    return statistics.median(timings) * 1000, queries


def measure_save(client, session, runs):
    """An autosave of the minutes, the version carried forward as live.js does."""
    factor = session.factors.order_by("position").first()
    url = reverse("sessions:save", args=[session.pk])
    field, version = f"factor:{factor.pk}:minutes", factor.minutes_version
    timings, queries = [], 0
    for n in range(runs + 1):
        data = {"field": field, "value": f"Notulen, versie {n}.", "version": version}
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(url, data, HTTP_ACCEPT="application/json")
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content
        version = response.json()["version"]
        if n:  # the first is the warm-up
            timings.append(elapsed)
            queries = len(captured)
    return statistics.median(timings) * 1000, queries


if __name__ == "__main__":
    main()
