import re

from django import template
from django.utils.html import format_html

from .. import markdown

register = template.Library()


@register.filter
def advice_text(text):
    """The advice's formatted text (reports.markdown): paragraphs, lists, bold, italic."""
    return markdown.render(text)


# A run of this many characters without a space gets a break opportunity (U+200B, invisible):
# longer than Dutch compounds, shorter than any column. WeasyPrint can break a word anywhere
# itself (overflow-wrap: anywhere), but it then measures a long run character by character:
# one 6,000-character word in a table took minutes.
LONG_RUN = re.compile(r"\S{30}(?=\S)")


@register.filter
def user_text(value):
    """Typed text (an owner, a name) among the template's own words, escaped: a long word gets
    break opportunities so it cannot push a table or the page wider than the paper, and the text
    is isolated (FSI … PDI) so that a direction override typed into it (U+202E) ends with it
    instead of turning the labels that follow around."""
    text = "" if value is None else str(value)
    if not text:
        return ""
    return format_html("\u2068{}\u2069", LONG_RUN.sub(lambda match: match.group(0) + "\u200b", text))
