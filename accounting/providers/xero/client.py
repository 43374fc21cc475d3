"""The one client of Xero's accounting API, built on the official xero-python SDK.

Every call: passes the limiter (`Gate`) first, carries a request timeout, goes through a urllib3
pool whose retries are off (the SDK's default pool would sleep through a day-long Retry-After or
re-send a PUT after a read timeout), and turns any failure into `errors.XeroError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import certifi
import urllib3
from django.conf import settings
from xero_python.accounting import AccountingApi
from xero_python.accounting.models import (
    Account,
    Contact,
    Contacts,
    Currency,
    Invoice,
    Invoices,
    Item,
    Items,
    Organisation,
    TaxRate,
)
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import ApiException

from . import errors

API_PATH = "/api.xro/2.0"
# Invoice numbers per look-up, keeping the `where` filter of one GET well under URL limits.
NUMBERS_PER_LOOKUP = 25
# GUIDs per `IDs=` look-up: 53 make a URL Xero refuses with a 404 (xero-node#404), 40 stay clear.
IDS_PER_LOOKUP = 40


def where_quote(value: str) -> str:
    """Return `value` escaped for a double-quoted string of a Xero `where` filter."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


class Gate(Protocol):
    """The limiter seen by the client: a permit per call, Xero's answer headers after it."""

    def acquire(self) -> object: ...

    def release(self, permit: object, *, headers: Mapping[str, str]) -> None: ...

    def pause(self, *, seconds: float, problem: str) -> None: ...


class OpenGate:
    """A gate that never refuses (for one-off calls outside the sync engine, e.g. a shell)."""

    def acquire(self) -> object:
        return None

    def release(self, permit: object, *, headers: Mapping[str, str]) -> None:
        return None

    def pause(self, *, seconds: float, problem: str) -> None:
        return None


def _timeout() -> tuple[float, float]:
    # The SDK ignores a float `_request_timeout` (it only understands int or a pair): pass a pair.
    total = float(settings.XERO_REQUEST_TIMEOUT)
    return (min(10.0, total), total)


def _token_dict(access_token: str) -> dict[str, Any]:
    # No refresh token and no expiry: the SDK then never tries to refresh by itself; refreshing
    # is accounting.tokens' job, under its row lock.
    return {
        "access_token": access_token,
        "refresh_token": None,
        "id_token": None,
        "scope": [],
        "expires_in": None,
        "expires_at": None,
        "token_type": "Bearer",
    }


class XeroClient:
    """Accounting API calls for one Xero organisation with one access token."""

    def __init__(
        self,
        *,
        access_token: str,
        tenant_id: str,
        gate: Gate | None = None,
        reauth: Callable[[], str] | None = None,
    ):
        """`reauth` returns a freshly refreshed access token; it is called once after a 401."""
        self.tenant_id = tenant_id
        self._gate = gate or OpenGate()
        self._reauth = reauth
        self._token = _token_dict(access_token)
        # Configuration() hands out shallow copies of one process-wide default and ignores its
        # arguments: the token object must be this client's own, or threads would swap tokens.
        configuration = Configuration()
        configuration.oauth2_token = OAuth2Token()
        api_client = ApiClient(
            configuration,
            oauth2_token_getter=lambda: self._token,
            oauth2_token_saver=lambda new: None,
        )
        api_client.rest_client.pool_manager = urllib3.PoolManager(
            num_pools=2, maxsize=2, retries=False, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where()
        )
        self._api = AccountingApi(api_client, base_url=settings.XERO_API_URL.rstrip("/") + API_PATH)

    # Invoices ----------------------------------------------------------------------------

    def invoices_create(self, *, invoices: Sequence[Invoice], idempotency_key: str) -> list[Invoice]:
        """PUT invoices (create only); return every element with its own status and errors."""
        result = self._call(
            self._api.create_invoices,
            invoices=Invoices(invoices=list(invoices)),
            summarize_errors=False,
            unitdp=4,
            idempotency_key=idempotency_key,
        )
        return list(result.invoices or [])

    def invoices_update(self, *, invoices: Sequence[Invoice], idempotency_key: str) -> list[Invoice]:
        """POST invoices that carry their InvoiceID (update); return every element."""
        result = self._call(
            self._api.update_or_create_invoices,
            invoices=Invoices(invoices=list(invoices)),
            summarize_errors=False,
            unitdp=4,
            idempotency_key=idempotency_key,
        )
        return list(result.invoices or [])

    def invoices_by_number(self, *, numbers: Sequence[str]) -> list[Invoice]:
        """Return the invoices of this organisation whose numbers are in `numbers`.

        Asked with a quoted `where` filter, never `InvoiceNumbers`: the SDK joins that list with
        commas, so a number containing a comma would be split and never found.
        """
        found: list[Invoice] = []
        numbers = list(numbers)
        for start in range(0, len(numbers), NUMBERS_PER_LOOKUP):
            chunk = numbers[start : start + NUMBERS_PER_LOOKUP]
            where = " OR ".join(f'InvoiceNumber=="{where_quote(n)}"' for n in chunk)
            result = self._call(self._api.get_invoices, where=where, summary_only=True)
            found += result.invoices or []
        return found

    def invoices_by_ids(self, *, ids: Sequence[str]) -> list[Invoice]:
        """Return the invoices (summaries: status and amounts, no lines) whose InvoiceIDs are in `ids`."""
        found: list[Invoice] = []
        ids = list(ids)
        for start in range(0, len(ids), IDS_PER_LOOKUP):
            chunk = ids[start : start + IDS_PER_LOOKUP]
            result = self._call(self._api.get_invoices, i_ds=chunk, summary_only=True)
            found += result.invoices or []
        return found

    # Contacts ----------------------------------------------------------------------------

    def contacts_where(self, *, where: str) -> list[Contact]:
        """Return the contacts matching a Xero `where` filter."""
        result = self._call(self._api.get_contacts, where=where, summary_only=True)
        return list(result.contacts or [])

    def contacts_create(self, *, contacts: Sequence[Contact], idempotency_key: str) -> list[Contact]:
        """PUT contacts; return every element with its own errors."""
        result = self._call(
            self._api.create_contacts,
            contacts=Contacts(contacts=list(contacts)),
            summarize_errors=False,
            idempotency_key=idempotency_key,
        )
        return list(result.contacts or [])

    # Items and accounts ------------------------------------------------------------------

    def items_where(self, *, where: str) -> list[Item]:
        """Return the items matching a Xero `where` filter (Items has no paging)."""
        result = self._call(self._api.get_items, where=where)
        return list(result.items or [])

    def items_upsert(self, *, items: Sequence[Item], idempotency_key: str) -> list[Item]:
        """POST items (upsert on Code); return every element with its own errors."""
        result = self._call(
            self._api.update_or_create_items,
            items=Items(items=list(items)),
            summarize_errors=False,
            unitdp=4,
            idempotency_key=idempotency_key,
        )
        return list(result.items or [])

    def accounts_where(self, *, where: str) -> list[Account]:
        """Return the chart-of-accounts entries matching a Xero `where` filter."""
        result = self._call(self._api.get_accounts, where=where)
        return list(result.accounts or [])

    def accounts(self) -> list[Account]:
        """Return the whole chart of accounts (every status)."""
        result = self._call(self._api.get_accounts)
        return list(result.accounts or [])

    def organisation(self) -> Organisation | None:
        """Return the organisation this client talks to."""
        result = self._call(self._api.get_organisations)
        return (result.organisations or [None])[0]

    def currencies(self) -> list[Currency]:
        """Return the currencies enabled in the organisation."""
        result = self._call(self._api.get_currencies)
        return list(result.currencies or [])

    def tax_rates(self) -> list[TaxRate]:
        """Return the organisation's tax rates (every status; the caller picks the usable ones)."""
        result = self._call(self._api.get_tax_rates)
        return list(result.tax_rates or [])

    # The one request path ---------------------------------------------------------------

    def _call(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        """Call an SDK method through the gate; return its data or raise a XeroError.

        A 401 (expired or revoked access token) gets one forced refresh and one more try: a
        refused token means Xero did nothing, so repeating the call is safe.
        """
        try:
            return self._call_once(method, **kwargs)
        except errors.XeroUnauthorized:
            if self._reauth is None:
                raise
            self._token = _token_dict(self._reauth())
            self._reauth = None
            return self._call_once(method, **kwargs)

    def _call_once(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        with self._permit() as answer_headers:
            try:
                data, _status, headers = method(
                    self.tenant_id, _return_http_data_only=False, _request_timeout=_timeout(), **kwargs
                )
            except ApiException as exc:
                answer_headers.update(_headers_of(exc))
                error = translate_api_exception(exc)
                if isinstance(error, errors.XeroRateLimited):
                    self._gate.pause(seconds=error.retry_after, problem=error.problem)
                raise error from None
            except urllib3.exceptions.HTTPError as exc:
                raise translate_transport_error(exc) from None
            answer_headers.update(dict(headers or {}))
            return data

    @contextmanager
    def _permit(self) -> Iterator[dict[str, str]]:
        permit = self._gate.acquire()
        headers: dict[str, str] = {}
        try:
            yield headers
        finally:
            self._gate.release(permit, headers=headers)


def _headers_of(exc: ApiException) -> dict[str, str]:
    try:
        return dict(exc.headers or {})
    except Exception:  # a response-less exception (SSL) has no headers
        return {}


def translate_transport_error(exc: urllib3.exceptions.HTTPError) -> errors.XeroNetworkError:
    """Return the typed error of a failed connection; ambiguous once the request may have left."""
    # Nothing was sent when the connection could not be opened; any later failure (read timeout,
    # reset, truncated answer) may come after Xero acted on the request.
    not_sent = isinstance(exc, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)
    return errors.XeroNetworkError(f"Network error talking to Xero: {type(exc).__name__}", ambiguous=not not_sent)


def translate_api_exception(exc: ApiException) -> errors.XeroError:
    """Return the typed error for an SDK exception carrying an HTTP answer."""
    status = exc.status if isinstance(exc.status, int) else getattr(exc.http_resp, "status", None)
    headers = _headers_of(exc)
    body = _json_body(exc)
    if status == 429:
        retry_after = _float(headers.get("Retry-After") or headers.get("retry-after"), default=60.0)
        problem = (headers.get("X-Rate-Limit-Problem") or headers.get("x-rate-limit-problem") or "").lower()
        return errors.XeroRateLimited(
            f"Xero rate limit reached ({problem or 'unknown'} limit).",
            retry_after=retry_after,
            problem=problem,
            status=429,
            headers=headers,
        )
    if status == 400:
        messages = validation_messages(body)
        return errors.XeroValidationError(
            "; ".join(messages) or "Xero refused the request.", messages=messages, status=400, headers=headers
        )
    if status == 401:
        return errors.XeroUnauthorized(_detail(body) or "Xero refused the access token.", status=401, headers=headers)
    if status == 403:
        detail = _detail(body) or "AuthenticationUnsuccessful"
        return errors.XeroReconnectRequired(
            f"Xero refused access to this organisation ({detail}): reconnect the channel.", status=403, headers=headers
        )
    if status == 404:
        return errors.XeroNotFound("Not found in Xero.", status=404, headers=headers)
    if status is not None and status >= 500:
        return errors.XeroServerError(f"Xero server error {status}.", status=status, headers=headers)
    return errors.XeroError(f"Unexpected answer from Xero ({status}).", status=status, headers=headers)


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
