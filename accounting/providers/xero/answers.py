"""What Xero's answers mean: HTTP failures become typed errors, refused elements typed refusals.

This is the one place that reads Xero's English: callers branch on the classes and fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from xero_python.exceptions import ApiException

from accounting.providers.xero import errors
from accounting.providers.xero.values import ElementStatus, text

# Xero's answer to a filter a high-volume organisation will not run (pyxero#373, xero-python#148).
HIGH_VOLUME = re.compile(r"not filtering (\w+) efficiently", re.IGNORECASE)
REFUSED_ITEM_CODE = re.compile(r"Item code '(.+?)' is not valid", re.IGNORECASE)
REFUSED_TAX_TYPE = re.compile(r"TaxType code '(.*?)' does not exist|TaxType\b.*\bis not valid", re.IGNORECASE)
REFUSED_ACCOUNT = re.compile(r"Account code '(.*?)' is not a valid code", re.IGNORECASE)
NAME_TAKEN = re.compile(r"already assigned to another contact", re.IGNORECASE)
# "This invoice number must be unique." / "Invoice # must be unique." (Xero-Net#236)
NUMBER_TAKEN = re.compile(r"invoice (number|#) must be unique", re.IGNORECASE)
CONTACT = re.compile(r"\bcontact\b", re.IGNORECASE)
# "There is no ACTIVE tracking option with the name 'North' in the tracking category 'Region'" (and
# the category alike): an option or category archived or deleted in Xero since it was chosen.
TRACKING = re.compile(r"no ACTIVE tracking (?:option|category)", re.IGNORECASE)
# "The document date cannot be before the end of year lock date, currently set at 31-Jul-2013"
# (xeroizer#92); the period lock date is worded alike.
LOCK_DATE = re.compile(
    r"cannot be (?:on or )?before the [\w ]*lock date(?:, currently set at ([^.;]+))?", re.IGNORECASE
)


@dataclass(frozen=True)
class Refusal:
    """Why Xero refused one element of a `summarizeErrors=false` batch, in typed fields."""

    messages: list[str]
    item_codes: set[str] = field(default_factory=set)  # item codes Xero does not know (deleted, archived)
    tax_type_refused: bool = False  # a TaxType Xero does not accept (deleted, archived)
    account_code_refused: bool = False  # an AccountCode Xero does not accept
    contact_refused: bool = False  # the contact (archived, deleted, or missing)
    name_taken: bool = False  # a contact name another active contact has
    number_taken: bool = False  # an invoice number Xero already holds for this organisation
    lock_date: str | None = None  # the document is dated within the locked period ("" when Xero gave no date)
    tracking_refused: bool = False  # a tracking option or category no longer active in Xero

    @property
    def fix(self) -> str:
        """Return what the user can do about the refusal, where Xero's words do not say it."""
        if self.lock_date is not None:
            when = f" ({self.lock_date})" if self.lock_date else ""
            return (
                f"The invoice is dated within the period Xero has locked{when}: change the invoice date in the "
                "store, or ask the organisation's adviser to move the lock date in Xero (Settings → Advanced → "
                "Financial settings), then retry."
            )
        if self.tracking_refused:
            return (
                "The tracking option chosen for this channel is no longer active in Xero: read the tracking "
                "categories again under Tracking on the channel page, choose an active option, then retry."
            )
        return ""


def element_refusal(element: Any) -> Refusal | None:
    """Return why Xero refused one element of a batch answer, or None when it accepted it."""
    messages = [e.message for e in (getattr(element, "validation_errors", None) or []) if getattr(e, "message", None)]
    if not messages and text(getattr(element, "status_attribute_string", None)) == ElementStatus.ERROR:
        messages = ["Xero refused this record without a message."]
    if not messages:
        return None
    return refusal_of(messages)


def refusal_of(messages: list[str]) -> Refusal:
    """Return the typed reading of Xero's validation messages."""
    messages = list(dict.fromkeys(messages))  # one message per line refused alike is said once
    text = "\n".join(messages)
    name_taken = bool(NAME_TAKEN.search(text))
    locked = LOCK_DATE.search(text)
    return Refusal(
        messages=messages,
        item_codes=set(REFUSED_ITEM_CODE.findall(text)),
        tax_type_refused=bool(REFUSED_TAX_TYPE.search(text)),
        account_code_refused=bool(REFUSED_ACCOUNT.search(text)),
        contact_refused=not name_taken and bool(CONTACT.search(text)),
        name_taken=name_taken,
        number_taken=bool(NUMBER_TAKEN.search(text)),
        lock_date=(locked.group(1) or "").strip() if locked else None,
        tracking_refused=bool(TRACKING.search(text)),
    )


def access_refused_message(detail: str) -> str:
    """A 403: the connection to the organisation is gone (`detail`: Xero's word for it)."""
    return f"Xero refused access to this organisation ({detail}): reconnect the channel."


def scope_missing_message(scope: str) -> str:
    """A 401 AuthorizationUnsuccessful: the consent lacks `scope`."""
    return (
        f"Xero refused the call: the connection was not granted {scope}. "
        "Reconnect the channel and allow access to grant it."
    )


def translate_api_exception(exc: ApiException, *, scope: str = "", lookup: bool = False) -> errors.XeroError:
    """Return the typed error for an SDK exception carrying an HTTP answer.

    `scope` is the granular scope the call needs (named when Xero answers AuthorizationUnsuccessful);
    `lookup` marks a collection GET, where a 404 or 414 is a refused request, never "none found".
    """
    status = exc.status if isinstance(exc.status, int) else getattr(exc.http_resp, "status", None)
    headers = headers_of(exc)
    body = _json_body(exc)
    if status == 429:
        retry_after = _float(headers.get("Retry-After") or headers.get("retry-after"), default=60.0)
        problem = (headers.get("X-Rate-Limit-Problem") or headers.get("x-rate-limit-problem") or "").lower()
        return rate_limited(problem=problem, retry_after=retry_after, headers=headers)
    if status == 400:
        return _bad_request(body, headers=headers)
    if status == 401:
        return _unauthorized(body, scope=scope, headers=headers)
    if status == 403:
        detail = _detail(body) or "AuthenticationUnsuccessful"
        return errors.XeroReconnectRequired(access_refused_message(detail), status=403, headers=headers)
    if lookup and status in (404, 414):
        return errors.XeroLookupRefused(
            f"Xero refused the look-up itself ({status}); this says nothing about whether the records exist.",
            status=status, headers=headers,
        )  # fmt: skip
    if status == 413:
        return errors.XeroRequestTooLarge(
            "The request is larger than Xero accepts (3.5 MB).", status=413, headers=headers
        )
    if status == 404:
        return errors.XeroNotFound("Not found in Xero.", status=404, headers=headers)
    if status is not None and status >= 500:
        return errors.XeroServerError(f"Xero server error {status}.", status=status, headers=headers)
    detail = _detail(body)
    return errors.XeroError(
        f"Xero refused the request ({status}{': ' + detail if detail else ''}).", status=status, headers=headers
    )


def rate_limited(*, problem: str, retry_after: float, headers: dict[str, str]) -> errors.XeroRateLimited:
    """Return the typed error of a 429 whose `X-Rate-Limit-Problem` is `problem` (lower case):
    "appminute" (any app limit) holds the whole app, "day" the organisation for the day."""
    kind: type[errors.XeroRateLimited] = errors.XeroRateLimited
    if "app" in problem:
        kind = errors.XeroAppRateLimited
    elif problem == "day":
        kind = errors.XeroDayRateLimited
    return kind(
        f"Xero rate limit reached ({problem or 'unknown'} limit).",
        retry_after=retry_after, problem=problem, status=429, headers=headers,
    )  # fmt: skip


def _bad_request(body: Any, *, headers: dict[str, str]) -> errors.XeroError:
    messages = validation_messages(body)
    text = "; ".join(messages) or "Xero refused the request."
    volume = HIGH_VOLUME.search(text)
    if volume:
        return errors.XeroHighVolume(text, resource=volume.group(1), messages=messages, status=400, headers=headers)
    return errors.XeroValidationError(text, messages=messages, status=400, headers=headers)


def _unauthorized(body: Any, *, scope: str, headers: dict[str, str]) -> errors.XeroError:
    detail = _detail(body)
    if "AuthorizationUnsuccessful" in detail:
        # The token is valid but its consent lacks this resource's scope (granular scopes, 2026).
        needed = scope or "a scope this call needs"
        return errors.XeroScopeMissing(scope_missing_message(needed), scope=scope, status=401, headers=headers)
    return errors.XeroUnauthorized(detail or "Xero refused the access token.", status=401, headers=headers)


def validation_messages(body: Any) -> list[str]:
    """Return Xero's validation messages from a 400 body (top-level or per element)."""
    if not isinstance(body, dict):
        return []
    messages: list[str] = []
    for element in body.get("Elements") or []:
        for error in element.get("ValidationErrors") or []:
            if error.get("Message") and error["Message"] not in messages:
                messages.append(error["Message"])
    if not messages and body.get("Message"):
        messages.append(str(body["Message"]))
    if not messages and body.get("Detail"):
        messages.append(str(body["Detail"]))
    return messages


def headers_of(exc: ApiException) -> dict[str, str]:
    try:
        return dict(exc.headers or {})
    except Exception:  # a response-less exception (SSL) has no headers
        return {}


def _json_body(exc: ApiException) -> Any:
    raw = exc.body
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, TypeError):
        return None


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("Detail") or body.get("Title") or body.get("Message") or "")
    return ""


def _float(value: str | None, *, default: float) -> float:
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default
