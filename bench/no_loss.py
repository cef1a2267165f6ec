"""No text lost at a real table: a scripted session, repeated, in two real browsers.

A moderator and a notulist (two Chromium contexts, 1366×768, Debian's /usr/bin/chromium) type
continuously, in turns of one word, through every move of the table and through closing: the
moderator types in the rationale and an action point of each factor, scores, ticks a
sub-question and moves on (POST) right after his last key; the notulist types minutes, now and
then general minutes, reacts to "Ga mee" or looks up for a few seconds (her screen may follow
meanwhile, and she types on at once), and types on while the moderator closes (the close waits
for her, up to 10 s, then "Toch afsluiten"). The script is tests/browser/helpers.py's
type_through_a_session; test_no_loss.py runs it once in the test suite.

Every word is unique; afterwards the database must hold each word that landed in a field exactly
once, every word must have landed in an editable field on the typist's screen, and every field
on both screens must show what the database holds.

    .venv/bin/python bench/no_loss.py --repetitions 20

The server is production's (scripts/serve: granian, DEBUG off, the manifest static files: the
ES modules as they are deployed, live updates pushed) on 127.0.0.1, with a fresh SQLite database
in a temporary folder.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from load import free_port, server_env, start_server, stop_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def prepare_django(env: dict):
    os.environ.update(env)
    # This process drives Playwright's sync API and reads the database between steps, as the
    # browser tests do (tests/browser/conftest.py); the server itself runs without this.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextmanager
def scripted_table(prefix: str):
    """A scratch SQLite database with a moderator, a notulist and an initiative, and the
    production server on it (scripts/serve); yields their names and the server's address."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    env = server_env("sqlite", folder / "db.sqlite3")
    prepare_django(env)
    from actiescan.roles import MODERATOR_GROUP, NOTULIST_GROUP
    from sessions.models import Initiative
    from tests.helpers import make_user

    table = SimpleNamespace(
        moderator=make_user("jeroen", MODERATOR_GROUP, first_name="Jeroen"),
        notulist=make_user("fatima", NOTULIST_GROUP, first_name="Fatima"),
        initiative=Initiative.objects.create(name="Leerwerkloket Rivierenland"),
    )
    port = free_port()
    table.base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, workers=2)
    try:
        yield table
    finally:
        stop_server(server)
        shutil.rmtree(folder, ignore_errors=True)


def login_cookie(user) -> str:
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    results = []
    with scripted_table("actiescan-no-loss-") as table:
        from sessions import services
        from tests.browser.helpers import type_through_a_session
        from tests.helpers import plan_session

        moderator, notulist, base = table.moderator, table.notulist, table.base
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for n in range(args.repetitions):
                session = plan_session(table.initiative, moderator, notulist)
                services.start_session(session=session, user=moderator)
                pages = []
                for user in (moderator, notulist):
                    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam",
                                                  viewport={"width": 1366, "height": 768})
                    context.add_cookies([{"name": "sessionid", "value": login_cookie(user), "url": base}])
                    pages.append(context.new_page())
                result = type_through_a_session(*pages, base, session, random.Random(args.seed + n))
                for page in pages:
                    page.context.close()
                results.append(result)
                print(f"{n + 1:2d}: {result}", flush=True)
            browser.close()

    def total(name):
        return sum(r[name] for r in results)

    print()
    print(f"repetitions {len(results)}, characters typed {total('characters')} "
          f"({total('words')} words), lost {total('lost_characters')}, "
          f"not in a field on screen {sum(len(r['nowhere']) for r in results)}, "
          f"screens differing from the database {sum(len(r['screen_differs_from_database']) for r in results)}")
    print(f"seconds per session: median {statistics.median(r['seconds'] for r in results):.1f}, "
          f"max {max(r['seconds'] for r in results):.1f}")
    waits = [r["close_wait_seconds"] for r in results]
    print(f"close (press to closed): median {statistics.median(waits):.1f} s, max {max(waits):.1f} s; "
          f"saves after closing {total('after_close_saves')}, words cut off by the closed screen "
          f"{total('cut_off_by_closing')}")
    print(f"follows: by themselves {total('auto_follows')}, with 'Ga mee' {total('go_along')}; "
          f"conflicts {total('conflicts')}")
    failed = total("lost_characters") or any(r["nowhere"] or r["screen_differs_from_database"]
                                              or not r["closed"] for r in results)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
