"""The api.xero.com side of the sandbox: connections and the Accounting API (api.xro/2.0)."""
