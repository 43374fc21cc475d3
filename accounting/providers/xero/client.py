"""The one client of Xero's accounting API, built on the official xero-python SDK.

Every call: passes the limiter (`Gate`) first, goes through the one HTTP stack (`http`: timeouts,
urllib3 retries off, no SDK refresh), and turns any failure into `errors.XeroError` (`answers`
reads what Xero's answer means).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import urlencode

import urllib3
from django.conf import settings
from xero_python.accounting import AccountingApi
from xero_python.accounting.models import (
    Account,
    Allocation,
    Allocations,
    Contact,
    Contacts,
    CreditNote,
    CreditNotes,
    Currency,
    Invoice,
    Invoices,
    Item,
    Items,
    Organisation,
    Payment,
    PaymentDelete,
    Payments,
    TaxRate,
)
from xero_python.exceptions import ApiException

from accounting.providers.xero import errors
from accounting.providers.xero.answers import headers_of, translate_api_exception
from accounting.providers.xero.http import bearer_token, request_timeout, sdk_api_client
from accounting.providers.xero.scopes import scope_of

API_PATH = "/api.xro/2.0"
# The longest look-up URL sent, measured encoded as it goes out. Xero answers 404 "The resource
# you're looking for cannot be found" to URLs past about 2,050 characters (xero-node#404,
# Xero-NetStandard#413): look-ups are split by this length, never by a count of records.
URL_BUDGET = 2000
SUMMARY = ("summaryOnly", "True")  # as the SDK sends it
# Reads of one record by its key in the path: their 404 means "no such record".
ONE_RECORD_READS = frozenset({"get_contact_by_contact_number"})


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
        self._token = bearer_token(access_token)
        api_client = sdk_api_client(token_getter=lambda: self._token)
        self._base_url = settings.XERO_API_URL.rstrip("/") + API_PATH
        self._api = AccountingApi(api_client, base_url=self._base_url)

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

        Asked with Xero's dedicated `InvoiceNumbers=` parameter, in as few GETs as the URL budget
        allows. The SDK joins that list with commas, so a number containing a comma is asked alone
        with a single-value `where` filter instead.
        """
        plain = [n for n in numbers if "," not in n]
        found: list[Invoice] = []
        for group in self._packed(plain, lambda g: ("Invoices", [("InvoiceNumbers", ",".join(g)), SUMMARY])):
            found += self._call(self._api.get_invoices, invoice_numbers=group, summary_only=True).invoices or []
        for number in (n for n in numbers if "," in n):
            where = f'InvoiceNumber=="{where_quote(number)}"'
            found += self._call(self._api.get_invoices, where=where, summary_only=True).invoices or []
        return found

    def invoices_by_ids(self, *, ids: Sequence[str]) -> list[Invoice]:
        """Return the invoices (summaries: status and amounts, no lines) whose InvoiceIDs are in `ids`."""
        found: list[Invoice] = []
        for group in self._packed(list(ids), lambda g: ("Invoices", [("IDs", ",".join(g)), SUMMARY])):
            found += self._call(self._api.get_invoices, i_ds=group, summary_only=True).invoices or []
        return found

    def invoice_by_id(self, *, invoice_id: str) -> Invoice | None:
        """Return one invoice in full (with its Payments and CreditNotes), or None if Xero has none."""
        try:
            result = self._call(self._api.get_invoice, invoice_id=invoice_id, unitdp=4)
        except (errors.XeroNotFound, errors.XeroLookupRefused):  # a GET by id: 404 is "none"
            return None
        return (result.invoices or [None])[0]

    # Payments, credit notes and allocations ------------------------------------------------

    def payments_create(self, *, payments: Sequence[Payment], idempotency_key: str) -> list[Payment]:
        """PUT payments (to invoices, or refunds out of credit notes); return every element."""
        result = self._call(
            self._api.create_payments,
            payments=Payments(payments=list(payments)),
            summarize_errors=False,
            idempotency_key=idempotency_key,
        )
        return list(result.payments or [])

    def payment_delete(self, *, payment_id: str, idempotency_key: str) -> Payment | None:
        """Remove a payment (POST /Payments/{id} with Status DELETED); return Xero's answer."""
        result = self._call(
            self._api.delete_payment,
            payment_id=payment_id,
            payment_delete=PaymentDelete(status="DELETED"),
            idempotency_key=idempotency_key,
        )
        return (result.payments or [None])[0]

    def credit_notes_create(self, *, credit_notes: Sequence[CreditNote], idempotency_key: str) -> list[CreditNote]:
        """PUT credit notes (create only); return every element with its own status and errors."""
        result = self._call(
            self._api.create_credit_notes,
            credit_notes=CreditNotes(credit_notes=list(credit_notes)),
            summarize_errors=False,
            unitdp=4,
            idempotency_key=idempotency_key,
        )
        return list(result.credit_notes or [])

    def credit_notes_by_number(self, *, numbers: Sequence[str]) -> list[CreditNote]:
        """Return the credit notes whose CreditNoteNumber is one of `numbers` (OR-joined, URL budget)."""
        found: list[CreditNote] = []
        for group in self._packed(
            list(numbers), lambda g: ("CreditNotes", [("where", where_any("CreditNoteNumber", g))])
        ):
            found += (
                self._call(self._api.get_credit_notes, where=where_any("CreditNoteNumber", group)).credit_notes or []
            )
        return found

    def credit_note_by_id(self, *, credit_note_id: str) -> CreditNote | None:
        """Return one credit note in full (with its Allocations and Payments), or None."""
        try:
            result = self._call(self._api.get_credit_note, credit_note_id=credit_note_id, unitdp=4)
        except (errors.XeroNotFound, errors.XeroLookupRefused):  # a GET by id: 404 is "none"
            return None
        return (result.credit_notes or [None])[0]

    def allocations_create(
        self, *, credit_note_id: str, allocations: Sequence[Allocation], idempotency_key: str
    ) -> list[Allocation]:
        """PUT allocations of a credit note's credit to invoices; return every element."""
        result = self._call(
            self._api.create_credit_note_allocation,
            credit_note_id=credit_note_id,
            allocations=Allocations(allocations=list(allocations)),
            summarize_errors=False,
            idempotency_key=idempotency_key,
        )
        return list(result.allocations or [])

    def invoices_with_payments(self, *, ids: Sequence[str]) -> list[Invoice]:
        """Return the invoices whose InvoiceIDs are in `ids` in full, with their Payments (asked
        with `IDs=` and `page=1`, as Xero gives whole invoices only to paged reads)."""
        found: list[Invoice] = []
        for group in self._packed(list(ids), lambda g: ("Invoices", [("IDs", ",".join(g)), ("page", "1")])):
            found += self._call(self._api.get_invoices, i_ds=group, page=1).invoices or []
        return found

    def invoices_modified_since(self, *, since: dt.datetime, page: int) -> list[Invoice]:
        """Return one page (100) of the sales invoices created or modified after `since`
        (`If-Modified-Since`, the parameter Xero serves efficiently to every organisation)."""
        result = self._call(self._api.get_invoices, if_modified_since=since, page=page)
        return list(result.invoices or [])

    # Contacts ----------------------------------------------------------------------------

    def contacts_matching(self, *, field: str, values: Iterable[str]) -> list[Contact]:
        """Return the active contacts whose `field` equals one of `values`, asked with OR-joined
        `where` filters split by the URL budget.

        Raise `errors.XeroHighVolume` when the organisation refuses OR-joined filters: then ask
        one value at a time (`contacts_equal`).
        """
        found: list[Contact] = []
        for group in self._packed(list(values), lambda g: ("Contacts", [("where", where_any(field, g)), SUMMARY])):
            found += self._call(self._api.get_contacts, where=where_any(field, group), summary_only=True).contacts or []
        return found

    def contacts_equal(self, *, field: str, value: str) -> list[Contact]:
        """Return the active contacts whose `field` (Name, EmailAddress, ContactNumber: the fields
        Xero serves efficiently) equals `value`: a single-value filter even a high-volume
        organisation answers."""
        if self._url_length("Contacts", [("where", where_any(field, [value])), SUMMARY]) > URL_BUDGET:
            return []  # too long to ask (an absurd name): treated as not found, then created
        result = self._call(self._api.get_contacts, where=where_any(field, [value]), summary_only=True)
        return list(result.contacts or [])

    def contacts_numbered(self, *, numbers: Iterable[str]) -> list[Contact]:
        """Return the contacts, archived ones included, whose ContactNumber is one of `numbers`,
        asked with OR-joined `where` filters split by the URL budget (not for high-volume
        organisations: ContactNumber is not among the fields Xero serves them efficiently)."""
        found: list[Contact] = []
        request = lambda g: ("Contacts", [("where", where_any("ContactNumber", g)), ("includeArchived", "true")])  # noqa: E731
        for group in self._packed(list(numbers), request):
            where = where_any("ContactNumber", group)
            found += self._call(self._api.get_contacts, where=where, include_archived=True).contacts or []
        return found

    def contact_by_number(self, *, number: str) -> Contact | None:
        """Return the contact whose ContactNumber is `number` (archived or not), or None: Xero's
        `GET /Contacts/{ContactNumber}`, one record by its key, which every organisation serves."""
        try:
            result = self._call(self._api.get_contact_by_contact_number, contact_number=number)
        except errors.XeroNotFound:
            return None
        return next(iter(result.contacts or []), None)

    def contacts_update(self, *, contacts: Sequence[Contact], idempotency_key: str) -> list[Contact]:
        """POST contacts that carry their ContactID (e.g. to make an archived one active again)."""
        result = self._call(
            self._api.update_or_create_contacts,
            contacts=Contacts(contacts=list(contacts)),
            summarize_errors=False,
            idempotency_key=idempotency_key,
        )
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

    def items_by_code(self, *, codes: Iterable[str]) -> list[Item]:
        """Return the items whose Code is one of `codes`, in as few GETs as the URL budget allows."""
        found: list[Item] = []
        for group in self._packed(list(codes), lambda g: ("Items", [("where", where_any("Code", g))])):
            found += self._call(self._api.get_items, where=where_any("Code", group)).items or []
        return found

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

    # Look-ups within the URL budget -------------------------------------------------------

    def _url_length(self, resource: str, params: list[tuple[str, str]]) -> int:
        """Return the length of the GET's URL as it goes out (urllib3 encodes GET fields so)."""
        return len(f"{self._base_url}/{resource}?{urlencode(params)}")

    def _packed(
        self, values: list[str], request: Callable[[list[str]], tuple[str, list[tuple[str, str]]]]
    ) -> Iterator[list[str]]:
        """Yield groups of `values` whose look-up URL (`request(group)` → resource, params) fits
        the budget. A value too long to be asked even alone is left out (not found)."""
        group: list[str] = []
        for value in dict.fromkeys(values):
            if self._url_length(*request([*group, value])) <= URL_BUDGET:
                group.append(value)
                continue
            if group:
                yield group
            group = [value] if self._url_length(*request([value])) <= URL_BUDGET else []
        if group:
            yield group

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
                error = translate_api_exception(exc, scope=_scope(method), lookup=lookup)
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


def _scope(method: Callable[..., Any]) -> str:
    return scope_of(method.__name__)


def where_any(field: str, values: Iterable[str]) -> str:
    """Return a Xero `where` filter matching `field` equal to any of `values`."""
    return " OR ".join(f'{field}=="{where_quote(v)}"' for v in values)


def translate_transport_error(exc: urllib3.exceptions.HTTPError) -> errors.XeroNetworkError:
    """Return the typed error of a failed connection; ambiguous once the request may have left."""
    # Nothing was sent when the connection could not be opened; any later failure (read timeout,
    # reset, truncated answer) may come after Xero acted on the request.
    not_sent = isinstance(exc, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)
    return errors.XeroNetworkError(f"Network error talking to Xero: {type(exc).__name__}", ambiguous=not not_sent)
