from django.urls import path

from accounting import views
from accounting.views import preflight as preflight_views

app_name = "accounting"

urlpatterns = [
    path("stores/<int:store_id>/channels/", views.store_channels, name="store-channels"),
    path("stores/<int:store_id>/channels/add/", views.channel_add, name="channel-add"),
    path("stores/<int:store_id>/channels/add/<slug:provider>/", views.channel_create, name="channel-create"),
    path("channels/<int:channel_id>/", views.channel_detail, name="channel-detail"),
    path("channels/<int:channel_id>/active/", views.channel_active, name="channel-active"),
    path("channels/<int:channel_id>/delete/", views.channel_delete, name="channel-delete"),
    path("channels/<int:channel_id>/sync/retry/", views.channel_sync_retry_all, name="channel-sync-retry-all"),
    path("channels/<int:channel_id>/sync/<int:record_id>/retry/", views.channel_sync_retry, name="channel-sync-retry"),
    path("stores/<int:store_id>/sync/<int:record_id>/retry/", views.record_sync_retry, name="record-sync-retry"),
    path("stores/<int:store_id>/sync/<int:record_id>/skip/", views.record_sync_skip, name="record-sync-skip"),
    path("stores/<int:store_id>/sync/<int:record_id>/drift/", views.record_drift_settle, name="record-drift"),
    path("channels/<int:channel_id>/ledger/", views.channel_ledger, name="channel-ledger"),
    path(
        "channels/<int:channel_id>/ledger/retry-cause/",
        views.channel_ledger_retry_cause,
        name="channel-ledger-retry-cause",
    ),
    path(
        "channels/<int:channel_id>/ledger/skip-cause/",
        views.channel_ledger_skip_cause,
        name="channel-ledger-skip-cause",
    ),
    path(
        "channels/<int:channel_id>/ledger/<int:record_id>/retry/",
        views.channel_ledger_record,
        {"action": "retry"},
        name="channel-ledger-retry",
    ),
    path(
        "channels/<int:channel_id>/ledger/<int:record_id>/skip/",
        views.channel_ledger_record,
        {"action": "skip"},
        name="channel-ledger-skip",
    ),
    path("channels/<int:channel_id>/sync/progress/", views.channel_sync_progress_json, name="channel-sync-progress"),
    path(
        "channels/<int:channel_id>/test-connection/",
        views.channel_test_connection_view,
        name="channel-test-connection",
    ),
    path("channels/<int:channel_id>/tax-mapping/", views.channel_tax_mapping, name="channel-tax-mapping"),
    path("channels/<int:channel_id>/line-accounts/", views.channel_line_accounts, name="channel-line-accounts"),
    path(
        "channels/<int:channel_id>/payment-accounts/", views.channel_payment_accounts, name="channel-payment-accounts"
    ),
    path("channels/<int:channel_id>/posting/", views.channel_posting, name="channel-posting"),
    path("channels/<int:channel_id>/tracking/", views.channel_tracking, name="channel-tracking"),
    path("channels/<int:channel_id>/summaries/<int:summary_id>/", views.channel_summary, name="channel-summary"),
    path("channels/<int:channel_id>/reconcile/", views.channel_reconcile, name="channel-reconcile"),
    path(
        "channels/<int:channel_id>/reconcile/<int:reconciliation_id>/",
        views.channel_reconciliation,
        name="channel-reconciliation",
    ),
    path(
        "channels/<int:channel_id>/reconcile/<int:reconciliation_id>/act/",
        views.channel_reconciliation_act,
        name="channel-reconciliation-act",
    ),
    path("channels/<int:channel_id>/connect/", views.channel_connect, name="channel-connect"),
    path(
        "channels/<int:channel_id>/connect/<int:authorization_id>/organisation/",
        views.channel_choose_organisation,
        name="channel-choose-organisation",
    ),
    path("channels/<int:channel_id>/connected/", views.channel_connected, name="channel-connected"),
    path("channels/<int:channel_id>/disconnect/", views.channel_disconnect, name="channel-disconnect"),
    path("channels/<int:channel_id>/preflight/", preflight_views.channel_preflight_run, name="channel-preflight"),
    path("channels/<int:channel_id>/backfill/", preflight_views.channel_backfill, name="channel-backfill"),
    path("channels/<int:channel_id>/webhooks/", views.channel_webhooks, name="channel-webhooks"),
    # The webhook URL merchants register in their Xero app (one per channel): keep this path stable.
    path("xero/webhooks/<str:token>/", views.xero_webhook, name="xero-webhook"),
    # The redirect URI merchants register in their Xero app: keep this path stable.
    path("xero/callback/", views.xero_callback, name="xero-callback"),
]
