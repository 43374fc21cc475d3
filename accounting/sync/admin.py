"""Django admin for the sync ledger: rows with their attempts, and a "Retry" action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounting.sync.ledger.actions import sync_retry
from accounting.sync.models import DailySummary, Reconciliation, SummaryEntry, SyncAttempt, SyncRecord


def rows_queued_message(*, count: int) -> str:
    return f"{count} row(s) queued for sending."


class SyncAttemptInline(admin.TabularInline):
    model = SyncAttempt
    extra = 0
    can_delete = False
    fields = ("created_at", "outcome", "http_status", "message", "idempotency_key")
    readonly_fields = fields
    ordering = ("-created_at", "-pk")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SyncRecord)
class SyncRecordAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "kind", "object_id", "state", "attempt_count", "next_attempt_at", "short_error")
    list_filter = ("state", "kind", "channel__store__organization")
    search_fields = ("=object_id", "xero_id", "last_error", "channel__name")
    list_select_related = ("channel__store",)
    readonly_fields = [f.name for f in SyncRecord._meta.fields]
    inlines = [SyncAttemptInline]
    actions = ["retry"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Last error")
    def short_error(self, obj: SyncRecord) -> str:
        return obj.last_error[:120]

    @admin.action(description="Retry: send the selected failed rows again")
    def retry(self, request: HttpRequest, queryset: QuerySet[SyncRecord]) -> None:
        count = sync_retry(records=queryset)
        self.message_user(request, rows_queued_message(count=count), messages.SUCCESS)


class SummaryEntryInline(admin.TabularInline):
    model = SummaryEntry
    extra = 0
    can_delete = False
    fields = ("kind", "number", "adjusts", "total", "method", "sent", "xero_ref")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DailySummary)
class DailySummaryAdmin(admin.ModelAdmin):
    """Daily summaries are written by the engine only: read here, changed by changing the store's records."""

    list_display = ("id", "channel", "day", "currency", "tax_mode", "number", "xero_id", "sent_total", "sent_at")
    list_filter = ("currency", "channel__store__organization")
    search_fields = ("number", "xero_id", "channel__name")
    list_select_related = ("channel__store",)
    readonly_fields = [f.name for f in DailySummary._meta.fields]
    inlines = [SummaryEntryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reconciliation)
class ReconciliationAdmin(admin.ModelAdmin):
    """Reconciliations are run from the channel's Reconcile page, the Billing API or `manage.py
    reconcile`: read here (the page carries the actions on their differences)."""

    list_display = ("id", "channel", "date_from", "date_to", "state", "calls", "bytes_read", "created_at")
    list_filter = ("state", "channel__store__organization")
    search_fields = ("channel__name",)
    list_select_related = ("channel__store",)
    readonly_fields = [f.name for f in Reconciliation._meta.fields if f.name != "snapshot"]
    exclude = ("snapshot",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
