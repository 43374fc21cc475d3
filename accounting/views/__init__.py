"""Pages of accounting channels: the store's tab, the channel page, connecting to Xero."""

from accounting.views.channels import (
    channel_active,
    channel_add,
    channel_create,
    channel_delete,
    channel_detail,
    store_channels,
)
from accounting.views.connect import (
    channel_choose_organisation,
    channel_connect,
    channel_connected,
    channel_disconnect,
    xero_callback,
)
from accounting.views.ledger import (
    channel_ledger,
    channel_ledger_record,
    channel_ledger_retry_cause,
    channel_ledger_skip_cause,
    channel_sync_progress_json,
    channel_test_connection_view,
)
from accounting.views.line_accounts import channel_line_accounts
from accounting.views.payments import channel_payment_accounts
from accounting.views.posting import channel_posting, channel_summary, channel_tracking
from accounting.views.reconcile import channel_reconcile, channel_reconciliation, channel_reconciliation_act
from accounting.views.records import record_drift_settle, record_sync_retry, record_sync_skip
from accounting.views.sync import channel_sync_retry, channel_sync_retry_all
from accounting.views.tax import channel_tax_mapping
from accounting.views.webhooks import channel_webhooks, xero_webhook

__all__ = [
    "channel_active",
    "channel_add",
    "channel_choose_organisation",
    "channel_connect",
    "channel_connected",
    "channel_create",
    "channel_delete",
    "channel_detail",
    "channel_disconnect",
    "channel_ledger",
    "channel_ledger_record",
    "channel_ledger_retry_cause",
    "channel_ledger_skip_cause",
    "channel_line_accounts",
    "channel_payment_accounts",
    "channel_posting",
    "channel_reconcile",
    "channel_reconciliation",
    "channel_reconciliation_act",
    "channel_summary",
    "channel_sync_progress_json",
    "channel_sync_retry",
    "channel_sync_retry_all",
    "channel_tax_mapping",
    "channel_test_connection_view",
    "channel_tracking",
    "channel_webhooks",
    "record_drift_settle",
    "record_sync_retry",
    "record_sync_skip",
    "store_channels",
    "xero_callback",
    "xero_webhook",
]
