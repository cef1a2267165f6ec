from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as mm:ss, as the live timers (static/js/live.js) write them: 75:03 for 75
    minutes and 3 seconds."""
    try:
        seconds = max(int(seconds), 0)
    except (TypeError, ValueError):
        return "00:00"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes:02d}:{rest:02d}"


@register.filter
def case_blocks(text) -> list[tuple[str, str]]:
    """A casus text as blocks: paragraphs are separated by a blank line, and a paragraph that
    starts with "## " is a heading. [("heading" | "paragraph", text), …]"""
    blocks = []
    for block in (text or "").replace("\r\n", "\n").split("\n\n"):
        block = block.strip()
        if not block:
            continue
        if block.startswith("## "):
            blocks.append(("heading", block[3:].strip()))
        else:
            blocks.append(("paragraph", block))
    return blocks
