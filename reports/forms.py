"""The form for sending the advice to the initiative."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

SEPARATORS = re.compile(r"[,;\s]+")
MESSAGE_MAX_LENGTH = 5_000


def parse_recipients(text: str) -> list[str]:
    """The addresses in `text` (separated by commas, semicolons, spaces or new lines), each
    once; ValidationError names the ones that are not e-mail addresses."""
    addresses, seen = [], set()
    for address in SEPARATORS.split(text or ""):
        address = address.strip().strip("<>")
        if address and address.lower() not in seen:
            seen.add(address.lower())
            addresses.append(address)
    if not addresses:
        raise ValidationError(_("Vul minstens één e-mailadres in."))
    wrong = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            wrong.append(address)
    if wrong:
        raise ValidationError(
            _("Dit is geen geldig e-mailadres: %(addresses)s. Een adres ziet eruit als "
              "naam@organisatie.nl.") % {"addresses": ", ".join(wrong)})
    if len(addresses) > settings.ACTIESCAN_MAX_RECIPIENTS:
        raise ValidationError(_("Stuur de e-mail naar hoogstens %(n)s adressen tegelijk.")
                              % {"n": settings.ACTIESCAN_MAX_RECIPIENTS})
    return addresses


class SendAdviceForm(forms.Form):
    recipients = forms.CharField(
        label=_("Aan"), max_length=2_000,
        help_text=_("Meer dan één adres? Zet er een komma tussen."),
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "email", "spellcheck": "false"}),
    )
    message = forms.CharField(
        label=_("Bericht"), max_length=MESSAGE_MAX_LENGTH,
        help_text=_("Dit staat boven de link naar het advies."),
        widget=forms.Textarea(attrs={"rows": 9}),
    )
    days = forms.IntegerField(
        label=_("De link werkt (dagen)"), min_value=1, max_value=365,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    with_pdf = forms.BooleanField(
        label=_("Stuur de PDF ook mee als bijlage"), required=False,
        help_text=_("Meestal niet nodig: via de link kan het initiatief de PDF downloaden."),
    )

    def clean_recipients(self):
        return parse_recipients(self.cleaned_data["recipients"])
