from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import ActionExample, CatalogueChange, LevelDescriptor, SubQuestion, SuccessFactor


class DeletedOnlyWithParentMixin:
    """Records that are never deleted on their own admin pages, but go along when their session
    or initiative is deleted (AVG): the admin's cascade delete asks every related model's admin
    through has_delete_permission, so refusing outright would block deleting an initiative."""

    def has_delete_permission(self, request, obj=None):
        match = getattr(request, "resolver_match", None)
        own_prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}_"
        if match and (match.url_name or "").startswith(own_prefix):
            return False
        return super().has_delete_permission(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records (history, logs, finalized versions, codes) are never added or edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NoDeleteMixin:
    """Catalogue content is deactivated, never deleted: past sessions refer to it."""

    def has_delete_permission(self, request, obj=None):
        return False


class SubQuestionInline(NoDeleteMixin, admin.TabularInline):
    model = SubQuestion
    extra = 0
    fields = ["order", "text", "text_en", "is_active"]


class LevelDescriptorInline(NoDeleteMixin, admin.TabularInline):
    model = LevelDescriptor
    extra = 0
    max_num = 3
    fields = ["level", "text", "text_en"]


@admin.register(SuccessFactor)
class SuccessFactorAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ["order", "title", "code", "is_active"]
    list_display_links = ["title"]
    list_filter = ["is_active"]
    search_fields = ["title", "definition", "main_question"]
    readonly_fields = ["code"]
    fieldsets = [
        (None, {"fields": ["title", "code", "order", "is_active"]}),
        (_("Inhoud"), {"fields": ["definition", "main_question"]}),
        (
            _("Engelse teksten (niet verplicht)"),
            {
                "fields": ["title_en", "definition_en", "main_question_en"],
                "description": _(
                    "Alleen nodig voor sessies in het Engels. Leeg laten betekent: de "
                    "Nederlandse tekst tonen."
                ),
            },
        ),
        (_("Geschiedenis"), {"fields": ["history_link"]}),
    ]
    inlines = [SubQuestionInline, LevelDescriptorInline]
    actions = ["deactivate", "activate"]

    def get_readonly_fields(self, request, obj=None):
        # The code is the stable identity used by the content file and exports.
        return ["code", "history_link"] if obj else ["history_link"]

    @admin.display(description=_("Wijzigingen"))
    def history_link(self, obj):
        if not obj or not obj.pk:
            return "–"
        url = reverse("admin:actiescan_cataloguechange_changelist")
        return format_html(
            '<a href="{}?factor__id__exact={}">{}</a>', url, obj.pk,
            _("Alle wijzigingen in deze succesfactor, zijn subvragen en niveaus"),
        )

    # Every change is kept (who, when, old and new text): see CatalogueChange.

    def save_model(self, request, obj, form, change):
        old = CatalogueChange.stored_values(SuccessFactor, [obj.pk]).get(obj.pk) if change else None
        super().save_model(request, obj, form, change)
        CatalogueChange.record(obj=obj, old=old, user=request.user)

    def save_formset(self, request, form, formset, change):
        model = formset.model
        if model not in (SubQuestion, LevelDescriptor):
            return super().save_formset(request, form, formset, change)
        pks = [f.instance.pk for f in formset.forms if f.instance.pk and f.has_changed()]
        old = CatalogueChange.stored_values(model, pks)
        super().save_formset(request, form, formset, change)
        for instance in formset.new_objects + [obj for obj, _fields in formset.changed_objects]:
            CatalogueChange.record(obj=instance, old=old.get(instance.pk), user=request.user)

    def _set_active(self, request, queryset, active: bool):
        changed = list(queryset.exclude(is_active=active))
        old = CatalogueChange.stored_values(SuccessFactor, [f.pk for f in changed])
        queryset.update(is_active=active)
        for factor in changed:
            factor.is_active = active
            CatalogueChange.record(obj=factor, old=old[factor.pk], user=request.user)

    @admin.action(description=_("Zet uit (niet meer kiesbaar)"))
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description=_("Zet aan"))
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)


@admin.register(ActionExample)
class ActionExampleAdmin(NoDeleteMixin, admin.ModelAdmin):
    """The inspiration library: filtered by factor and step, switched off instead of deleted."""

    list_display = ["short_text", "factor", "step", "position", "owner", "timeframe", "is_active"]
    list_display_links = ["short_text"]
    list_filter = ["factor", "step", "is_active"]
    list_select_related = ["factor"]
    search_fields = ["text", "owner", "timeframe", "text_en"]
    fieldsets = [
        (None, {"fields": ["factor", "step", "position", "is_active", "key"]}),
        (_("Inhoud"), {"fields": ["text", "owner", "timeframe", "sub_questions"]}),
        (
            _("Engelse teksten (niet verplicht)"),
            {
                "fields": ["text_en", "owner_en", "timeframe_en"],
                "description": _(
                    "Alleen nodig voor sessies in het Engels. Leeg laten betekent: de "
                    "Nederlandse tekst tonen."
                ),
            },
        ),
    ]
    actions = ["deactivate", "activate"]

    def get_readonly_fields(self, request, obj=None):
        # The key is the stable identity the content file uses to know what is loaded already.
        return ["key"] if obj else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "sub_questions" in form.base_fields:
            # Only the sub-questions of this example's own factor make sense.
            form.base_fields["sub_questions"].queryset = SubQuestion.objects.filter(factor=obj.factor)
        return form

    @admin.display(description=_("actiepunt"))
    def short_text(self, obj):
        return obj.text[:90]

    @admin.action(description=_("Zet uit (niet meer tonen)"))
    def deactivate(self, request, queryset):
        queryset.update(is_active=False)

    @admin.action(description=_("Zet aan"))
    def activate(self, request, queryset):
        queryset.update(is_active=True)


@admin.register(CatalogueChange)
class CatalogueChangeAdmin(admin.ModelAdmin):
    """Read-only: the history of the catalogue is kept, never edited."""

    list_display = ["changed_at", "factor", "kind", "object_id", "field_label", "short_old",
                    "short_new", "changed_by"]
    list_filter = ["kind", "factor", "changed_at"]
    search_fields = ["old_value", "new_value", "field"]
    list_select_related = ["factor", "changed_by"]
    fields = ["changed_at", "changed_by", "factor", "kind", "object_id", "field_label",
              "old_value", "new_value"]
    readonly_fields = fields
    date_hierarchy = "changed_at"

    @admin.display(description=_("veld"))
    def field_label(self, obj):
        return obj.field_label

    @admin.display(description=_("oude tekst"))
    def short_old(self, obj):
        return obj.old_value[:80]

    @admin.display(description=_("nieuwe tekst"))
    def short_new(self, obj):
        return obj.new_value[:80]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
