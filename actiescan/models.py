"""The content catalogue of the Actiescan: eight success factors with their questions and the
three level descriptors. Sessions copy these texts into a snapshot when they use them, so editing
the catalogue never changes what a past session shows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    STARTEND = "startend", _("Startend")
    GEVORDERD = "gevorderd", _("Gevorderd")
    VOLDRAGEN = "voldragen", _("Voldragen")


class SuccessFactorQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class SuccessFactor(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(_("volgorde"), default=0)
    title = models.CharField(_("titel"), max_length=120)
    definition = models.TextField(_("omschrijving"))
    main_question = models.TextField(_("hoofdvraag"))
    is_active = models.BooleanField(
        _("actief"),
        default=True,
        help_text=_("Zet uit in plaats van verwijderen: oude sessies blijven hem dan tonen."),
    )

    objects = SuccessFactorQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("succesfactor")
        verbose_name_plural = _("succesfactoren")

    def __str__(self):
        return self.title

    def snapshot(self) -> dict:
        """The texts a session keeps of this factor. Expects sub_questions and descriptors to be
        prefetched when called in a loop."""
        descriptors = {d.level: d.text for d in self.descriptors.all()}
        return {
            "code": self.code,
            "title": self.title,
            "definition": self.definition,
            "main_question": self.main_question,
            "sub_questions": [q.text for q in self.sub_questions.all() if q.is_active],
            "levels": {level: descriptors.get(level, "") for level in Level.values},
        }


class SubQuestion(models.Model):
    factor = models.ForeignKey(
        SuccessFactor, on_delete=models.PROTECT, related_name="sub_questions",
        verbose_name=_("succesfactor"),
    )
    order = models.PositiveSmallIntegerField(_("volgorde"), default=0)
    text = models.TextField(_("tekst"))
    is_active = models.BooleanField(_("actief"), default=True)

    class Meta:
        ordering = ["factor__order", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["factor", "order"], name="unique_subquestion_order"),
        ]
        verbose_name = _("subvraag")
        verbose_name_plural = _("subvragen")

    def __str__(self):
        return self.text


class LevelDescriptor(models.Model):
    factor = models.ForeignKey(
        SuccessFactor, on_delete=models.PROTECT, related_name="descriptors",
        verbose_name=_("succesfactor"),
    )
    level = models.CharField(_("niveau"), max_length=20, choices=Level.choices)
    text = models.TextField(_("beschrijving"))

    class Meta:
        ordering = ["factor__order", "level"]
        constraints = [
            models.UniqueConstraint(fields=["factor", "level"], name="unique_descriptor_level"),
        ]
        verbose_name = _("niveaubeschrijving")
        verbose_name_plural = _("niveaubeschrijvingen")

    def __str__(self):
        return f"{self.factor} – {self.get_level_display()}"
