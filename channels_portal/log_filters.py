"""Logging filters: request lines are logged without their query string.

A query string can carry secrets: Xero's answer to the consent page comes back as
`/xero/callback/?code=…&state=…`, and the code is exchangeable for tokens. The development
server (runserver, `make run`) logs each request line through the `django.server` logger;
this filter removes the query from it. gunicorn's access log is configured the same way in
gunicorn.conf.py.
"""

from __future__ import annotations

import logging
import re

# "GET /path?query HTTP/1.1" -> "GET /path HTTP/1.1"
_QUERY = re.compile(r"^(\S+ [^?\s]*)\?\S*")


def without_query(request_line: str) -> str:
    """Return the request line with the query string of its target removed."""
    return _QUERY.sub(r"\1", request_line, count=1)


class RequestLineWithoutQuery(logging.Filter):
    """Drop the query string from the request line a `django.server` record carries."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            record.args = (without_query(record.args[0]), *record.args[1:])
        return True
