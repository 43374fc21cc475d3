"""The sync engine: invoices and products of active channels to Xero, once, at Xero's pace.

Public pieces:
- `signals` write ledger rows (`models.SyncRecord`) in the transaction of every invoice or
  product change; `ledger` holds those writes.
- `tasks.sweep_due` (beat) and `tasks.push_channel` (one batch per task) run `dispatch` and `turn`.
- `services.sync_retry(records=…)` / `sync_retry_channel(channel_id=…)`, the admin's "Retry"
  action and `manage.py sync_retry --channel ID [--record ID]` send failed rows again.
- `selectors.channel_sync_summary(channel=…)` gives counts and last errors; `channel_sync_overview`
  adds what the channel page shows (invoice number or SKU, why sending is paused).
- `limiter` is the one rate limiter (Redis, or the database without Redis).
"""
