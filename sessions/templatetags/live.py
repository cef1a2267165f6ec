from django import template

from .. import sync_tokens
from ..fields import key_for

register = template.Library()


@register.inclusion_tag("sessions/_live_field.html", takes_context=True)
def live_field(context, obj, kind, name, label, rows=0, help_text="", placeholder=""):
    """A text field that saves itself (see docs/live-protocol.md)."""
    key = key_for(kind, obj.pk, name)
    field_id = "f-" + key.replace(":", "-")
    return {
        "key": key,
        "id": field_id,
        "value": getattr(obj, name),
        "version": getattr(obj, f"{name}_version"),
        "label": label,
        "rows": rows,
        "help_text": help_text,
        "placeholder": placeholder,
        "readonly": context.get("readonly", False),
    }


@register.inclusion_tag("sessions/_save_status.html")
def save_status(key):
    return {"key": key, "id": "status-" + key.replace(":", "-")}


@register.simple_tag
def field_key(kind, pk, name):
    return key_for(kind, pk, name)


@register.filter
def as_id(key):
    return key.replace(":", "-")


@register.filter
def mmss(seconds):
    """Seconds as mm:ss, as the clock shows them (the script takes over while it runs)."""
    seconds = max(int(seconds or 0), 0)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


@register.simple_tag(takes_context=True)
def sync_token(context, session):
    """The live poll's token (see sessions/sync_tokens.py); only on pages whose view checked the
    user's access to `session`."""
    request = context.get("request")
    return sync_tokens.issue(request, session.pk) if request is not None else ""
