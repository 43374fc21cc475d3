"""The one request path of Xero's accounting API: every call of `XeroClient` goes through here.

Every call: passes the limiter (`Gate`) first, goes through the one HTTP stack (`http`: timeouts,
urllib3 retries off, no SDK refresh), and turns any failure into `errors.XeroError` (`answers`
reads what Xero's answer means). A 429 pauses the gate for as long as Xero said.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import urllib3
from django.conf import settings
from xero_python.accounting import AccountingApi
from xero_python.exceptions import ApiException

from accounting.providers.xero import errors
from accounting.providers.xero.answers import headers_of, translate_api_exception
from accounting.providers.xero.http import bearer_token, request_timeout, sdk_api_client
from accounting.providers.xero.query import Request, packed, url_length
from accounting.providers.xero.scopes import scope_of

API_PATH = "/api.xro/2.0"
# Reads of one record by its key in the path: their 404 means "no such record".
ONE_RECORD_READS = frozenset({"get_contact_by_contact_number"})


class Gate(Protocol):
    """The limiter seen by the client: a permit per call, Xero's answer headers after it, and a
    pause when Xero answers 429 (`error` says which limit: its type, its `retry_after`)."""

    def acquire(self) -> object: ...

    def release(self, permit: object, *, headers: Mapping[str, str]) -> None: ...

    def pause(self, *, error: errors.XeroRateLimited) -> None: ...


class OpenGate:
    """A gate that never refuses (for one-off calls outside the sync engine, e.g. a shell)."""

    def acquire(self) -> object:
        return None

    def release(self, permit: object, *, headers: Mapping[str, str]) -> None:
        return None

    def pause(self, *, error: errors.XeroRateLimited) -> None:
        return None


class XeroTransport:
    """Calls of the accounting API for one Xero organisation with one access token."""

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
        # What this client read from Xero: answers, and their bytes as Xero sent them (Content-Length).
        self.calls = 0
        self.bytes_read = 0
        self._gate = gate or OpenGate()
        self._reauth = reauth
        self._token = bearer_token(access_token)
        api_client = sdk_api_client(token_getter=lambda: self._token)
        self._base_url = settings.XERO_API_URL.rstrip("/") + API_PATH
        self._api = AccountingApi(api_client, base_url=self._base_url)

    # Look-ups within the URL budget -------------------------------------------------------

    def _url_length(self, resource: str, params: list[tuple[str, str]]) -> int:
        """Return the length of the GET's URL as it goes out."""
        return url_length(base_url=self._base_url, resource=resource, params=params)

    def _packed(self, values: list[str], request: Request) -> Iterator[list[str]]:
        """Yield groups of `values` whose look-up URL fits the budget (`query.packed`)."""
        return packed(values, request, base_url=self._base_url)

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
            self._token = bearer_token(self._reauth())
            self._reauth = None
            return self._call_once(method, **kwargs)

    def _call_once(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        with self._permit() as answer_headers:
            try:
                data, _status, headers = method(
                    self.tenant_id, _return_http_data_only=False, _request_timeout=request_timeout(), **kwargs
                )
            except ApiException as exc:
                answer_headers.update(headers_of(exc))
                lookup = method.__name__.startswith("get_") and method.__name__ not in ONE_RECORD_READS
                error = translate_api_exception(exc, scope=scope_of(method.__name__), lookup=lookup)
                if isinstance(error, errors.XeroRateLimited):
                    self._gate.pause(error=error)
                raise error from None
            except urllib3.exceptions.HTTPError as exc:
                raise translate_transport_error(exc) from None
            answer_headers.update(dict(headers or {}))
            self.calls += 1
            self.bytes_read += _content_length(answer_headers)
            return data

    @contextmanager
    def _permit(self) -> Iterator[dict[str, str]]:
        permit = self._gate.acquire()
        headers: dict[str, str] = {}
        try:
            yield headers
        finally:
            self._gate.release(permit, headers=headers)


def _content_length(headers: Mapping[str, str]) -> int:
    """Return the size of an answer's body as its Content-Length says (0 when absent)."""
    for name, value in headers.items():
        if name.lower() == "content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def translate_transport_error(exc: urllib3.exceptions.HTTPError) -> errors.XeroNetworkError:
    """Return the typed error of a failed connection; ambiguous once the request may have left."""
    # Nothing was sent when the connection could not be opened; any later failure (read timeout,
    # reset, truncated answer) may come after Xero acted on the request.
    not_sent = isinstance(exc, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)
    return errors.XeroNetworkError(f"Network error talking to Xero: {type(exc).__name__}", ambiguous=not not_sent)
