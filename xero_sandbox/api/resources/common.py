"""What every resource handler gets, and the shared paging, filtering and batch answers."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from django.utils.http import parse_http_date_safe

from xero_sandbox.api.auth import Caller
from xero_sandbox.api.responses import envelope, single_error, validation_exception
from xero_sandbox.api.where import WhereError, where_to_q
from xero_sandbox.models import Organisation


class ApiError(Exception):
    """An answer other than 200 from inside a handler."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


@dataclass
class Call:
    caller: Caller
    method: str
    resource: str
    ident: str
    query: QueryDict
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def organisation(self) -> Organisation:
        return self.caller.organisation

    @property
    def unitdp(self) -> int:
        return 4 if self.query.get("unitdp") == "4" else 2

    @property
    def summarize_errors(self) -> bool:
        return self.query.get("summarizeErrors", "true").lower() != "false"

    def records(self, key: str) -> list[Any]:
        """Return the posted records under `key` (also accepts a bare object or list)."""
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            raise ApiError(
                400, single_error(14, "PostDataInvalidException", "JSON for post data was invalid.")
            ) from None
        if isinstance(data, dict) and key in data:
            data = data[key]
        records = data if isinstance(data, list) else [data]
        if not records:
            raise ApiError(400, single_error(14, "PostDataInvalidException", f"No {key} were found in the post data."))
        return records


def modified_since(call: Call) -> dt.datetime | None:
    """Return the `If-Modified-Since` moment (ISO 8601 as the SDK sends it, or an HTTP date; naive = UTC).

    A value that is neither is ignored, as HTTP asks of an invalid If-Modified-Since.
    """
    raw = (call.headers.get("If-Modified-Since") or "").strip()
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None:
        seconds = parse_http_date_safe(raw)
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC) if seconds is not None else None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def changed_since(call: Call, queryset: QuerySet[Any], stamp: str = "updated_at") -> QuerySet[Any]:
    """Keep the records created or modified after `If-Modified-Since`, as Xero does.

    Xero's timestamps (UpdatedDateUTC) have millisecond precision, so the comparison does too: a
    client that sends back the UpdatedDateUTC it was given does not get that record again.
    """
    since = modified_since(call)
    if since is None:
        return queryset
    after = since.replace(microsecond=since.microsecond // 1000 * 1000) + dt.timedelta(milliseconds=1)
    return queryset.filter(**{f"{stamp}__gte": after})


def filtered(call: Call, queryset: QuerySet[Any], fields: dict[str, str]) -> QuerySet[Any]:
    """Apply `where` (Xero's filter) to `queryset`; a bad filter answers 400."""
    try:
        return queryset.filter(where_to_q(call.query.get("where", ""), fields))
    except WhereError as exc:
        raise ApiError(400, single_error(16, "QueryParseException", str(exc))) from None


def ordered(call: Call, queryset: QuerySet[Any], fields: dict[str, str]) -> QuerySet[Any]:
    """Apply `order` ("Field [ASC|DESC], …"); without it, oldest first."""
    terms = []
    for part in call.query.get("order", "").split(","):
        words = part.split()
        if not words:
            continue
        if words[0] not in fields or len(words) > 2 or (len(words) == 2 and words[1].upper() not in {"ASC", "DESC"}):
            raise ApiError(400, single_error(16, "QueryParseException", f"Cannot order by '{part.strip()}'"))
        descending = len(words) == 2 and words[1].upper() == "DESC"
        terms.append(f"{'-' if descending else ''}{fields[words[0]]}")
    return queryset.order_by(*terms, "created_at", "pk")


def paged(call: Call, queryset: QuerySet[Any]) -> tuple[QuerySet[Any], dict[str, Any]]:
    """Apply `page`/`pageSize` (100 by default, at most 1,000); return the page and Xero's pagination."""
    if "page" not in call.query:
        return queryset, {}
    try:
        page = max(1, int(call.query.get("page", "1")))
        size = min(1000, max(1, int(call.query.get("pageSize", "100"))))
    except ValueError:
        raise ApiError(400, single_error(16, "QueryParseException", "page and pageSize must be numbers")) from None
    count = queryset.count()
    pagination = {"page": page, "pageSize": size, "pageCount": math.ceil(count / size), "itemCount": count}
    return queryset[(page - 1) * size : page * size], {"pagination": pagination}


def batch_answer(
    call: Call, key: str, elements: list[tuple[dict[str, Any] | None, dict[str, Any], list[str]]]
) -> tuple[int, dict[str, Any]]:
    """Answer a batch write as Xero does.

    `elements` holds (rendered record or None, submitted data, errors). With summarizeErrors=false
    every element comes back with StatusAttributeString; otherwise any error makes the answer a
    400 ValidationException listing the failing elements (the valid ones are still written).
    """
    rendered = []
    failures = []
    for record, submitted, errors in elements:
        if errors:
            failed = {**submitted, "HasErrors": True, "StatusAttributeString": "ERROR"}
            failed["ValidationErrors"] = [{"Message": message} for message in errors]
            rendered.append(failed)
            failures.append(failed)
        else:
            rendered.append({**(record or {}), "StatusAttributeString": "OK"})
    if failures and call.summarize_errors:
        return 400, validation_exception(failures)
    return 200, envelope(key, rendered)
