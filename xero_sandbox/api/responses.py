"""Xero's answer shapes: the envelope around records and the error bodies."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from .render import ms_datetime


def json_response(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


def envelope(key: str, records: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Return Xero's answer around `records` (Id, Status, ProviderName, DateTimeUTC, then the list)."""
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": "Xero Sandbox",
        "DateTimeUTC": ms_datetime(timezone.now()),
    }
    body.update(extra)
    body[key] = records
    return body


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    """Return the identity-style problem body Xero uses for 401 and 403."""
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }


def validation_exception(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": elements,
    }


def single_error(error_number: int, type_: str, message: str) -> dict[str, Any]:
    return {"ErrorNumber": error_number, "Type": type_, "Message": message}


def not_found() -> dict[str, Any]:
    return {"Title": "Not Found", "Status": 404, "Detail": "The resource you're looking for cannot be found"}
