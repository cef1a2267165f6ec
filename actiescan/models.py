"""The content catalogue of the Actiescan: eight success factors with their questions and the
three level descriptors. Sessions copy these texts into a snapshot when they use them, so editing
the catalogue never changes what a past session shows."""

import hashlib
import secrets
from base64 import b32encode

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin


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
    # Optional English texts, shown when the interface is English; empty means: the Dutch text.
    title_en = models.CharField(_("titel (Engels)"), max_length=120, blank=True)
    definition_en = models.TextField(_("omschrijving (Engels)"), blank=True)
    main_question_en = models.TextField(_("hoofdvraag (Engels)"), blank=True)

    objects = SuccessFactorQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("succesfactor")
        verbose_name_plural = _("succesfactoren")

    def __str__(self):
        return self.title

    def snapshot(self) -> dict:
        """The texts a session keeps of this factor. Expects sub_questions and descriptors to be
        prefetched when called in a loop.

        When any English text is filled in, the snapshot also holds them under "en" (same
        shape; an empty text there means: use the Dutch one). The sub-question lists of both
        languages have the same length and order, so discussed indexes fit both."""
        descriptors = list(self.descriptors.all())
        questions = [q for q in self.sub_questions.all() if q.is_active]
        snapshot = {
            "code": self.code,
            "title": self.title,
            "definition": self.definition,
            "main_question": self.main_question,
            "sub_questions": [q.text for q in questions],
            "levels": {level: "" for level in Level.values}
            | {d.level: d.text for d in descriptors if d.level in Level.values},
        }
        english = {
            "title": self.title_en,
            "definition": self.definition_en,
            "main_question": self.main_question_en,
            "sub_questions": [q.text_en for q in questions],
            "levels": {level: "" for level in Level.values}
            | {d.level: d.text_en for d in descriptors if d.level in Level.values},
        }
        if (
            english["title"] or english["definition"] or english["main_question"]
            or any(english["sub_questions"]) or any(english["levels"].values())
        ):
            snapshot["en"] = english
        return snapshot


class SubQuestion(models.Model):
    factor = models.ForeignKey(
        SuccessFactor, on_delete=models.PROTECT, related_name="sub_questions",
        verbose_name=_("succesfactor"),
    )
    order = models.PositiveSmallIntegerField(_("volgorde"), default=0)
    text = models.TextField(_("tekst"))
    text_en = models.TextField(_("tekst (Engels)"), blank=True)
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
    text_en = models.TextField(_("beschrijving (Engels)"), blank=True)

    class Meta:
        ordering = ["factor__order", "level"]
        constraints = [
            models.UniqueConstraint(fields=["factor", "level"], name="unique_descriptor_level"),
        ]
        verbose_name = _("niveaubeschrijving")
        verbose_name_plural = _("niveaubeschrijvingen")

    def __str__(self):
        return f"{self.factor} – {self.get_level_display()}"


class Step(models.TextChoices):
    """The move from one level to the next that an example action point serves."""

    STARTEND_GEVORDERD = "startend-gevorderd", _("Van startend naar gevorderd")
    GEVORDERD_VOLDRAGEN = "gevorderd-voldragen", _("Van gevorderd naar voldragen")

    @classmethod
    def between(cls, current: str, desired: str) -> list[str]:
        """The steps from `current` up to `desired`, in order: one for a move of one level,
        both for startend → voldragen; none when a level is missing or desired is not higher."""
        levels = Level.values
        if current not in levels or desired not in levels:
            return []
        start, end = levels.index(current), levels.index(desired)
        return [f"{levels[n]}-{levels[n + 1]}" for n in range(start, end)]


class ActionExampleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def fitting(self, *, factor_id: int, current: str, desired: str):
        """The active examples of this factor for the steps from `current` to `desired`;
        empty when those levels give no step up (see Step.between)."""
        return self.active().filter(factor_id=factor_id, step__in=Step.between(current, desired))


class ActionExample(models.Model):
    """An example action point (inspiratie) for one factor and one step: a starting text the
    moderator may take over into an action point. Curated catalogue content: loaded from
    fixtures/action_examples.json when missing, edited in the admin, deactivated instead of
    deleted."""

    key = models.SlugField(
        _("sleutel"), max_length=80, unique=True, blank=True,
        help_text=_("Vaste korte naam, gebruikt door het inhoudsbestand. Leeg laten: wordt "
                    "gemaakt."),
    )
    factor = models.ForeignKey(
        SuccessFactor, on_delete=models.PROTECT, related_name="action_examples",
        verbose_name=_("succesfactor"),
    )
    step = models.CharField(_("stap"), max_length=30, choices=Step.choices)
    position = models.PositiveSmallIntegerField(_("volgorde"), default=0)
    text = models.TextField(_("actiepunt"))
    # The same limits as the action point's fields they fill (sessions.ActionPoint).
    owner = models.CharField(_("trekker"), max_length=200, blank=True)
    timeframe = models.CharField(_("termijn"), max_length=200, blank=True)
    sub_questions = models.ManyToManyField(
        SubQuestion, blank=True, related_name="action_examples", verbose_name=_("subvragen"),
        help_text=_("De subvragen van deze succesfactor waar het voorbeeld op voortbouwt."),
    )
    is_active = models.BooleanField(
        _("actief"), default=True,
        help_text=_("Zet uit in plaats van verwijderen: het voorbeeld wordt dan niet meer "
                    "getoond."),
    )
    # Optional English texts, shown when the interface is English; empty means: the Dutch text.
    text_en = models.TextField(_("actiepunt (Engels)"), blank=True)
    owner_en = models.CharField(_("trekker (Engels)"), max_length=200, blank=True)
    timeframe_en = models.CharField(_("termijn (Engels)"), max_length=200, blank=True)

    objects = ActionExampleQuerySet.as_manager()

    class Meta:
        # "startend-…" sorts after "gevorderd-…": descending puts the first step first.
        ordering = ["factor__order", "-step", "position", "pk"]
        verbose_name = _("voorbeeldactiepunt")
        verbose_name_plural = _("voorbeeldactiepunten")

    def __str__(self):
        return self.text[:80]

    def save(self, *args, **kwargs):
        if not self.key:
            base = slugify(f"{self.factor.code}-{self.step}")[:70]
            key, n = base, 1
            while ActionExample.objects.filter(key=key).exists():
                n += 1
                key = f"{base}-{n}"
            self.key = key
        super().save(*args, **kwargs)

    def _shown(self, name: str) -> str:
        if (translation.get_language() or "").startswith("en"):
            return getattr(self, f"{name}_en") or getattr(self, name)
        return getattr(self, name)

    @property
    def shown_text(self) -> str:
        return self._shown("text")

    @property
    def shown_owner(self) -> str:
        return self._shown("owner")

    @property
    def shown_timeframe(self) -> str:
        return self._shown("timeframe")


class CatalogueChange(models.Model):
    """One changed field of a factor, sub-question or level descriptor, written by the admin
    when staff edit the catalogue: who, when, the old and the new text. Append-only. Sessions
    are not affected by these edits: they keep their own copy (SessionFactor.snapshot)."""

    class Kind(models.TextChoices):
        FACTOR = "succesfactor", _("succesfactor")
        SUB_QUESTION = "subvraag", _("subvraag")
        DESCRIPTOR = "niveaubeschrijving", _("niveaubeschrijving")

    # The fields whose every change is kept, per kind.
    TRACKED_FIELDS = {
        Kind.FACTOR: (
            "title", "definition", "main_question", "order", "is_active",
            "title_en", "definition_en", "main_question_en",
        ),
        Kind.SUB_QUESTION: ("text", "order", "is_active", "text_en"),
        Kind.DESCRIPTOR: ("level", "text", "text_en"),
    }

    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("nummer"))
    factor = models.ForeignKey(
        SuccessFactor, on_delete=models.PROTECT, related_name="changes",
        verbose_name=_("succesfactor"),
    )
    field = models.CharField(_("veld"), max_length=40)
    old_value = models.TextField(_("oude tekst"), blank=True)
    new_value = models.TextField(_("nieuwe tekst"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("door"),
    )
    changed_at = models.DateTimeField(_("tijdstip"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["kind", "object_id"])]
        verbose_name = _("wijziging in de inhoud")
        verbose_name_plural = _("geschiedenis van de inhoud")

    def __str__(self):
        return f"{self.get_kind_display()} {self.object_id}: {self.field_label}"

    @property
    def field_label(self) -> str:
        model = self.model_for(self.kind)
        try:
            return str(model._meta.get_field(self.field).verbose_name)
        except Exception:  # noqa: BLE001 - a field removed since; show its name
            return self.field

    @classmethod
    def model_for(cls, kind):
        return {
            cls.Kind.FACTOR: SuccessFactor,
            cls.Kind.SUB_QUESTION: SubQuestion,
            cls.Kind.DESCRIPTOR: LevelDescriptor,
        }[kind]

    @classmethod
    def kind_of(cls, obj) -> str:
        for kind in cls.Kind:
            if isinstance(obj, cls.model_for(kind)):
                return kind
        raise TypeError(f"{type(obj).__name__} is not catalogue content")

    @staticmethod
    def as_text(value) -> str:
        if isinstance(value, bool):
            return "ja" if value else "nee"
        return "" if value is None else str(value)

    @classmethod
    def stored_values(cls, model, pks) -> dict[int, dict[str, str]]:
        """The tracked fields as stored now, per pk: read before a save to know the old text."""
        kind = cls.kind_of(model())
        fields = cls.TRACKED_FIELDS[kind]
        return {
            row["pk"]: {name: cls.as_text(row[name]) for name in fields}
            for row in model.objects.filter(pk__in=list(pks)).values("pk", *fields)
        }

    @classmethod
    def record(cls, *, obj, old: dict[str, str] | None, user) -> list["CatalogueChange"]:
        """Append one row per tracked field whose text differs between `old` (None for a new
        object: everything counts as changed from empty) and `obj` as saved."""
        kind = cls.kind_of(obj)
        old = old or {}
        factor_id = obj.pk if kind == cls.Kind.FACTOR else obj.factor_id
        changes = []
        for name in cls.TRACKED_FIELDS[kind]:
            new = cls.as_text(getattr(obj, name))
            before = old.get(name, "")
            if new != before:
                changes.append(cls(
                    kind=kind, object_id=obj.pk, factor_id=factor_id, field=name,
                    old_value=before, new_value=new, changed_by=user,
                ))
        return cls.objects.bulk_create(changes)


# --- Accounts: recovery codes for the second factor, password-reset requests -----------------

class RecoveryCodeDevice(ThrottlingMixin, Device):
    """The recovery codes of one account, a django-otp device next to its TOTP app: each code
    signs in once, for when the phone is lost. Only hashes are stored (secrets at rest); the
    codes themselves are shown once, when made."""

    CODES = 10

    class Meta(Device.Meta):
        verbose_name = _("herstelcodes")
        verbose_name_plural = _("herstelcodes")

    @staticmethod
    def hash(code: str) -> str:
        normalized = "".join(code.lower().split()).replace("-", "")
        return hashlib.sha256(normalized.encode()).hexdigest()

    def make_codes(self) -> list[str]:
        """New codes in place of the old ones; returns them in readable form (4-4 letters)."""
        codes = []
        for _n in range(self.CODES):
            raw = b32encode(secrets.token_bytes(5)).decode().lower()
            codes.append(f"{raw[:4]}-{raw[4:]}")
        self.codes.all().delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(device=self, code_hash=self.hash(c)) for c in codes)
        return codes

    def verify_token(self, token) -> bool:
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        used, _count = self.codes.filter(code_hash=self.hash(str(token))).delete()
        if used:
            self.throttle_reset(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False

    def get_throttle_factor(self):
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, db_index=True)

    def __str__(self):
        return f"{self.device} {self.code_hash[:6]}…"


class PasswordResetRequest(models.Model):
    """One request for a password-reset mail, counted per hashed client and per hashed address
    to limit them (no address or IP is stored in the clear)."""

    fingerprint = models.CharField(max_length=64, db_index=True)
    address_hash = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("aanvraag voor een nieuw wachtwoord")
        verbose_name_plural = _("aanvragen voor een nieuw wachtwoord")

    def __str__(self):
        return f"{self.fingerprint[:8]} {self.at:%Y-%m-%d %H:%M}"
