"""The small level chart (current and desired level per factor), drawn as SVG on the server:
the same drawing serves the wrap-up screen and the advice PDF (vector, no screenshots)."""

from actiescan.models import Level

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
