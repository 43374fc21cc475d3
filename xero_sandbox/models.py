"""The local Xero's state (filled in by the sandbox)."""
