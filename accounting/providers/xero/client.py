"""The one client of Xero's accounting API, built on the official xero-python SDK: a method per
read or write the portal makes, each answering SDK models.

Every call goes through `transport.XeroTransport` (the limiter's gate, the one HTTP stack, typed
errors); look-ups are split by the length of their URL (`query`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from xero_python.accounting.models import (
    Account,
    Allocation,
    Allocations,
    BankTransaction,
    BankTransactions,
    BankTransfer,
    BankTransfers,
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
    TrackingCategory,
)

from accounting.providers.xero import errors
from accounting.providers.xero.query import (
    SUMMARY,
    URL_BUDGET,
    given,
    modified_since,
    page_count,
    where_any,
    where_equal,
)
from accounting.providers.xero.transport import Gate, OpenGate, XeroTransport
from accounting.providers.xero.values import AccountClass, XeroStatus

__all__ = ["URL_BUDGET", "Gate", "OpenGate", "XeroClient"]


class XeroClient(XeroTransport):
    """Accounting API calls for one Xero organisation with one access token."""

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
            where = where_equal("InvoiceNumber", number)
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
            payment_delete=PaymentDelete(status=XeroStatus.DELETED.value),
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
        if self._url_length("Contacts", [("where", where_equal(field, value)), SUMMARY]) > URL_BUDGET:
            return []  # too long to ask (an absurd name): treated as not found, then created
        result = self._call(self._api.get_contacts, where=where_equal(field, value), summary_only=True)
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

    def revenue_accounts(self) -> list[Account]:
        """Return the chart-of-accounts entries of class REVENUE (where sales lines may go)."""
        return self.accounts_where(where=where_equal("Class", AccountClass.REVENUE))

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

    def tracking_categories(self) -> list[TrackingCategory]:
        """Return the organisation's ACTIVE tracking categories, each with its options."""
        result = self._call(self._api.get_tracking_categories)
        return list(result.tracking_categories or [])

    # Bank transactions and transfers (payouts) ------------------------------------------------

    def bank_transactions_create(
        self, *, bank_transactions: Sequence[BankTransaction], idempotency_key: str
    ) -> list[BankTransaction]:
        """PUT bank transactions (RECEIVE, SPEND); return every element with its own status and errors."""
        result = self._call(
            self._api.create_bank_transactions,
            bank_transactions=BankTransactions(bank_transactions=list(bank_transactions)),
            summarize_errors=False,
            idempotency_key=idempotency_key,
        )
        return list(result.bank_transactions or [])

    def bank_transactions_referenced(self, *, reference: str) -> list[BankTransaction]:
        """Return the bank transactions whose Reference is `reference` (a look-up after a lost answer)."""
        result = self._call(self._api.get_bank_transactions, where=where_equal("Reference", reference))
        return list(result.bank_transactions or [])

    def bank_transfers_create(
        self, *, bank_transfers: Sequence[BankTransfer], idempotency_key: str
    ) -> list[BankTransfer]:
        """PUT bank transfers; return what Xero made."""
        result = self._call(
            self._api.create_bank_transfer,
            bank_transfers=BankTransfers(bank_transfers=list(bank_transfers)),
            idempotency_key=idempotency_key,
        )
        return list(result.bank_transfers or [])

    def bank_transfers_referenced(self, *, reference: str) -> list[BankTransfer]:
        """Return the bank transfers whose Reference is `reference` (a look-up after a lost answer)."""
        result = self._call(self._api.get_bank_transfers, where=where_equal("Reference", reference))
        return list(result.bank_transfers or [])

    # Paged reads of a range of dates (reconciliation: `holdings`) ------------------------------

    def invoices_page(
        self, *, where: str | None, page: int, page_size: int, since: dt.datetime | None = None
    ) -> tuple[list[Invoice], int | None]:
        """Return one page of invoice summaries (no lines) matching `where` (modified after `since`),
        and Xero's page count."""
        result = self._call(
            self._api.get_invoices, **given(where=where), page=page, page_size=page_size, summary_only=True,
            **modified_since(since),
        )  # fmt: skip
        return list(result.invoices or []), page_count(result)

    def credit_notes_page(
        self, *, where: str | None, page: int, page_size: int, since: dt.datetime | None = None
    ) -> tuple[list[CreditNote], int | None]:
        """Return one page of credit notes matching `where` (and modified after `since`), and Xero's page count."""
        result = self._call(
            self._api.get_credit_notes, **given(where=where), page=page, page_size=page_size, **modified_since(since)
        )
        return list(result.credit_notes or []), page_count(result)

    def payments_page(
        self, *, where: str | None, page: int, page_size: int, since: dt.datetime | None = None
    ) -> tuple[list[Payment], int | None]:
        """Return one page of payments matching `where` (and modified after `since`), and Xero's page count."""
        result = self._call(
            self._api.get_payments, **given(where=where), page=page, page_size=page_size, **modified_since(since)
        )
        return list(result.payments or []), page_count(result)

    def bank_transactions_page(
        self, *, where: str | None, page: int, page_size: int, since: dt.datetime | None = None
    ) -> tuple[list[BankTransaction], int | None]:
        """Return one page of bank transactions matching `where` (modified after `since`), and the page count."""
        result = self._call(
            self._api.get_bank_transactions,
            **given(where=where),
            page=page,
            page_size=page_size,
            **modified_since(since),
        )
        return list(result.bank_transactions or []), page_count(result)

    def bank_transfers_where(self, *, where: str | None, since: dt.datetime | None = None) -> list[BankTransfer]:
        """Return the bank transfers matching `where` (and created after `since`; no paging)."""
        result = self._call(self._api.get_bank_transfers, **given(where=where), **modified_since(since))
        return list(result.bank_transfers or [])
