from django.contrib import admin

from actiescan.admin import DeletedOnlyWithParentMixin

from .models import Advice, AdviceVersion, AuditEvent, ShareLink, ShareLinkAccess


class ReadOnlyAdmin(admin.ModelAdmin):
    """Finalized versions and the access log are records: never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Advice)
class AdviceAdmin(admin.ModelAdmin):
    list_display = ["session", "updated_at"]
    list_select_related = ["session__initiative"]
    readonly_fields = ["session", "revision", "introduction_version", "closing_version", "created_by"]
    search_fields = ["session__initiative__name"]


@admin.register(AdviceVersion)
class AdviceVersionAdmin(ReadOnlyAdmin):
    list_display = ["advice", "number", "finalized_at", "finalized_by", "page_count", "pdf_size"]
    list_select_related = ["advice__session__initiative", "finalized_by"]
    exclude = ["pdf", "content"]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ["version", "created_at", "expires_at", "revoked_at", "created_by"]
    list_select_related = ["version__advice__session__initiative", "created_by"]
    readonly_fields = ["version", "token", "created_by"]


@admin.register(ShareLinkAccess)
class ShareLinkAccessAdmin(ReadOnlyAdmin):
    list_display = ["link", "what", "opened_at", "user_agent"]
    list_select_related = ["link__version__advice__session__initiative"]
    list_filter = ["what", "opened_at"]


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
