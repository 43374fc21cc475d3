"""Record every request to the sandbox, with tokens and secrets taken out first."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.http import HttpRequest
from django.utils import timezone

from xero_sandbox.models import DeveloperApp, Organisation, RequestLog

MAX_BODY = 20_000
SECRET_KEYS = {
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "code",
    "code_verifier",
    "token",
    "password",
    "client_assertion",
}
REDACTED = "[redacted]"
JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def redact_pairs(encoded: str) -> str:
    """Return a form/query string with secret values replaced."""
    pairs = parse_qsl(encoded, keep_blank_values=True)
    return urlencode([(key, REDACTED if key in SECRET_KEYS else value) for key, value in pairs])


def _redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_KEYS else _redact_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    return value


def redact_body(body: bytes | str, content_type: str = "") -> str:
    """Return a body safe to keep: JSON and form secrets replaced, stray JWTs masked, truncated."""
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not raw:
        return ""
    try:
        cleaned = json.dumps(_redact_json(json.loads(raw)))
    except ValueError:
        cleaned = redact_pairs(raw) if "=" in raw and "form" in content_type else raw
    cleaned = JWT_LIKE.sub(REDACTED, cleaned)
    return cleaned[:MAX_BODY]


def request_log_record(
    *,
    request: HttpRequest,
    status: int,
    duration_ms: int,
    response_body: bytes | str = b"",
    organisation: Organisation | None = None,
    app: DeveloperApp | None = None,
    note: str = "",
) -> RequestLog:
    """Write one log row for `request` (its body read from what Django already buffered)."""
    try:
        request_body: bytes = request.body
    except Exception:  # the body may be unreadable after a dropped connection
        request_body = b""
    return RequestLog.objects.create(
        organisation=organisation,
        app=app,
        at=timezone.now(),
        method=request.method or "",
        path=request.path[:500],
        query=redact_pairs(request.META.get("QUERY_STRING", "")),
        status=status,
        duration_ms=duration_ms,
        idempotency_key=request.headers.get("Idempotency-Key", "")[:128],
        request_body=redact_body(request_body, request.content_type or ""),
        response_body=redact_body(response_body),
        note=note[:200],
    )
