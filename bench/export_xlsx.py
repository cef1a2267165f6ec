"""Benchmark: XLSX export of all scores of 1,000 sessions × 8 factors (8,000 rows).

Goal: ≤ 3 s, and flat memory (rows are streamed from a queryset iterator into openpyxl's
write-only workbook; nothing holds the whole table).

Fills a throw-away SQLite database (100 initiatives, 1,000 closed sessions with all 8 factors,
levels, a rationale of ~60 words per factor and 16 filled action points per session), then
runs the export exactly as the overview's export button does (`session_export_response` on the
filtered sessions: pipeline annotations, queries, XLSX writing to a temporary file):

1. wall time of N runs without tracing (median, min, max), for XLSX and, for comparison, CSV;
2. peak Python memory with tracemalloc (separate runs), for 100, 500 and 1,000 sessions. Rows
   are read 1,000 at a time (ExportResource Meta.chunk_size), so the peak grows until the
   first chunk is full (125 sessions) and then stays flat.

    .venv/bin/python bench/export_xlsx.py [runs]

Touches nothing outside its temporary folder.
"""

import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actiescan.settings")
os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

SESSIONS = 1000
INITIATIVES = 100
RATIONALE = (
    "Het initiatief werkt al samen met drie werkgevers en het ROC. De coaches zijn enthousiast, "
    "maar de deelnemers weten de weg naar het loket nog niet goed te vinden. De tafel ziet kansen "
    "in korte modules op de werkvloer en in leerambassadeurs die collega's over de streep trekken."
)


def build():
    from actiescan.models import Level, SuccessFactor
    from sessions.models import ActionPoint, Initiative, ScanSession, SessionFactor, Status

    user = get_user_model().objects.create_user("bench", password="x", first_name="Bench")
    factors = list(SuccessFactor.objects.prefetch_related("sub_questions", "descriptors"))
    snapshots = {f.pk: f.snapshot() for f in factors}
    initiatives = Initiative.objects.bulk_create(
        Initiative(code=f"initiatief-{n:03}", name=f"Leerwerkloket {n:03}", sector="Techniek",
                   region="Oost")
        for n in range(INITIATIVES)
    )
    start = timezone.now() - timezone.timedelta(days=SESSIONS)
    sessions = ScanSession.objects.bulk_create(
        ScanSession(initiative=initiatives[n % INITIATIVES], starts_at=start + timezone.timedelta(days=n),
                    moderator=user, status=Status.AFGEROND, location="Zwolle")
        for n in range(SESSIONS)
    )
    levels = Level.values
    chosen = SessionFactor.objects.bulk_create(
        SessionFactor(session=session, factor=factor, position=p, snapshot=snapshots[factor.pk],
                      current_level=levels[(s + p) % 3], desired_level=levels[min((s + p) % 3 + 1, 2)],
                      discussed=[0, 1], rationale=RATIONALE, seconds_spent=600 + p)
        for s, session in enumerate(sessions) for p, factor in enumerate(factors, start=1)
    )
    ActionPoint.objects.bulk_create(
        ActionPoint(session_factor=sf, position=n, text=f"Actie {n}: leerambassadeurs werven",
                    owner="Projectleider", timeframe="voor de zomer")
        for sf in chosen for n in (1, 2)
    )
    return sessions


def export(kind, fmt, *, sessions_limit=None):
    """Run the overview's export for all sessions (or the first `sessions_limit` by date)
    and read the whole file, as a browser would."""
    from reports.exports import session_export_response
    from reports.overviews import SessionFilterForm, filtered_sessions
    from sessions.models import ScanSession

    data = {}
    if sessions_limit:
        last = ScanSession.objects.order_by("starts_at").values_list("starts_at", flat=True)[
            sessions_limit - 1]
        data["end"] = timezone.localtime(last).date().isoformat()
    form = SessionFilterForm(data)
    assert form.is_valid(), form.errors
    response = session_export_response(
        kind=kind, fmt=fmt, sessions=filtered_sessions(form), include_minutes=False
    )
    size = sum(len(chunk) for chunk in response.streaming_content)
    response.close()
    return size


def timed(kind, fmt, runs):
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        size = export(kind, fmt)
        times.append(time.perf_counter() - began)
    return times, size


def peak_memory(kind, fmt, sessions_limit):
    tracemalloc.start()
    tracemalloc.reset_peak()
    export(kind, fmt, sessions_limit=sessions_limit)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    build()
    print(f"data: {SESSIONS} sessions × 8 factors, built in {time.perf_counter() - began:.1f} s")
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    export("scores", "xlsx")  # warm-up: imports, query plans
    for kind, fmt in (("scores", "xlsx"), ("scores", "csv"), ("sessies", "xlsx")):
        times, size = timed(kind, fmt, runs)
        print(f"{kind:8} {fmt:4}: median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f} s, max {max(times):.2f} s, {size / 1024:.0f} KiB")
    for limit in (100, 500, SESSIONS):
        peak = peak_memory("scores", "xlsx", limit)
        print(f"peak memory scores xlsx, {limit:5} sessions ({limit * 8:5} rows): "
              f"{peak / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
