"""What invoices, credit notes and bank transactions share: line building with per-line tax, totals,
contacts, lock date."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from django.utils import timezone

from xero_sandbox.models import BankTransactionLine, Contact, CreditNoteLine, Item, LineItem, Organisation
from xero_sandbox.parse import BadValue, parse_date, parse_decimal, text

from .books import Books, round_cents
from .line_tracking import TrackingBook

ZERO_ID = "00000000-0000-0000-0000-000000000000"
# Statuses that post a document to the ledger: the period lock date applies to them.
POSTED = {"AUTHORISED", "PAID", "VOIDED"}
Line = LineItem | CreditNoteLine | BankTransactionLine
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."
STATUS_ONLY = "A change to status {status} must be sent with only the document's ID (or number) and Status."
# Status changes Xero allows (developer.xero.com Invoices "valid status changes"; xeroizer#48).
TRANSITIONS = {
    "DRAFT": {"SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"VOIDED"},
}
# Fields that change what a document books: refused once it has payments or allocations.
BOOKED_FIELDS = {"LineItems", "Contact", "Date", "CurrencyCode", "CurrencyRate", "LineAmountTypes"}
# A status change may name the document and carry flags the SDKs always send (xero-python: HasErrors…).
IDENTITY_FIELDS = {
    "InvoiceID",
    "InvoiceNumber",
    "CreditNoteID",
    "CreditNoteNumber",
    "Status",
    "HasAttachments",
    "HasErrors",
    "IsDiscounted",
}


# What a new sales document may be created as, and the ways its line amounts may be stated.
CREATE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}
LINE_AMOUNT_TYPES = {"Exclusive", "Inclusive", "NoTax"}


class Document(Protocol):
    status: str
    type: str
    line_amount_types: str
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal
    contact: Contact


def uuids(values: set[str]) -> list[str]:
    """Return the values that are GUIDs (normalised), dropping the others."""
    valid = []
    for value in values:
        try:
            valid.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return valid


def lines_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    lines = payload.get("LineItems")
    return [line for line in lines if isinstance(line, dict)] if isinstance(lines, list) else []


def currency_and_dates_apply(
    batch: DocumentBatch, document: Any, raw: dict[str, Any], errors: list[str], *, creating: bool
) -> None:
    """Set a document's CurrencyCode (enabled in the organisation), Date and DueDate from `raw`."""
    if "CurrencyCode" in raw or creating:
        document.currency_code = text(raw.get("CurrencyCode")) or batch.organisation.base_currency
        if document.currency_code not in batch.books.currencies:
            errors.append(f"Organisation is not subscribed to currency {document.currency_code}")
    try:
        if "Date" in raw or creating:
            document.date = parse_date(raw.get("Date"), field="Date") or timezone.now().date()
        if "DueDate" in raw:
            document.due_date = parse_date(raw.get("DueDate"), field="DueDate")
    except BadValue as exc:
        errors.append(str(exc))


def currency_rate_apply(batch: DocumentBatch, document: Any, raw: dict[str, Any], errors: list[str]) -> None:
    """Set the document's CurrencyRate (units of its currency per unit of the base currency), as
    sent; a base-currency document keeps 1. Wording of the refusal: the sandbox's."""
    try:
        rate = parse_decimal(raw.get("CurrencyRate"), field="CurrencyRate")
    except BadValue as exc:
        errors.append(str(exc))
        return
    if rate is None:
        return
    if rate <= 0:
        errors.append("The currency rate must be greater than zero.")
        return
    if document.currency_code != batch.organisation.base_currency:
        document.currency_rate = rate


def lock_date_error(organisation: Organisation, *, date: dt.date | None) -> str | None:
    """Return Xero's refusal for a document dated on or before the period lock date, or None."""
    lock = organisation.lock_date
    if lock is None or date is None or date > lock:
        return None
    return f"The document date cannot be before the period lock date, currently set at {lock:%d-%b-%Y}"


class Dated(Protocol):
    status: str
    date: dt.date


def update_errors(before: str, after: str, raw: dict[str, Any], *, settled: bool, noun: str) -> list[str]:
    """Return why an existing document in status `before` cannot take the update `raw` (to status `after`).

    `settled`: the document has payments or allocations.
    """
    if before in {"PAID", "VOIDED", "DELETED"}:
        return [f"{noun} not of valid status for modification"]
    if settled and BOOKED_FIELDS & set(raw):
        return [HAS_PAYMENTS]
    if after == before:
        return []
    if after in {"VOIDED", "DELETED"} and set(raw) - IDENTITY_FIELDS:
        # xero-node#407: voiding with the whole document (as GET answered it) is a 400.
        return [STATUS_ONLY.format(status=after)]
    if after not in TRANSITIONS.get(before, set()):
        return [f"{noun} not of valid status for modification"]
    if after == "VOIDED" and settled:
        return [HAS_PAYMENTS]
    return []


def lock_errors(organisation: Organisation, before: Dated | None, after: Dated) -> list[str]:
    """Documents dated on or before the period lock date cannot be posted, changed once posted, or voided.

    Drafts (DRAFT, SUBMITTED) are not posted: the lock does not apply to them.
    """
    posted = after.status in POSTED or (before is not None and before.status in POSTED)
    dates = [after.date] + ([before.date] if before is not None and before.status in POSTED else [])
    problems = {lock_date_error(organisation, date=d) for d in dates} if posted else set()
    return sorted(p for p in problems if p)


class DocumentBatch:
    """State shared by the documents of one request: books, items, contacts (a few queries)."""

    def __init__(self, *, organisation: Organisation, payloads: list[dict[str, Any]], unitdp: int) -> None:
        self.organisation = organisation
        self.books = Books.load(organisation)
        self.unitdp = unitdp
        codes = {text(line.get("ItemCode")) for p in payloads for line in lines_of(p) if line.get("ItemCode")}
        self.items = {i.code: i for i in Item.objects.filter(organisation=organisation, code__in=codes)}
        contacts: list[dict[str, Any]] = [p["Contact"] for p in payloads if isinstance(p.get("Contact"), dict)]
        ids = {text(c.get("ContactID")) for c in contacts if c.get("ContactID")}
        names = {text(c.get("Name")) for c in contacts if c.get("Name") and not c.get("ContactID")}
        self.contacts_by_id = {
            str(c.contact_id): c for c in Contact.objects.filter(organisation=organisation, contact_id__in=uuids(ids))
        }
        self.contacts_by_name = {
            c.name: c for c in Contact.objects.filter(organisation=organisation, name__in=names, status="ACTIVE")
        }
        tracked = any(line.get("Tracking") for p in payloads for line in lines_of(p))
        self.tracking = TrackingBook.load(organisation) if tracked else TrackingBook()

    def contact_apply(self, document: Document, raw: dict[str, Any], errors: list[str]) -> str:
        """Attach the named contact; return a name to create when the contact is new."""
        contact = raw.get("Contact")
        if not isinstance(contact, dict) or not (contact.get("ContactID") or contact.get("Name")):
            errors.append("A Contact must be specified for this type of transaction")
            return ""
        if contact.get("ContactID"):
            found = self.contacts_by_id.get(text(contact.get("ContactID")).lower())
            if found is None:
                errors.append(f"Contact ID '{text(contact.get('ContactID'))}' is not valid")
                return ""
            document.contact = found
            return ""
        name = text(contact.get("Name"))
        if name in self.contacts_by_name:
            document.contact = self.contacts_by_name[name]
            return ""
        return name

    def contact_create(self, name: str) -> Contact:
        """Return the active contact named `name`, creating it (as Xero does for an unknown Name)."""
        contact = self.contacts_by_name.get(name)
        if contact is None:
            contact, _ = Contact.objects.get_or_create(
                organisation=self.organisation, name=name, status="ACTIVE", defaults={"is_customer": True}
            )
            self.contacts_by_name[name] = contact
        return contact

    def line_build(self, line: Line, raw: dict[str, Any], *, document: Document, errors: list[str]) -> Line:
        """Fill `line` from `raw` with amounts computed; append Xero's messages to `errors`."""
        line.description = text(raw.get("Description"))
        line.item_code = text(raw.get("ItemCode"))
        item = self.items.get(line.item_code) if line.item_code else None
        if line.item_code and item is None:
            errors.append(f"Item code '{line.item_code}' is not valid")
        chosen = self.tracking.resolve(raw.get("Tracking"), errors)
        line.tracking_option_1, line.tracking_option_2 = [*chosen, None, None][:2]
        try:
            line.quantity = parse_decimal(raw.get("Quantity"), field="Quantity", default=Decimal(1)) or Decimal(0)
            unit = parse_decimal(raw.get("UnitAmount"), field="UnitAmount")
            line.discount_rate = parse_decimal(raw.get("DiscountRate"), field="DiscountRate")
            discount_amount = parse_decimal(raw.get("DiscountAmount"), field="DiscountAmount")
            stated = parse_decimal(raw.get("LineAmount"), field="LineAmount")
        except BadValue as exc:
            errors.append(str(exc))
            return line
        if unit is None and stated is not None and line.quantity and not (line.discount_rate or discount_amount):
            # "If you wish to omit either the Quantity or UnitAmount you can provide a LineAmount".
            unit = stated / line.quantity
        if unit is None:
            unit = item.sales_unit_price if item and item.sales_unit_price is not None else Decimal(0)
        line.unit_amount = unit.quantize(Decimal(1).scaleb(-self.unitdp), rounding=ROUND_HALF_UP)
        line.discount_amount = round_cents(discount_amount) if discount_amount is not None else None  # type: ignore[union-attr]
        discount_problem = _discount_error(line, document=document)
        if discount_problem:
            errors.append(discount_problem)
            return line
        line.account_code = text(raw.get("AccountCode")) or (item.sales_account_code if item else "")
        if not line.description and item is not None:
            line.description = item.description or item.name
        if line.account_code:
            problem = self.books.account_error(line.account_code)
            errors.extend([problem] if problem else [])
        elif document.status in {"AUTHORISED", "SUBMITTED"}:
            errors.append("Account code or ID must be specified")
        account = self.books.accounts.get(line.account_code)
        default_tax = (item.sales_tax_type if item else "") or (account.tax_type if account else "") or "NONE"
        line.tax_type = "NONE" if document.line_amount_types == "NoTax" else text(raw.get("TaxType")) or default_tax
        problem = self.books.tax_type_error(line.tax_type, account_code=line.account_code, sales=_sales(document))
        if problem:
            errors.append(problem)
            return line
        self._line_amounts(line, line_amount_types=document.line_amount_types)
        if stated is not None and round_cents(stated) != line.line_amount:
            # Xero-NetStandard#74 and #147 quote this refusal (no tolerance: a cent is refused).
            expected = f"{line.line_amount:.2f}"
            errors.append(f"The line total {round_cents(stated):.2f} does not match the expected line total {expected}")
        return line

    def _line_amounts(self, line: Line, *, line_amount_types: str) -> None:
        """Compute the line amount and its tax, rounded per line to 2 dp as Xero does."""
        gross = line.quantity * line.unit_amount
        if line.discount_rate:
            gross = gross * (Decimal(100) - line.discount_rate) / Decimal(100)
        elif (discount_amount := getattr(line, "discount_amount", None)) is not None:
            gross = gross - discount_amount
        line.line_amount = round_cents(gross)
        rate = self.books.tax_rates[line.tax_type].rate / Decimal(100)
        if line_amount_types == "Exclusive":
            line.tax_amount = round_cents(line.line_amount * rate)
        elif line_amount_types == "Inclusive":
            line.tax_amount = round_cents(line.line_amount - line.line_amount / (1 + rate))
        else:
            line.tax_amount = Decimal("0.00")


def _discount_error(line: Line, *, document: Document) -> str | None:
    """Return Xero's refusal of the line's DiscountRate / DiscountAmount, or None.

    DiscountAmount (2 dp) may not exceed Quantity × UnitAmount, a zero amount included when that
    is negative (Xero-OpenAPI#429, xero-php-oauth2#288 quote the message). DiscountAmount is for
    sales invoices only (the spec's LineItem). A rate beyond 0–100 and both at once: the
    sandbox's wording (the spec says "either").
    """
    amount = getattr(line, "discount_amount", None)
    if amount is not None and line.discount_rate is not None:
        return "A line item may have a DiscountRate or a DiscountAmount, not both."
    if line.discount_rate is not None and not Decimal(0) <= line.discount_rate <= Decimal(100):
        return f"The discount rate '{line.discount_rate:.2f}' is invalid. Discount must be between 0 and 100."
    if amount is None:
        return None
    if document.type != "ACCREC":
        return "DiscountAmount is only supported on sales invoices (ACCREC)."
    if amount > line.quantity * line.unit_amount:
        return f"The discount rate '{amount:.2f}' is invalid. Discount must not be greater than the line total."
    return None


def _sales(document: Document) -> bool:
    return document.type in {"ACCREC", "ACCRECCREDIT", "RECEIVE"}


# xeroizer#23 and #86 quote Xero's refusal of a document whose stated total is not its lines' sum.
TOTAL_MISMATCH = "The document total does not equal the sum of the lines."


def stated_total_errors(document: Document, raw: dict[str, Any]) -> list[str]:
    """Return Xero's refusal when the body states a Total other than the one its lines make."""
    try:
        stated = parse_decimal(raw.get("Total"), field="Total")
    except BadValue as exc:
        return [str(exc)]
    if stated is not None and round_cents(stated) != document.total:
        return [TOTAL_MISMATCH]
    return []


def totals_apply(document: Document, lines: list[Line]) -> None:
    """Set SubTotal, TotalTax and Total from the lines (tax already rounded per line)."""
    tax = sum((line.tax_amount for line in lines), Decimal("0.00"))
    amounts = sum((line.line_amount for line in lines), Decimal("0.00"))
    if document.line_amount_types == "Inclusive":
        document.sub_total, document.total = amounts - tax, amounts
    else:
        document.sub_total, document.total = amounts, amounts + tax
    document.total_tax = tax
