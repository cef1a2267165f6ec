from django.contrib import admin

from .models import ActionPoint, FieldRevision, Initiative, Participant, ScanSession, SessionFactor


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sector", "region", "is_case"]
    list_filter = ["is_case", "sector", "region"]
    search_fields = ["name", "code", "organisations", "contact_name"]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0


@admin.register(ScanSession)
class ScanSessionAdmin(admin.ModelAdmin):
    list_display = ["initiative", "starts_at", "status", "moderator", "notulist"]
    list_filter = ["status"]
    search_fields = ["initiative__name", "location"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["initiative"]
    raw_id_fields = ["moderator", "notulist"]
    exclude = ["current_factor"]
    readonly_fields = [
        "revision", "started_at", "closed_at", "closed_by", "created_by", "current_factor_since",
        "choice_rationale_version", "general_minutes_version", "wrap_up_notes_version",
    ]
    inlines = [ParticipantInline]


class ActionPointInline(admin.TabularInline):
    model = ActionPoint
    extra = 0
    max_num = ActionPoint.ACTIONS_PER_FACTOR
    can_delete = False
    fields = ["position", "text", "owner", "timeframe"]
    readonly_fields = ["position"]


@admin.register(SessionFactor)
class SessionFactorAdmin(admin.ModelAdmin):
    list_display = ["session", "factor", "current_level", "desired_level"]
    list_select_related = ["session__initiative", "factor"]
    readonly_fields = ["session", "factor", "snapshot"]
    exclude = ["rationale_version", "minutes_version"]
    inlines = [ActionPointInline]


@admin.register(FieldRevision)
class FieldRevisionAdmin(admin.ModelAdmin):
    """Read-only: the history is only for recovering text, never for editing."""

    list_display = ["created_at", "session", "field", "version", "author"]
    list_filter = ["created_at"]
    search_fields = ["field", "value", "session__initiative__name"]
    list_select_related = ["session__initiative", "author"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
