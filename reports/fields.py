"""The advice's fields in the autosave protocol (sessions.fields): its own document, edited
after the session, saved and synced like the session's fields."""

from django.utils.translation import gettext_lazy as _

from sessions.fields import TEXT, FieldSpec, register

register(
    FieldSpec("advice", "introduction", TEXT, label=_("Advies: inleiding")),
    FieldSpec("advice", "closing", TEXT, label=_("Advies: tot slot")),
    FieldSpec("section", "text", TEXT, label=_("Advies: uit het gesprek")),
)
