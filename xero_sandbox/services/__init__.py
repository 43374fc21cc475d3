"""Writes to the sandbox's state; reads live in `xero_sandbox.selectors`."""
