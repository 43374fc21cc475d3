"""Reconciliation: a channel's store records of a date range beside what Xero holds for them.

`compare` (store side, totals, differences), `run` (estimate, read Xero in pages, record the
outcome), `actions` (send again / accept Xero's, per difference).
"""
