"""The fields that the screens save one by one, named `<kind>:<id>:<name>`.

One registry so that the save endpoint, the live-sync payload and the templates agree on what a
field is called and how it is checked. The session's own fields are listed here; an app that
builds on sessions adds its own with `register` (the advice: reports.fields)."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actiescan.models import Level

TEXT = "text"
LEVEL = "level"
DISCUSSED = "discussed"
BOOL = "bool"


@dataclass(frozen=True)
class FieldSpec:
    kind: str
    name: str
    type: str
    max_length: int | None = None
    # What a person calls the field (the history of saved text shows it).
    label: str = ""

    @property
    def versioned(self) -> bool:
        return self.type == TEXT


SPECS = {
    (spec.kind, spec.name): spec
    for spec in [
        FieldSpec("session", "choice_rationale", TEXT,
                  label=gettext_lazy("Waarom deze succesfactoren")),
        FieldSpec("session", "general_minutes", TEXT, label=gettext_lazy("Algemene notulen")),
        FieldSpec("session", "wrap_up_notes", TEXT,
                  label=gettext_lazy("Aanvullende vragen van de notulist")),
        FieldSpec("session", "notulist_checked", BOOL,
                  label=gettext_lazy("De notulist heeft alles wat nodig is")),
        FieldSpec("factor", "rationale", TEXT, label=gettext_lazy("Toelichting op het niveau")),
        FieldSpec("factor", "minutes", TEXT, label=gettext_lazy("Notulen")),
        FieldSpec("factor", "current_level", LEVEL, label=gettext_lazy("Huidig niveau")),
        FieldSpec("factor", "desired_level", LEVEL, label=gettext_lazy("Gewenst niveau")),
        FieldSpec("factor", "discussed", DISCUSSED, label=gettext_lazy("Besproken subvragen")),
        FieldSpec("action", "text", TEXT, label=gettext_lazy("Actiepunt")),
        FieldSpec("action", "owner", TEXT, max_length=200, label=gettext_lazy("Trekker")),
        FieldSpec("action", "timeframe", TEXT, max_length=200, label=gettext_lazy("Termijn")),
    ]
}
SESSION_KINDS = ("session", "factor", "action")


def register(*specs: FieldSpec):
    """Add the fields of another document (e.g. the advice) that saves through this protocol."""
    for spec in specs:
        if spec.kind in SESSION_KINDS:
            raise ValueError(f"{spec.kind} fields belong to the session itself")
        SPECS[(spec.kind, spec.name)] = spec

# Fields whose change alters what the summary parts of a screen show (progress, completeness).
SUMMARY_KINDS = {LEVEL, DISCUSSED, BOOL}


class FieldError(Exception):
    """Bad input for a field; the message is shown to the user."""


def whole_number(raw, default=None):
    """A non-negative whole number typed as plain ASCII digits, else `default`. (str.isdigit
    alone accepts characters such as "²" that int() refuses.)"""
    raw = str(raw or "")
    # 18 digits is far beyond any id or revision, and below int()'s limit on huge strings.
    return int(raw) if len(raw) <= 18 and raw.isascii() and raw.isdigit() else default


def key_for(kind: str, pk: int, name: str) -> str:
    return f"{kind}:{pk}:{name}"


def parse_key(key: str) -> tuple[FieldSpec, int]:
    parts = (key or "").split(":")
    if len(parts) != 3 or whole_number(parts[1]) is None:
        raise FieldError(_("Onbekend veld."))
    kind, pk, name = parts
    spec = SPECS.get((kind, name))
    if spec is None:
        raise FieldError(_("Onbekend veld."))
    return spec, int(pk)


def clean_value(spec: FieldSpec, values: list[str]):
    """Check and convert the submitted value(s) for a field; raise FieldError with a Dutch
    message for anything the field cannot hold."""
    if spec.type == DISCUSSED:
        indexes = []
        for raw in values:
            index = whole_number(raw)
            if index is None or index > 50:
                raise FieldError(_("Ongeldige subvraag."))
            indexes.append(index)
        return sorted(set(indexes))
    value = values[-1] if values else ""
    if spec.type == LEVEL:
        if value not in ("", *Level.values):
            raise FieldError(_("Kies startend, gevorderd of voldragen."))
        return value
    if spec.type == BOOL:
        if value not in ("", "0", "1", "true", "false", "on"):
            raise FieldError(_("Ongeldige waarde."))
        return value in ("1", "true", "on")
    if "\x00" in value:
        raise FieldError(_("De tekst bevat een ongeldig teken."))
    limit = spec.max_length or settings.ACTIESCAN_MAX_FIELD_LENGTH
    if len(value) > limit:
        raise FieldError(
            _("Deze tekst is te lang: %(length)s tekens, het maximum is %(limit)s.")
            % {
                "length": number_format(len(value), force_grouping=True),
                "limit": number_format(limit, force_grouping=True),
            }
        )
    # Browsers send \r\n for textareas; store one form so versions compare equal.
    return value.replace("\r\n", "\n")
