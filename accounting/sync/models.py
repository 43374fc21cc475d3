"""The sync ledger (filled in by the sync engine)."""
