"""The small level chart (current and desired level per factor), drawn as SVG on the server:
the same drawing serves the wrap-up screen and the advice PDF (vector, no screenshots). Also the
initiative's path over time: per factor its levels in each session held."""

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from actiescan.models import Level

from .models import SessionFactor, Status

ROW_HEIGHT = 34
LABEL_WIDTH = 250
COLUMN_WIDTH = 150


def level_chart(rows):
    """`rows`: (title, current level value or "", desired level value or "") per factor."""
    position = {value: i for i, value in enumerate(Level.values)}
    labels = dict(Level.choices)
    drawn = []
    for n, (title, current, desired) in enumerate(rows):
        y = 36 + n * ROW_HEIGHT
        current_at = position.get(current)
        desired_at = position.get(desired)
        drawn.append(
            {
                "title": title,
                "y": y,
                "text_y": y + 5,
                "current_x": LABEL_WIDTH + current_at * COLUMN_WIDTH if current_at is not None else None,
                "desired_x": LABEL_WIDTH + desired_at * COLUMN_WIDTH if desired_at is not None else None,
                "current": labels.get(current, ""),
                "desired": labels.get(desired, ""),
            }
        )
    return {
        "rows": drawn,
        "height": 48 + len(rows) * ROW_HEIGHT,
        "columns": [
            {"x": LABEL_WIDTH + i * COLUMN_WIDTH, "label": label}
            for i, (_value, label) in enumerate(Level.choices)
        ],
    }


# --- The initiative's path over time: per factor, the levels of each session held -------------

PATH_WIDTH = 320
PATH_LABEL_WIDTH = 80
PATH_ROW = 30
PATH_TOP = 8


def level_path(sessions, session_factors, *, this_session_id=None) -> dict | None:
    """Per factor (by catalogue code, in catalogue order) the current and desired level of each
    of `sessions` (held ones, in time order; dated when they were held), or None in a session that did not choose it: a
    factor not discussed has no level, it is never a low one. Plain data, so that an advice
    version can keep it; None when there are fewer than two sessions, which is no path yet.
    Factors of other sessions are left out. Expects the factors' `factor` loaded."""
    sessions = list(sessions)
    if len(sessions) < 2:
        return None
    column = {session.pk: n for n, session in enumerate(sessions)}
    mine = [sf for sf in session_factors if sf.session_id in column]
    factors = {}
    for session_factor in sorted(mine, key=lambda sf: column[sf.session_id]):
        code = session_factor.factor_code
        row = factors.setdefault(code, {
            "code": code, "order": session_factor.factor.order, "levels": [None] * len(sessions),
        })
        row["title"] = session_factor.title  # the latest session's wording
        row["levels"][column[session_factor.session_id]] = {
            "current": session_factor.current_level, "desired": session_factor.desired_level,
        }
    return {
        "sessions": [
            {"held_at": session.held_at.isoformat(), "is_this": session.pk == this_session_id}
            for session in sessions
        ],
        "factors": [
            {key: value for key, value in row.items() if key != "order"}
            for row in sorted(factors.values(), key=lambda row: (row["order"], row["title"]))
        ],
    }


def held_level_path(sessions, *, this_session_id=None) -> dict | None:
    """level_path of the held sessions (not gepland) among `sessions`, a ScanSession
    queryset. Two queries."""
    held = list(
        sessions.exclude(status=Status.GEPLAND).order_by("starts_at", "pk")
        .only("pk", "starts_at", "started_at", "closed_at")
    )
    if len(held) < 2:
        return None
    chosen = (
        SessionFactor.objects.filter(session__in=held).select_related("factor")
        .only("session_id", "snapshot", "current_level", "desired_level", "factor__code",
              "factor__order", "factor__title")
    )
    return level_path(held, chosen, this_session_id=this_session_id)


def level_path_cell(cell) -> str:
    """One session's levels of a factor in words: the text alternative of the chart."""
    labels = {value: str(label).lower() for value, label in Level.choices}
    if cell is None:
        return gettext("niet besproken")
    current, desired = labels.get(cell["current"], ""), labels.get(cell["desired"], "")
    if current and desired:
        return f"{current} → {desired}"
    if current:
        return current
    if desired:
        return gettext("gewenst: %(level)s") % {"level": desired}
    return gettext("geen niveau gekozen")


def level_path_charts(path: dict) -> dict:
    """What the template draws of `level_path` data: per factor a small SVG (sessions left to
    right, the three levels bottom to top; an open circle for the current level, a filled one
    for the desired level, lines only between sessions next to each other that both have the
    level) and its text alternative, one line per session."""
    dates = [timezone.localtime(datetime.fromisoformat(s["held_at"])) for s in path["sessions"]]
    levels = Level.values
    labels = dict(Level.choices)
    step = (PATH_WIDTH - PATH_LABEL_WIDTH - 8) / len(dates)
    # Whole numbers: a float would be written with a decimal comma in a Dutch template.
    xs = [round(PATH_LABEL_WIDTH + step * (n + 0.5)) for n in range(len(dates))]
    bottom = PATH_TOP + PATH_ROW * len(levels)

    def y_of(level):
        return PATH_TOP + PATH_ROW * (len(levels) - 1 - levels.index(level)) + PATH_ROW // 2 if level in levels else None

    def segments(points, name):
        return [
            {"x1": a["x"], "y1": a[name], "x2": b["x"], "y2": b[name]}
            for a, b in zip(points, points[1:], strict=False)
            if a[name] is not None and b[name] is not None
        ]

    charts = []
    for factor in path["factors"]:
        points = []
        for x, cell in zip(xs, factor["levels"], strict=True):
            points.append({
                "x": x,
                "discussed": cell is not None,
                "current_y": y_of(cell["current"]) if cell else None,
                "desired_y": y_of(cell["desired"]) if cell else None,
                "current": labels.get(cell["current"], "") if cell else "",
                "desired": labels.get(cell["desired"], "") if cell else "",
            })
        charts.append({
            "code": factor["code"],
            "title": factor["title"],
            "points": points,
            "current_lines": segments(points, "current_y"),
            "desired_lines": segments(points, "desired_y"),
            "cells": [level_path_cell(cell) for cell in factor["levels"]],
            "description": " ".join(
                f"{date_format(date, 'j F Y')}: {level_path_cell(cell)}."
                for date, cell in zip(dates, factor["levels"], strict=True)
            ),
        })
    return {
        "width": PATH_WIDTH,
        "height": bottom + 34,
        "bottom": bottom,
        "label_width": PATH_LABEL_WIDTH,
        "rows": [{"label": labels[level], "y": y_of(level)} for level in levels],
        "columns": [
            {"x": x, "date": date, "is_this": s["is_this"]}
            for x, date, s in zip(xs, dates, path["sessions"], strict=True)
        ],
        "factors": charts,
    }
