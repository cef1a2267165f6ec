"""Benchmark: render time of the advice PDF for a full session.

8 factors, ~300 words of minutes each, all 16 action points filled. Reports the one-time
WeasyPrint import, then the median/min/max of N renders (import excluded), page count and size.

    .venv/bin/python bench/pdf_render.py [runs]

Uses a throw-away SQLite database in a temporary folder; touches nothing else.
"""

import os
import statistics
import sys
import tempfile
import time
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

MINUTES = (
    "De representant vertelt dat het initiatief twee jaar geleden begon met een kleine groep "
    "werknemers uit de bouw. De vragenstellers vragen door op de drempels die deelnemers ervaren: "
    "taal, tijd, en eerdere slechte ervaringen met school. Er is een coach van het ROC die op de "
    "bouwplaats langskomt, maar niet elke week. Werkgevers zijn positief, al willen ze vooral dat "
    "het leren buiten werktijd gebeurt. De tafel bespreekt of leerambassadeurs kunnen helpen: "
    "collega's die zelf een traject volgden en anderen over de streep trekken. Het initiatief wil "
    "meer doen met korte modules die aansluiten op het werk van morgen. "
)


def build_session():
    from actiescan.models import SuccessFactor
    from reports import services as advice_services
    from sessions import services
    from sessions.models import Initiative, Participant, ScanSession

    user = get_user_model().objects.create_user("bench", password="x", first_name="Bench")
    initiative = Initiative.objects.create(name="Leerwerkloket Vakmanschap Rivierenland")
    session = ScanSession.objects.create(
        initiative=initiative, starts_at=timezone.now(), location="Tiel", moderator=user, notulist=user
    )
    for name in ("Marieke Janssen", "Kees van Dijk", "Ayşe Yılmaz"):
        Participant.objects.create(session=session, name=name)
    services.choose_factors(
        session=session, factor_ids=list(SuccessFactor.objects.values_list("pk", flat=True)), user=user
    )
    services.start_session(session=session, user=user)
    minutes = " ".join([MINUTES] * 3)  # ~300 words
    for sf in session.factors.all():
        sf.current_level, sf.desired_level = "startend", "gevorderd"
        sf.minutes = minutes
        sf.save()
        for action in sf.action_points.all():
            action.text = f"Actiepunt {action.position}: leerambassadeurs werven en opleiden voor {sf.title}"
            action.owner, action.timeframe = "Marieke Janssen", "voor 1 maart 2027"
            action.save()
    services.close_session(session=session, user=user)
    return advice_services.get_or_draft_advice(session=session, user=user)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    call_command("migrate", verbosity=0)
    advice = build_session()
    from reports.document import advice_content

    content = advice_content(advice, number=1, finalized_at=timezone.now(), finalized_by=None)
    words = sum(len(f["text"].split()) for f in content["factors"])

    started = time.perf_counter()
    import weasyprint  # noqa: F401

    import_seconds = time.perf_counter() - started
    from reports.document import render_pdf

    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        pdf, pages = render_pdf(content)
        timings.append(time.perf_counter() - started)
    print(f"factors: {len(content['factors'])}, words in sections: {words}, runs: {runs}")
    print(f"weasyprint import (one time): {import_seconds:.2f} s")
    print(
        f"render: median {statistics.median(timings):.3f} s, min {min(timings):.3f} s, "
        f"max {max(timings):.3f} s (first run {timings[0]:.3f} s)"
    )
    print(f"pages: {pages}, size: {len(pdf) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
