from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import LevelDescriptor, SubQuestion, SuccessFactor


class NoDeleteMixin:
    """Catalogue content is deactivated, never deleted: past sessions refer to it."""

    def has_delete_permission(self, request, obj=None):
        return False


class SubQuestionInline(NoDeleteMixin, admin.TabularInline):
    model = SubQuestion
    extra = 0
    fields = ["order", "text", "is_active"]


class LevelDescriptorInline(NoDeleteMixin, admin.TabularInline):
    model = LevelDescriptor
    extra = 0
    max_num = 3
    fields = ["level", "text"]


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
    ]
    inlines = [SubQuestionInline, LevelDescriptorInline]
    actions = ["deactivate", "activate"]

    def get_readonly_fields(self, request, obj=None):
        # The code is the stable identity used by the content file and exports.
        return ["code"] if obj else []

    @admin.action(description=_("Zet uit (niet meer kiesbaar)"))
    def deactivate(self, request, queryset):
        queryset.update(is_active=False)

    @admin.action(description=_("Zet aan"))
    def activate(self, request, queryset):
        queryset.update(is_active=True)
