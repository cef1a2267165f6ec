"""The contract between the live client (static/js/live/, native ES modules) and the templates:
every message the client shows is translated on the page, every event a template listens for is
fired, and the modules form no cycle (the production static storage rewrites their imports to
hashed names, which a cycle makes impossible: collectstatic would fail at deploy)."""

import re
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

from .helpers import client_for

LIVE = Path(settings.BASE_DIR) / "static" / "js" / "live"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def modules() -> dict[str, str]:
    return {path.name: path.read_text() for path in LIVE.glob("*.js")}


def imports(source: str) -> list[str]:
    return re.findall(r'^import[^;]*?from "\./([\w-]+\.js)";', source, flags=re.M | re.S)


def test_the_modules_import_each_other_without_a_cycle():
    graph = {name: imports(source) for name, source in modules().items()}
    for name, targets in graph.items():
        for target in targets:
            assert target in graph, f"{name} imports {target}, which does not exist"
    done, path = set(), []

    def visit(name):
        assert name not in path, f"import cycle: {' -> '.join(path + [name])}"
        if name in done:
            return
        path.append(name)
        for target in graph[name]:
            visit(target)
        path.pop()
        done.add(name)

    visit("main.js")
    assert done == set(graph), f"modules nothing imports: {set(graph) - done}"


def test_every_message_the_client_shows_is_on_the_live_pages(running_session, moderator):
    # clock.js names the phase's message: msg("phase-" + phase).
    used = {"phase-questions", "phase-scoring", "phase-over"}
    for source in modules().values():
        used |= set(re.findall(r'msg\("([\w-]+)"\)', source))
    client = client_for(Client, moderator)
    for name in ("cockpit", "notulist", "wrap_up"):
        html = client.get(reverse(f"sessions:{name}", args=[running_session.pk])).content.decode()
        missing = [m for m in used if f'data-msg-{m}="' not in html]
        assert not missing, (name, missing)
        assert '<script type="module" src="/static/js/live/main.js">' in html


def test_every_live_event_a_template_waits_for_is_fired():
    fired = set(re.findall(r'new CustomEvent\("(live:[\w-]+)"', modules()["sync.js"]))
    listened = set()
    for template in TEMPLATES.rglob("*.html"):
        listened |= set(re.findall(r'hx-trigger="(live:[\w-]+) from:body"', template.read_text()))
    assert listened and listened <= fired, listened - fired
