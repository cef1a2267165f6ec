"""Workshops (bijeenkomsten): an event with several tables, and the closing reflection of a table
or of the whole event (seed 000)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actiescan.roles import is_ser_staff

from .session import ScanSession


class EventQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Events whose overview this user may open: staff all, others the ones they organise.
        A table's session keeps its own access (moderator, notulist, staff)."""
        if is_ser_staff(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(organiser=user)


class Event(models.Model):
    """A bijeenkomst: a workshop with several tables at once (seed 000). Every table is a
    ScanSession (`tables`) with its own moderator and notulist, on a real initiative or on a
    casus; the organiser follows all tables on one screen."""

    name = models.CharField(_("naam"), max_length=200)
    starts_at = models.DateTimeField(_("datum en tijd"))
    location = models.CharField(_("plaats"), max_length=200, blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
        related_name="organised_events", verbose_name=_("organisator"),
    )
    description = models.TextField(_("programma en toelichting"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("bijeenkomst")
        verbose_name_plural = _("bijeenkomsten")

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.name} – {local:%d-%m-%Y}"

    def get_absolute_url(self):
        return reverse("sessions:event", args=[self.pk])

    def can_manage(self, user) -> bool:
        """Adding tables, editing the event and its reflection: the organiser and staff."""
        return is_ser_staff(user) or (user.is_authenticated and user.pk == self.organiser_id)


class ReflectionQuestion(models.TextChoices):
    """The closing reflection of the workshop, verbatim from seed 000."""

    INSIGHTS = "insights", _(
        "Heeft de toepassing van dit instrument je nieuwe inzichten opgeleverd?"
    )
    LEVELS = "levels", _(
        "Heeft het werken met de beschrijving van de verschillende niveaus (startend, "
        "gevorderd, voldragen), geholpen met het in kaart brengen van interventies voor het "
        "verduurzamen van het betreffende LLO initiatief?"
    )
    POSSIBILITIES = "possibilities", _(
        "Welke mogelijkheden zien jullie voor de inzet van de LLO-actiescan?"
    )


class Reflection(models.Model):
    """The answers to the three reflection questions, for one table (session) or for a whole
    event. Saved with a version number: a save based on an older version is refused, so two
    people at one table never overwrite each other's answers unseen."""

    session = models.OneToOneField(
        ScanSession, on_delete=models.CASCADE, null=True, blank=True, related_name="reflection",
        verbose_name=_("scansessie"),
    )
    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="reflection",
        verbose_name=_("bijeenkomst"),
    )
    insights = models.TextField(ReflectionQuestion.INSIGHTS.label, blank=True)
    levels = models.TextField(ReflectionQuestion.LEVELS.label, blank=True)
    possibilities = models.TextField(ReflectionQuestion.POSSIBILITIES.label, blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(_("bijgewerkt op"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("bijgewerkt door"),
    )

    ANSWER_FIELDS = tuple(ReflectionQuestion.values)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(session__isnull=False, event__isnull=True)
                | Q(session__isnull=True, event__isnull=False),
                name="reflection_of_session_or_event",
            ),
        ]
        verbose_name = _("reflectie")
        verbose_name_plural = _("reflecties")

    def __str__(self):
        return str(_("Reflectie: %(what)s") % {"what": self.session or self.event})

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name).strip() for name in self.ANSWER_FIELDS)


