"""Refusals real Xero makes before it looks at who is calling: URLs that are too long, bodies too big.

- A URL longer than about 2,050-2,090 characters answers 404 "The resource you're looking for cannot
  be found" (xero-node#404, Xero-NetStandard#413 and #471, Xero-OpenAPI#534). The sandbox measures the
  full absolute URL as the client sent it against `XERO_SANDBOX_MAX_URL_LENGTH` (2,048 by default).
- A request body over 3.5 MB answers 413 with Xero's problem body (`RequestEntityTooLarge`,
  `PayloadTooLarge`: Xero-Java#349; the 3.5 MB limit: Xero's API docs, xeroizer#286).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from xero_sandbox.services.request_log import request_log_record

from .responses import not_found, problem

MAX_REQUEST_BYTES = 3_670_016  # 3.5 MB
DRAIN_CHUNK = 65_536


def url_length(request: HttpRequest) -> int:
    """Return the length of the absolute URL the client asked for (path and query as sent)."""
    query = request.META.get("QUERY_STRING", "")
    base = request.build_absolute_uri(request.path)
    return len(base) + (len(query) + 1 if query else 0)


def url_too_long(request: HttpRequest) -> bool:
    return url_length(request) > int(settings.XERO_SANDBOX_MAX_URL_LENGTH)


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def body_read(request: HttpRequest) -> bool:
    """Buffer the body up to Xero's 3.5 MB; return False (body drained, not kept) when it is larger.

    Django itself refuses `request.body` above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default),
    which is not Xero's limit, so the body is read here and cached where `request.body` finds it.
    """
    if hasattr(request, "_body"):
        return len(request._body) <= MAX_REQUEST_BYTES
    if _declared_length(request) > MAX_REQUEST_BYTES:
        while request.read(DRAIN_CHUNK):  # drain it, so the client can read the answer
            pass
        request._body = b""
        return False
    body = request.read(MAX_REQUEST_BYTES + 1)
    request._body = body if len(body) <= MAX_REQUEST_BYTES else b""
    if len(body) > MAX_REQUEST_BYTES:
        while request.read(DRAIN_CHUNK):
            pass
        return False
    return True


def _refusal(request: HttpRequest, status: int, body: dict[str, Any], note: str) -> HttpResponse:
    answer = json.dumps(body)
    request_log_record(request=request, status=status, duration_ms=0, response_body=answer, note=note)
    return HttpResponse(answer, status=status, content_type="application/json; charset=utf-8")


def refuse_long_urls(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 404 (Xero's not-found body) for a URL over the length limit, before the view runs."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if url_too_long(request):
            return _refusal(request, 404, not_found(), f"URL of {url_length(request)} characters")
        return view(request, *args, **kwargs)

    return wrapped


def refuse_large_bodies(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 413 for a body over 3.5 MB, before the view runs."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not body_read(request):
            body = problem(413, "RequestEntityTooLarge", "PayloadTooLarge")
            return _refusal(request, 413, body, "body over 3.5 MB")
        return view(request, *args, **kwargs)

    return wrapped
