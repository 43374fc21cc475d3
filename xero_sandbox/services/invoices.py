"""Create and update invoices in batches, with Xero's validation and per-line tax rounding."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from xero_sandbox.api.parse import BadValue, parse_date, parse_decimal, text
from xero_sandbox.models import Contact, Invoice, Item, LineItem, Organisation

from .books import Books, round_cents

TYPES = {"ACCREC", "ACCPAY"}
CREATE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}
LINE_AMOUNT_TYPES = {"Exclusive", "Inclusive", "NoTax"}
NOT_UNIQUE = "This invoice number must be unique."


@dataclass
class InvoiceResult:
    """One element of a batch: the saved invoice, or the submitted data with its errors."""

    submitted: dict[str, Any]
    invoice: Invoice | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class _Draft:
    invoice: Invoice
    lines: list[LineItem]
    contact_name: str = ""


class _Batch:
    """State shared by the elements of one request: books, items, contacts (few queries)."""

    def __init__(self, *, organisation: Organisation, payloads: list[dict[str, Any]], unitdp: int) -> None:
        self.organisation = organisation
        self.books = Books.load(organisation)
        self.unitdp = unitdp
        codes = {text(line.get("ItemCode")) for p in payloads for line in _lines(p) if line.get("ItemCode")}
        self.items = {i.code: i for i in Item.objects.filter(organisation=organisation, code__in=codes)}
        contacts: list[dict[str, Any]] = [p["Contact"] for p in payloads if isinstance(p.get("Contact"), dict)]
        ids = {text(c.get("ContactID")) for c in contacts if c.get("ContactID")}
        names = {text(c.get("Name")) for c in contacts if c.get("Name") and not c.get("ContactID")}
        self.contacts_by_id = {
            str(c.contact_id): c for c in Contact.objects.filter(organisation=organisation, contact_id__in=_uuids(ids))
        }
        self.contacts_by_name = {
            c.name: c for c in Contact.objects.filter(organisation=organisation, name__in=names, status="ACTIVE")
        }


def _uuids(values: set[str]) -> list[str]:
    valid = []
    for value in values:
        try:
            valid.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return valid


def _lines(payload: dict[str, Any]) -> list[dict[str, Any]]:
    lines = payload.get("LineItems")
    return [line for line in lines if isinstance(line, dict)] if isinstance(lines, list) else []


def _line_build(batch: _Batch, raw: dict[str, Any], *, invoice: Invoice, position: int, errors: list[str]) -> LineItem:
    """Return an unsaved line with amounts computed; append Xero's messages to `errors`."""
    line = LineItem(position=position, description=text(raw.get("Description")))
    line.item_code = text(raw.get("ItemCode"))
    item = batch.items.get(line.item_code) if line.item_code else None
    if line.item_code and item is None:
        errors.append(f"Item code '{line.item_code}' is not valid")
    try:
        line.quantity = parse_decimal(raw.get("Quantity"), field="Quantity", default=Decimal(1)) or Decimal(0)
        unit = parse_decimal(raw.get("UnitAmount"), field="UnitAmount")
        line.discount_rate = parse_decimal(raw.get("DiscountRate"), field="DiscountRate")
    except BadValue as exc:
        errors.append(str(exc))
        return line
    if unit is None:
        unit = item.sales_unit_price if item and item.sales_unit_price is not None else Decimal(0)
    line.unit_amount = unit.quantize(Decimal(1).scaleb(-batch.unitdp))
    line.account_code = text(raw.get("AccountCode")) or (item.sales_account_code if item else "")
    if not line.description and item is not None:
        line.description = item.description or item.name
    if line.account_code:
        problem = batch.books.account_error(line.account_code)
        if problem:
            errors.append(problem)
    elif invoice.status in {"AUTHORISED", "SUBMITTED"}:
        errors.append("Account code or ID must be specified")
    account = batch.books.accounts.get(line.account_code)
    default_tax = (item.sales_tax_type if item else "") or (account.tax_type if account else "") or "NONE"
    line.tax_type = "NONE" if invoice.line_amount_types == "NoTax" else text(raw.get("TaxType")) or default_tax
    problem = batch.books.tax_type_error(line.tax_type, sales=invoice.type == "ACCREC")
    if problem:
        errors.append(problem)
        return line
    _line_amounts(batch, line, line_amount_types=invoice.line_amount_types)
    return line


def _line_amounts(batch: _Batch, line: LineItem, *, line_amount_types: str) -> None:
    """Compute the line amount and its tax, rounded per line to 2 dp as Xero does."""
    gross = line.quantity * line.unit_amount
    if line.discount_rate:
        gross = gross * (Decimal(100) - line.discount_rate) / Decimal(100)
    line.line_amount = round_cents(gross)
    rate = batch.books.tax_rates[line.tax_type].rate / Decimal(100)
    if line_amount_types == "Exclusive":
        line.tax_amount = round_cents(line.line_amount * rate)
    elif line_amount_types == "Inclusive":
        line.tax_amount = round_cents(line.line_amount - line.line_amount / (1 + rate))
    else:
        line.tax_amount = Decimal("0.00")


def _totals(invoice: Invoice, lines: list[LineItem]) -> None:
    tax = sum((line.tax_amount for line in lines), Decimal("0.00"))
    amounts = sum((line.line_amount for line in lines), Decimal("0.00"))
    if invoice.line_amount_types == "Inclusive":
        invoice.sub_total, invoice.total = amounts - tax, amounts
    else:
        invoice.sub_total, invoice.total = amounts, amounts + tax
    invoice.total_tax = tax


def _header_apply(batch: _Batch, invoice: Invoice, raw: dict[str, Any], errors: list[str], *, creating: bool) -> None:
    """Copy the header fields of `raw` onto `invoice`, collecting Xero's messages."""
    if creating or raw.get("Type"):
        invoice.type = text(raw.get("Type"))
        if not invoice.type:
            errors.append("Invoice Type must be specified")
        elif invoice.type not in TYPES:
            errors.append(f"Invoice Type '{invoice.type}' is not valid")
    if "Status" in raw or creating:
        status = text(raw.get("Status")) or "DRAFT"
        allowed = CREATE_STATUSES if creating else CREATE_STATUSES | {"DELETED", "VOIDED"}
        if status not in allowed:
            errors.append("Invoice not of valid status for creation" if creating else "Invoice status is not valid")
        invoice.status = status
    if "LineAmountTypes" in raw or creating:
        invoice.line_amount_types = text(raw.get("LineAmountTypes")) or "Exclusive"
        if invoice.line_amount_types not in LINE_AMOUNT_TYPES:
            errors.append(f"LineAmountTypes '{invoice.line_amount_types}' is not valid")
    for key, attribute in (("InvoiceNumber", "invoice_number"), ("Reference", "reference"), ("Url", "url")):
        if key in raw:
            setattr(invoice, attribute, text(raw.get(key)))
    if len(invoice.invoice_number) > 255:
        errors.append("Invoice Number must be no more than 255 characters long.")
    if "CurrencyCode" in raw or creating:
        invoice.currency_code = text(raw.get("CurrencyCode")) or batch.organisation.base_currency
        if invoice.currency_code not in batch.books.currencies:
            errors.append(f"Organisation is not subscribed to currency {invoice.currency_code}")
    try:
        if "Date" in raw or creating:
            invoice.date = parse_date(raw.get("Date"), field="Date") or timezone.now().date()
        if "DueDate" in raw:
            invoice.due_date = parse_date(raw.get("DueDate"), field="DueDate")
    except BadValue as exc:
        errors.append(str(exc))


def _contact_apply(batch: _Batch, invoice: Invoice, raw: dict[str, Any], errors: list[str]) -> str:
    """Attach the named contact; return a name to create when the contact is new."""
    contact = raw.get("Contact")
    if not isinstance(contact, dict) or not (contact.get("ContactID") or contact.get("Name")):
        errors.append("A Contact must be specified for this type of transaction")
        return ""
    if contact.get("ContactID"):
        found = batch.contacts_by_id.get(text(contact.get("ContactID")).lower())
        if found is None:
            errors.append(f"Contact ID '{text(contact.get('ContactID'))}' is not valid")
            return ""
        invoice.contact = found
        return ""
    name = text(contact.get("Name"))
    if name in batch.contacts_by_name:
        invoice.contact = batch.contacts_by_name[name]
        return ""
    return name


def _draft_build(batch: _Batch, raw: dict[str, Any], invoice: Invoice, *, creating: bool) -> tuple[_Draft, list[str]]:
    errors: list[str] = []
    _header_apply(batch, invoice, raw, errors, creating=creating)
    new_contact = _contact_apply(batch, invoice, raw, errors) if creating or "Contact" in raw else ""
    lines: list[LineItem] = []
    if creating or "LineItems" in raw:
        raw_lines = _lines(raw)
        if not raw_lines and (creating or invoice.status != "DRAFT"):
            errors.append("One or more line items must be specified")
        lines = [_line_build(batch, r, invoice=invoice, position=i, errors=errors) for i, r in enumerate(raw_lines)]
        if not errors:
            _totals(invoice, lines)
    return _Draft(invoice=invoice, lines=lines, contact_name=new_contact), errors


def _contacts_create(batch: _Batch, drafts: list[_Draft]) -> None:
    for draft in drafts:
        if not draft.contact_name:
            continue
        contact = batch.contacts_by_name.get(draft.contact_name)
        if contact is None:
            contact, _ = Contact.objects.get_or_create(
                organisation=batch.organisation,
                name=draft.contact_name,
                status="ACTIVE",
                defaults={"is_customer": True},
            )
            batch.contacts_by_name[draft.contact_name] = contact
        draft.invoice.contact = contact


def _insert(drafts: list[_Draft], results: dict[int, InvoiceResult]) -> None:
    """Insert new invoices in bulk; on a uniqueness race fall back to one savepoint per invoice."""
    if not drafts:
        return
    try:
        with transaction.atomic():
            Invoice.objects.bulk_create([d.invoice for d in drafts])
            _lines_insert(drafts)
        return
    except IntegrityError:
        pass
    for draft in drafts:
        draft.invoice.pk = None
        try:
            with transaction.atomic():
                draft.invoice.save(force_insert=True)
                _lines_insert([draft])
        except IntegrityError:
            result = next(r for r in results.values() if r.invoice is draft.invoice)
            result.invoice, result.errors = None, [NOT_UNIQUE]


def _lines_insert(drafts: list[_Draft]) -> None:
    for draft in drafts:
        for line in draft.lines:
            line.invoice = draft.invoice
    LineItem.objects.bulk_create([line for d in drafts for line in d.lines])


def _existing_for_update(organisation: Organisation, payloads: list[dict[str, Any]]) -> dict[str, Invoice]:
    """Return the invoices a POST names, keyed by InvoiceID and by ACCREC InvoiceNumber (one query)."""
    ids = _uuids({text(p.get("InvoiceID")) for p in payloads if p.get("InvoiceID")})
    numbers = {text(p.get("InvoiceNumber")) for p in payloads if p.get("InvoiceNumber") and not p.get("InvoiceID")}
    found = Invoice.objects.select_for_update().filter(organisation=organisation)
    found = found.filter(invoice_id__in=ids) | found.filter(invoice_number__in=numbers, type="ACCREC")
    keyed: dict[str, Invoice] = {}
    for invoice in found.select_related("contact"):
        keyed[str(invoice.invoice_id)] = invoice
        if invoice.type == "ACCREC" and invoice.invoice_number:
            keyed[f"#{invoice.invoice_number}"] = invoice
    return keyed


def invoices_save(
    *, organisation: Organisation, payloads: list[Any], update: bool, unitdp: int = 2
) -> list[InvoiceResult]:
    """Create (PUT) or update-or-create (POST) a batch of invoices; return one result per element.

    Valid elements are written even when others fail, as Xero does. Run inside a transaction.
    """
    clean = [p if isinstance(p, dict) else {} for p in payloads]
    batch = _Batch(organisation=organisation, payloads=clean, unitdp=unitdp)
    existing = _existing_for_update(organisation, clean) if update else {}
    taken = set(
        Invoice.objects.filter(
            organisation=organisation, type="ACCREC", invoice_number__in={text(p.get("InvoiceNumber")) for p in clean}
        ).values_list("invoice_number", flat=True)
    )
    results: dict[int, InvoiceResult] = {}
    new: list[_Draft] = []
    changed: list[_Draft] = []
    for index, raw in enumerate(clean):
        target = _target(existing, raw) if update else None
        if update and raw.get("InvoiceID") and target is None:
            results[index] = InvoiceResult(
                raw, errors=[f"Invoice ID '{text(raw.get('InvoiceID'))}' could not be found"]
            )
            continue
        creating = target is None
        # Work on a copy: a failing element must leave the invoice as later elements will find it.
        invoice = _copy(target) if target is not None else Invoice(organisation=organisation)
        if not creating and invoice.status in {"PAID", "VOIDED", "DELETED"}:
            results[index] = InvoiceResult(
                raw, errors=[f"Invoice not of valid status for modification: {invoice.status}"]
            )
            continue
        before = invoice.status
        draft, errors = _draft_build(batch, raw, invoice, creating=creating)
        if not creating:
            problem = _transition_error(before, invoice.status, paid=invoice.amount_paid > 0)
            errors.extend([problem] if problem else [])
        if creating and invoice.type == "ACCREC" and invoice.invoice_number:
            if invoice.invoice_number in taken:
                errors.append(NOT_UNIQUE)
            taken.add(invoice.invoice_number)
        results[index] = InvoiceResult(raw, invoice=None if errors else invoice, errors=errors)
        if not errors:
            (new if creating else changed).append(draft)
            if not creating:
                existing.update({key: invoice for key, value in existing.items() if value is target})
    _contacts_create(batch, new + changed)
    unnumbered = [d.invoice for d in new if d.invoice.type == "ACCREC" and not d.invoice.invoice_number]
    _numbers_assign(organisation, unnumbered, taken=taken)
    _insert(new, results)
    _update(changed)
    return [results[i] for i in range(len(clean))]


def _numbers_assign(organisation: Organisation, invoices: list[Invoice], *, taken: set[str]) -> None:
    """Number sales invoices sent without one, as Xero does (INV-0001, …), skipping numbers in use."""
    if not invoices:
        return
    # The row lock serialises numbering per organisation across concurrent requests.
    locked = Organisation.objects.select_for_update().only("next_invoice_number").get(pk=organisation.pk)
    counter = locked.next_invoice_number
    candidates = [f"INV-{n:04d}" for n in range(counter, counter + len(invoices) * 2 + 10)]
    used = taken | set(
        Invoice.objects.filter(organisation=organisation, type="ACCREC", invoice_number__in=candidates).values_list(
            "invoice_number", flat=True
        )
    )
    for invoice in invoices:
        while f"INV-{counter:04d}" in used:
            counter += 1
        invoice.invoice_number = f"INV-{counter:04d}"
        counter += 1
    Organisation.objects.filter(pk=organisation.pk).update(next_invoice_number=counter)


def _transition_error(current: str, wanted: str, *, paid: bool) -> str | None:
    """Return why an existing invoice cannot move from `current` to `wanted` status, or None."""
    if wanted == current:
        return None
    if wanted == "DELETED" and current not in {"DRAFT", "SUBMITTED"}:
        return "Only DRAFT or SUBMITTED invoices can be deleted; void an AUTHORISED invoice instead."
    if wanted == "VOIDED" and (current != "AUTHORISED" or paid):
        return "Only AUTHORISED invoices without payments can be voided."
    if current == "AUTHORISED" and wanted in {"DRAFT", "SUBMITTED"}:
        return f"Invoice status cannot be changed from {current} to {wanted}."
    return None


def _copy(invoice: Invoice) -> Invoice:
    duplicate = copy.copy(invoice)
    duplicate._state = copy.copy(invoice._state)
    return duplicate


def _target(existing: dict[str, Invoice], raw: dict[str, Any]) -> Invoice | None:
    if raw.get("InvoiceID"):
        return existing.get(text(raw.get("InvoiceID")).lower())
    if raw.get("InvoiceNumber") and text(raw.get("Type")) in {"", "ACCREC"}:
        return existing.get(f"#{text(raw.get('InvoiceNumber'))}")
    return None


def _update(drafts: list[_Draft]) -> None:
    for draft in drafts:
        draft.invoice.save()
        if draft.lines:
            draft.invoice.line_items.all().delete()
            _lines_insert([draft])
