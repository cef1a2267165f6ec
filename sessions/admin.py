from django.contrib import admin
from import_export.admin import ExportMixin, ImportExportModelAdmin

from actiescan.admin import DeletedOnlyWithParentMixin
from reports.exports import (
    ADMIN_EXPORT_FORMATS,
    ADMIN_IMPORT_FORMATS,
    ActionPointResource,
    ScoreResource,
    ScoreWithMinutesResource,
    SessionResource,
    SessionWithMinutesResource,
)
from reports.imports import ImportRefused, InitiativeResource

from .models import (
    ActionPoint,
    Event,
    FieldRevision,
    Initiative,
    Participant,
    PresentCode,
    Reflection,
    ScanSession,
    SessionFactor,
)


@admin.register(Initiative)
class InitiativeAdmin(ImportExportModelAdmin):
    """Import and export of initiatives (stable identity: the code), as on the staff
    overview; an import only goes through when every row is valid."""

    list_display = ["name", "code", "sector", "region", "is_case"]
    list_filter = ["is_case", "sector", "region"]
    search_fields = ["name", "code", "organisations", "contact_name"]
    resource_classes = [InitiativeResource]
    import_formats = ADMIN_IMPORT_FORMATS
    export_formats = ADMIN_EXPORT_FORMATS

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        kwargs["use_transactions"] = True
        return kwargs

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportRefused):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0


@admin.register(ScanSession)
class ScanSessionAdmin(ExportMixin, admin.ModelAdmin):
    list_display = ["initiative", "starts_at", "status", "moderator", "notulist"]
    list_filter = ["status"]
    search_fields = ["initiative__name", "location"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["initiative"]
    raw_id_fields = ["moderator", "notulist", "previous_session"]
    exclude = ["current_factor"]
    readonly_fields = [
        "revision", "started_at", "closed_at", "closed_by", "created_by", "current_factor_since",
        "choice_rationale_version", "general_minutes_version", "wrap_up_notes_version",
    ]
    inlines = [ParticipantInline]
    # Minutes only when asked for: choose the resource "inclusief notulen".
    resource_classes = [SessionResource, SessionWithMinutesResource]
    export_formats = ADMIN_EXPORT_FORMATS


class ActionPointInline(admin.TabularInline):
    model = ActionPoint
    extra = 0
    max_num = ActionPoint.ACTIONS_PER_FACTOR
    can_delete = False
    fields = ["position", "text", "owner", "timeframe", "status", "status_comment"]
    readonly_fields = ["position"]


@admin.register(SessionFactor)
class SessionFactorAdmin(ExportMixin, admin.ModelAdmin):
    list_display = ["session", "factor", "current_level", "desired_level"]
    list_select_related = ["session__initiative", "factor"]
    readonly_fields = ["session", "factor", "snapshot"]
    exclude = ["rationale_version", "minutes_version"]
    inlines = [ActionPointInline]
    resource_classes = [ScoreResource, ScoreWithMinutesResource]
    export_formats = ADMIN_EXPORT_FORMATS


@admin.register(ActionPoint)
class ActionPointAdmin(DeletedOnlyWithParentMixin, ExportMixin, admin.ModelAdmin):
    """A list of all action points with their status, to look up and export; they are
    edited with their factor (or their status in the follow-up review)."""

    list_display = ["text", "owner", "timeframe", "status", "session_factor"]
    list_filter = ["status"]
    search_fields = ["text", "owner", "session_factor__session__initiative__name"]
    list_select_related = ["session_factor__session__initiative"]
    resource_classes = [ActionPointResource]
    export_formats = ADMIN_EXPORT_FORMATS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False



@admin.register(FieldRevision)
class FieldRevisionAdmin(DeletedOnlyWithParentMixin, admin.ModelAdmin):
    """Read-only: the history is only for recovering text, never for editing."""

    list_display = ["created_at", "session", "field", "version", "author"]
    list_filter = ["created_at"]
    search_fields = ["field", "value", "session__initiative__name"]
    list_select_related = ["session__initiative", "author"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Workshops, reflection, present codes (issue 7) -------------------------------------------

class TableInline(admin.TabularInline):
    model = ScanSession
    fk_name = "event"
    extra = 0
    fields = ["location", "initiative", "moderator", "notulist", "status"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_at", "location", "organiser"]
    search_fields = ["name", "location"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["organiser"]
    exclude = ["created_by"]
    inlines = [TableInline]


@admin.register(Reflection)
class ReflectionAdmin(DeletedOnlyWithParentMixin, admin.ModelAdmin):
    list_display = ["__str__", "updated_at", "updated_by"]
    list_select_related = ["session__initiative", "event", "updated_by"]
    fields = ["session", "event", "insights", "levels", "possibilities", "updated_at", "updated_by"]
    readonly_fields = ["session", "event", "updated_at", "updated_by"]

    def has_add_permission(self, request):
        return False


@admin.register(PresentCode)
class PresentCodeAdmin(DeletedOnlyWithParentMixin, admin.ModelAdmin):
    """Read-only: codes are made and revoked by the moderator on the session's screen."""

    list_display = ["session", "expires_at", "revoked_at", "created_by"]
    list_select_related = ["session__initiative", "created_by"]
    fields = ["session", "expires_at", "revoked_at", "created_by", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

