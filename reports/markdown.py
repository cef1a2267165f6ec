"""The advice's text formatting: a small, safe Markdown subset, rendered the same in the
preview, on the share page and in the PDF.

What a notulist can type: paragraphs (a blank line), a line break (Enter), bullet lists (- or *),
numbered lists (1.), **bold** and *italic*. Nothing else is interpreted: no HTML (typed tags show
as text), no links or images (the PDF fetches nothing a user typed), no headings (the document's
headings are its own, so its structure and the PDF's tags stay sound), no quotes or code."""

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# "zero" switches every rule off; only the ones listed here are on. html=False escapes any
# typed markup. breaks=True: the notulist types line by line; a single Enter is a line break.
_renderer = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False}).enable(
    ["list", "emphasis", "newline", "escape"]
)


def render(text: str) -> SafeString:
    """The HTML for `text`: safe to put in a page or the PDF as it is."""
    # Safe: with html off the renderer escapes everything typed; only its own tags are output.
    return mark_safe(_renderer.render(text or ""))
