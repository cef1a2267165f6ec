"""What two real browsers ask of the server during a session: the load model's source.

Runs the scripted session of bench/no_loss.py (a moderator and a notulist in two Chromium
contexts, typing through every move of the table and through closing) against the production
server (scripts/serve: granian, DEBUG off, live updates pushed) and records every request each
screen makes: its kind, size and duration. Writes the mix per screen and per minute to
bench/results/browser_mix.json, which bench/load.py replays per table.

    .venv/bin/python bench/record_browsers.py [--repetitions 3]

Kinds: save (autosave POST), presence (unsaved-text reports), move (the moderator moving the
table), fragment (htmx GET of a part of a page), page (a whole page), stream (opening the
server-sent-events stream), sync (the fallback poll), static, other.
"""

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from no_loss import CHROMIUM, login_cookie, scripted_table  # noqa: E402

RESULT = ROOT / "bench" / "results" / "browser_mix.json"


def kind_of(request) -> str:
    url = request.url
    if "/static/" in url:
        return "static"
    if "/stream/" in url:
        return "stream"
    if "/sync/" in url:
        return "sync"
    if request.method == "POST":
        if "/opslaan/" in url:
            return "save"
        if "/niet-opgeslagen/" in url:
            return "presence"
        if "/naar/" in url or "/naar-totaaloverzicht/" in url:
            return "move"
        return "other"
    if request.resource_type == "document":
        return "page"
    if (request.headers.get("hx-request") or "").lower() == "true":
        return "fragment"
    return "other"


class Recorder:
    def __init__(self, page, role, log):
        self.role, self.log = role, log
        page.on("requestfinished", self.finished)
        page.on("requestfailed", self.finished)

    def finished(self, request):
        timing = request.timing
        try:
            sizes = request.sizes()
        except Exception:  # noqa: BLE001 - a request the browser cancelled has none
            sizes = {"requestBodySize": 0, "responseBodySize": 0}
        field = ""
        if kind_of(request) == "save":
            match = re.search(r"field=(\w+)%3A\d+%3A(\w+)", request.post_data or "")
            field = f"{match.group(1)}:{match.group(2)}" if match else ""
        self.log.append({
            "role": self.role, "kind": kind_of(request), "method": request.method, "field": field,
            "path": request.url.split("://", 1)[1].split("/", 1)[1].split("?")[0],
            "ms": max(0.0, timing.get("responseEnd", -1) - timing.get("requestStart", 0))
            if timing.get("responseEnd", -1) >= 0 else None,
            "request_bytes": sizes.get("requestBodySize", 0),
            "response_bytes": sizes.get("responseBodySize", 0),
        })


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    log, seconds = [], 0.0
    with scripted_table("actiescan-record-") as table:
        from sessions import services
        from tests.browser.helpers import type_through_a_session
        from tests.helpers import plan_session

        moderator, notulist, base = table.moderator, table.notulist, table.base
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
            for n in range(args.repetitions):
                session = plan_session(table.initiative, moderator, notulist)
                services.start_session(session=session, user=moderator)
                pages = []
                for user, role in ((moderator, "moderator"), (notulist, "notulist")):
                    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam",
                                                  viewport={"width": 1366, "height": 768})
                    context.add_cookies([{"name": "sessionid", "value": login_cookie(user), "url": base}])
                    page = context.new_page()
                    Recorder(page, role, log)
                    pages.append(page)
                started = time.monotonic()
                result = type_through_a_session(*pages, base, session, random.Random(args.seed + n))
                seconds += time.monotonic() - started
                for page in pages:
                    page.context.close()
                print(f"{n + 1}: {result['seconds']} s, {result['characters']} characters, "
                      f"lost {result['lost_characters']}", flush=True)
            browser.close()

    minutes = seconds / 60
    mix = {"recorded_minutes": round(minutes, 2), "repetitions": args.repetitions,
           "per_minute": {}, "sizes": {}, "server_ms": {}}
    grouped = defaultdict(list)
    for entry in log:
        grouped[(entry["role"], entry["kind"])].append(entry)
    for (role, kind), entries in sorted(grouped.items()):
        mix["per_minute"].setdefault(role, {})[kind] = round(len(entries) / minutes, 2)
        mix["sizes"].setdefault(role, {})[kind] = {
            "request": round(statistics.mean(e["request_bytes"] for e in entries)),
            "response": round(statistics.mean(e["response_bytes"] for e in entries)),
        }
        timings = [e["ms"] for e in entries if e["ms"] is not None and kind != "stream"]
        if timings:
            mix["server_ms"].setdefault(role, {})[kind] = round(statistics.median(timings), 1)
    mix["saved_fields"] = {
        role: dict(Counter(e["field"] for e in log if e["role"] == role and e["kind"] == "save"))
        for role in ("moderator", "notulist")
    }
    mix["paths"] = {
        kind: dict(sorted(Counter(re.sub(r"\d+", "<n>", e["path"]) for e in log if e["kind"] == kind).items()))
        for kind in ("fragment", "other", "page", "move")
    }
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(mix, indent=2) + "\n")
    print(json.dumps(mix, indent=2))


if __name__ == "__main__":
    main()
