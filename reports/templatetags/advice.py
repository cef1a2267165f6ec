from django import template

from .. import markdown

register = template.Library()


@register.filter
def advice_text(text):
    """The advice's formatted text (reports.markdown): paragraphs, lists, bold, italic."""
    return markdown.render(text)
