"""Sandbox pages and endpoints outside the Accounting API (identity, connections, developer portal)."""
