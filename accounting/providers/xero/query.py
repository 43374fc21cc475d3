"""Look-ups as Xero serves them: `where` filters quoted once, and look-up URLs kept short.

Xero answers 404 "The resource you're looking for cannot be found" to URLs past about 2,050
characters (xero-node#404, Xero-NetStandard#413): look-ups are split by the length of their URL
as it goes out, never by a count of records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlencode

# The longest look-up URL sent, measured encoded as it goes out.
URL_BUDGET = 2000
SUMMARY = ("summaryOnly", "True")  # as the SDK sends it
# A look-up: the resource and its query parameters for a group of values.
Request = Callable[[list[str]], tuple[str, list[tuple[str, str]]]]


def where_quote(value: str) -> str:
    """Return `value` escaped for a double-quoted string of a Xero `where` filter."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def where_any(field: str, values: Iterable[str]) -> str:
    """Return a Xero `where` filter matching `field` equal to any of `values`."""
    return " OR ".join(f'{field}=="{where_quote(v)}"' for v in values)


def where_equal(field: str, value: str) -> str:
    """Return a Xero `where` filter matching `field` equal to `value`."""
    return where_any(field, [value])


def url_length(*, base_url: str, resource: str, params: list[tuple[str, str]]) -> int:
    """Return the length of a GET's URL as it goes out (urllib3 encodes GET fields so)."""
    return len(f"{base_url}/{resource}?{urlencode(params)}")


def packed(values: list[str], request: Request, *, base_url: str) -> Iterator[list[str]]:
    """Yield groups of `values` whose look-up URL (`request(group)` → resource, params) fits
    the budget. A value too long to be asked even alone is left out (not found)."""

    def fits(group: list[str]) -> bool:
        resource, params = request(group)
        return url_length(base_url=base_url, resource=resource, params=params) <= URL_BUDGET

    group: list[str] = []
    for value in dict.fromkeys(values):
        if fits([*group, value]):
            group.append(value)
            continue
        if group:
            yield group
        group = [value] if fits([value]) else []
    if group:
        yield group


# Arguments of paged reads -------------------------------------------------------------------


def modified_since(since: dt.datetime | None) -> dict[str, dt.datetime]:
    """The SDK's `if_modified_since` argument, only when there is one (the header is then sent)."""
    return {"if_modified_since": since} if since is not None else {}


def page_count(result: object) -> int | None:
    """Xero's `pagination.pageCount` of a paged answer (None when the answer has none)."""
    pagination = getattr(result, "pagination", None)
    count = getattr(pagination, "page_count", None)
    return int(count) if count is not None else None


def given(**arguments: str | None) -> dict[str, str]:
    """The arguments that have a value (the SDK cannot send a None query parameter)."""
    return {name: value for name, value in arguments.items() if value is not None}
