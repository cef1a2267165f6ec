"""The admin of the advice, and the exports and initiative import that the reports app adds to
the admin pages of the sessions app (the same columns as the staff overview's downloads)."""

import io

from django.contrib import admin
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.formats import base_formats

from actiescan.admin import ReadOnlyAdmin
from actiescan.tabular import csv_chunks, write_xlsx
from sessions import admin as session_admin
from sessions.models import ActionPoint, Initiative, ScanSession, SessionFactor

from .exports import (
    ActionPointResource,
    ScoreResource,
    ScoreWithMinutesResource,
    SessionResource,
    SessionWithMinutesResource,
)
from .imports import ImportRefused, InitiativeResource, read_csv, read_xlsx
from .models import Advice, AdviceDelivery, AdviceVersion, SentReminder, ShareLink, ShareLinkAccess


class DutchCSV(base_formats.CSV):
    """CSV for Dutch Excel (see actiescan.tabular); reads what it writes."""

    CONTENT_TYPE = "text/csv; charset=utf-8"

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def export_data(self, dataset, **kwargs):
        return b"".join(csv_chunks(dataset.headers or [], dataset))

    def create_dataset(self, in_stream, **kwargs):
        return read_csv(in_stream if isinstance(in_stream, bytes) else in_stream.encode())


class SafeXLSX(base_formats.XLSX):
    """XLSX with neutralised formula cells and Dutch dates; reads with the import's limits."""

    def export_data(self, dataset, **kwargs):
        target = io.BytesIO()
        write_xlsx(dataset.headers or [], dataset, target, title=dataset.title or "Export")
        return target.getvalue()

    def create_dataset(self, in_stream):
        return read_xlsx(in_stream)


ADMIN_EXPORT_FORMATS = [SafeXLSX, DutchCSV, base_formats.JSON]
ADMIN_IMPORT_FORMATS = [DutchCSV, SafeXLSX]


def with_exports(model, base, *resources, mixins=(ExportMixin,), **options):
    """Register `model` again with `base` (the sessions app's admin) plus the export (and
    import) buttons for `resources`."""
    admin.site.unregister(model)
    admin.site.register(model, type(
        base.__name__, (*mixins, base),
        {"resource_classes": list(resources), "export_formats": ADMIN_EXPORT_FORMATS, **options},
    ))


class InitiativeImport:
    """An import only goes through when every row is valid (as on the staff overview)."""

    import_formats = ADMIN_IMPORT_FORMATS

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


with_exports(Initiative, session_admin.InitiativeAdmin, InitiativeResource,
             mixins=(InitiativeImport, ImportExportMixin))
# Minutes only when asked for: choose the resource "inclusief notulen".
with_exports(ScanSession, session_admin.ScanSessionAdmin, SessionResource, SessionWithMinutesResource)
with_exports(SessionFactor, session_admin.SessionFactorAdmin, ScoreResource, ScoreWithMinutesResource)
with_exports(ActionPoint, session_admin.ActionPointAdmin, ActionPointResource)


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
    # Only the token's hash is stored: the address is shown once, on the advice screen, to
    # whoever makes the link. Links are made there, not here.
    readonly_fields = ["version", "created_by"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False


@admin.register(ShareLinkAccess)
class ShareLinkAccessAdmin(ReadOnlyAdmin):
    list_display = ["link", "what", "opened_at", "user_agent"]
    list_select_related = ["link__version__advice__session__initiative"]
    list_filter = ["what", "opened_at"]


@admin.register(AdviceDelivery)
class AdviceDeliveryAdmin(ReadOnlyAdmin):
    """Every sending of the advice by e-mail (also shown on the advice page)."""

    list_display = ["version", "sent_at", "sent_by", "recipients", "with_pdf", "error"]
    list_select_related = ["version__advice__session__initiative", "sent_by"]
    list_filter = ["sent_at"]
    exclude = ["share_link"]


@admin.register(SentReminder)
class SentReminderAdmin(ReadOnlyAdmin):
    """What manage.py send_reminders sent; deleting a row lets it be sent again."""

    list_display = ["kind", "key", "sent_at"]
    list_filter = ["kind", "sent_at"]
