"""The sync ledger app: what each channel has to send to Xero, and the engine that sends it.

- `models`: the ledger (`SyncRecord`, one row per record and channel, with its attempts), the
  limiter's and the inbound feed's state, what Xero said about an organisation.
- `ledger/`: writes in the transaction of every store change (`signals`, `writes`), operator
  actions (retry, skip, a choice made: `actions`), reads for pages (`summary`, `page`, `badges`),
  and the wake-up the schedule listens to (`wake`).
- `push/`: one module per Xero resource (items, invoices, payments, refunds) and their outcomes.
- `schedule/`: lanes per channel (`lanes`) and one turn (`turn`): claim due rows, send, record.
Tasks are in `accounting.tasks`; `manage.py sync_retry --channel ID [--record ID]` retries rows.
"""
