"""What the portal sent the Xero sandbox, read back from the sandbox's request log."""

from __future__ import annotations

# Real Xero answers 404 to URLs past about 2,050 characters; the sandbox refuses past this.
XERO_URL_LIMIT = 2048


def logged_url_lengths(*, base_url: str) -> list[tuple[int, str]]:
    """Return (length, method and path) of every request in the sandbox's log, longest first,
    the URL measured as sent: the live server's address, the path and the query string."""
    from xero_sandbox.models import RequestLog

    rows = RequestLog.objects.values_list("method", "path", "query")
    lengths = [(len(base_url) + len(path) + (len(query) + 1 if query else 0), f"{method} {path}")
               for method, path, query in rows]  # fmt: skip
    return sorted(lengths, reverse=True)
