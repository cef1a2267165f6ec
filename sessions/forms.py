from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from actiescan.roles import MODERATOR_GROUP, NOTULIST_GROUP

from .models import Initiative, Participant, ScanSession


class UserChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", _("– kies iemand –"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, user):
        return user.get_full_name() or user.username


def users_in(*group_names):
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=group_names) | Q(is_staff=True))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class InitiativeForm(forms.ModelForm):
    class Meta:
        model = Initiative
        fields = [
            "name", "organisations", "sector", "region", "description",
            "contact_name", "contact_email", "is_case",
        ]
        widgets = {
            "organisations": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    # Long enough for a casus of a page or two; an absurd paste is refused with a message.
    TEXT_LIMITS = {"organisations": 2_000, "description": 20_000}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, limit in self.TEXT_LIMITS.items():
            field = self.fields[name]
            field.max_length = limit
            field.widget.attrs["maxlength"] = str(limit)
            field.validators.append(MaxLengthValidator(limit))


class TableRolesForm(forms.Form):
    """The moderator and the notulist of a table: two people, two tasks (a session's planning
    and a workshop's new table both ask for them)."""

    moderator = UserChoiceField(queryset=users_in(MODERATOR_GROUP), label=_("Moderator"))
    notulist = UserChoiceField(
        queryset=users_in(NOTULIST_GROUP), label=_("Notulist"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Fresh querysets per form (users join groups while the server runs); moderators also
        # take minutes for each other.
        self.fields["moderator"].queryset = users_in(MODERATOR_GROUP)
        self.fields["notulist"].queryset = users_in(NOTULIST_GROUP, MODERATOR_GROUP)

    def clean(self):
        data = super().clean()
        moderator, notulist = data.get("moderator"), data.get("notulist")
        if moderator and notulist and moderator == notulist:
            self.add_error(
                "notulist",
                _("Kies voor notulist iemand anders dan de moderator: het zijn twee taken."),
            )
        return data


class SessionForm(TableRolesForm, forms.ModelForm):
    starts_at = forms.DateTimeField(
        label=_("Datum en tijd"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M"],
    )

    class Meta:
        model = ScanSession
        fields = ["initiative", "starts_at", "location", "moderator", "notulist", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The advice's language: Dutch unless chosen otherwise (older forms do not send it).
        self.fields["language"].required = False
        self.fields["initiative"].queryset = Initiative.objects.order_by("is_case", "name")
        self.fields["initiative"].empty_label = _("– kies een initiatief –")

    def clean_language(self):
        return self.cleaned_data.get("language") or self.instance.language or "nl"



class ParticipantForm(forms.ModelForm):
    class Meta:
        model = Participant
        fields = ["name", "role", "organisation"]


class ChooseFactorsForm(forms.Form):
    factors = forms.TypedMultipleChoiceField(
        label=_("Gekozen succesfactoren"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, catalogue=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["factors"].choices = [(f.pk, f.title) for f in catalogue]
