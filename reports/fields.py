"""The advice's fields in the autosave protocol (sessions.fields): its own document, edited
after the session, saved and synced like the session's fields."""

from sessions.fields import TEXT, FieldSpec, register

register(
    FieldSpec("advice", "introduction", TEXT),
    FieldSpec("advice", "closing", TEXT),
    FieldSpec("section", "text", TEXT),
)
