"""The admin of sessions, workshops and present codes. Exports and the import of initiatives
are added by the reports app (reports.admin), which owns those columns."""

from django.contrib import admin, messages
from django.utils import timezone

from actiescan.admin import DeletedOnlyWithParentMixin, ReadOnlyAdmin

from . import invitations
from .models import (
    ActionPoint,
    AuditEvent,
    Event,
    FieldRevision,
    Initiative,
    JoinCode,
    Participant,
    PresentCode,
    Reflection,
    ScanSession,
    SessionFactor,
    Status,
)


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sector", "region", "is_case", "remind_contact"]
    list_filter = ["is_case", "remind_contact", "sector", "region"]
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
    raw_id_fields = ["moderator", "notulist", "previous_session"]
    exclude = ["current_factor"]
    readonly_fields = [
        "revision", "started_at", "closed_at", "closed_by", "created_by", "current_factor_since",
        "choice_rationale_version", "general_minutes_version", "wrap_up_notes_version",
    ]
    inlines = [ParticipantInline]

    def save_model(self, request, obj, form, change):
        """An edit here reaches people's calendars as an edit in the app does (sessions.invitations):
        a planned session still to come gets its invitation, or the updated one (and a
        cancellation for whoever was taken off it)."""
        stored = ScanSession.objects.filter(pk=obj.pk).first() if change else None
        before = (invitations.details(stored), invitations.people(stored)) if stored else None
        super().save_model(request, obj, form, change)
        if obj.status != Status.GEPLAND or obj.starts_at <= timezone.now():
            return
        if before is None:
            problems = invitations.invite(session=obj)
        else:
            problems = invitations.update(session=obj, before=before[0], previous_people=before[1])
        for problem in problems:
            self.message_user(request, problem, messages.WARNING)


class ActionPointInline(admin.TabularInline):
    model = ActionPoint
    extra = 0
    max_num = ActionPoint.ACTIONS_PER_FACTOR
    can_delete = False
    fields = ["position", "text", "owner", "timeframe", "status", "status_comment"]
    readonly_fields = ["position"]


@admin.register(SessionFactor)
class SessionFactorAdmin(admin.ModelAdmin):
    list_display = ["session", "factor", "current_level", "desired_level"]
    list_select_related = ["session__initiative", "factor"]
    readonly_fields = ["session", "factor", "snapshot"]
    exclude = ["rationale_version", "minutes_version"]
    inlines = [ActionPointInline]


@admin.register(ActionPoint)
class ActionPointAdmin(DeletedOnlyWithParentMixin, ReadOnlyAdmin):
    """A list of all action points with their status, to look up and export; they are
    edited with their factor (or their status in the follow-up review)."""

    list_display = ["text", "owner", "timeframe", "status", "session_factor"]
    list_filter = ["status"]
    search_fields = ["text", "owner", "session_factor__session__initiative__name"]
    list_select_related = ["session_factor__session__initiative"]


@admin.register(FieldRevision)
class FieldRevisionAdmin(DeletedOnlyWithParentMixin, ReadOnlyAdmin):
    """Read-only: the history is only for recovering text, never for editing."""

    list_display = ["created_at", "session", "field", "version", "kind", "author"]
    list_filter = ["kind", "created_at"]
    search_fields = ["field", "value", "session__initiative__name"]
    list_select_related = ["session__initiative", "author"]


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
class PresentCodeAdmin(DeletedOnlyWithParentMixin, ReadOnlyAdmin):
    """Read-only: codes are made and revoked by the moderator on the session's screen."""

    list_display = ["session", "expires_at", "revoked_at", "created_by"]
    list_select_related = ["session__initiative", "created_by"]
    fields = ["session", "expires_at", "revoked_at", "created_by", "created_at"]
    readonly_fields = fields


@admin.register(JoinCode)
class JoinCodeAdmin(DeletedOnlyWithParentMixin, ReadOnlyAdmin):
    """Read-only: codes to join from a phone are made and revoked by the moderator."""

    list_display = ["session", "expires_at", "revoked_at", "created_by"]
    list_select_related = ["session__initiative", "created_by"]
    fields = ["session", "expires_at", "revoked_at", "created_by", "created_at"]
    readonly_fields = fields


@admin.register(AuditEvent)
class AuditEventAdmin(DeletedOnlyWithParentMixin, ReadOnlyAdmin):
    """The audit log: who viewed or changed minutes and advice. Read-only, never deleted by hand
    (rows go with their session or initiative)."""

    list_display = ["at", "user", "action", "session", "detail"]
    list_select_related = ["user", "session__initiative"]
    list_filter = ["action", "at"]
    search_fields = ["session__initiative__name", "user__username", "user__first_name", "user__last_name"]
    date_hierarchy = "at"
    exclude = ["bucket"]
