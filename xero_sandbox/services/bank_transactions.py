"""Spend and receive money: create (PUT /BankTransactions), update or create (POST), delete (POST with
Status DELETED), with the rules Xero applies. Each rule's source is in xero_sandbox/README.md
("Bank transactions and bank transfers"); lines, tax and totals are the invoices' (services/documents.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from xero_sandbox.models import BankTransaction, BankTransactionLine, Contact, Organisation
from xero_sandbox.models.banking import AUTHORISED, DELETED
from xero_sandbox.parse import BadValue, parse_date, parse_decimal, text

from .bank_accounts import BankAccounts
from .books import round_cents
from .documents import (
    LINE_AMOUNT_TYPES,
    DocumentBatch,
    Line,
    currency_rate_apply,
    lines_of,
    lock_date_error,
    totals_apply,
)

# The spec's BankTransaction Type enum; the sandbox models SPEND and RECEIVE money only.
TYPES = frozenset(
    {"RECEIVE", "RECEIVE-OVERPAYMENT", "RECEIVE-PREPAYMENT", "SPEND", "SPEND-OVERPAYMENT", "SPEND-PREPAYMENT",
     "RECEIVE-TRANSFER", "SPEND-TRANSFER"}
)  # fmt: skip
SUPPORTED = frozenset({"RECEIVE", "SPEND"})
OPPOSITE = {"RECEIVE": "SPEND", "SPEND": "RECEIVE"}
# Xero's words: civixero's CRM_Civixero_BankTransaction (a reconciled transaction refuses changes);
# the spec's example answer of PUT /BankTransactions (a contact naming nothing); xero-mcp-server #190
# and #206 (stated totals); xero-node#768 (a line's TaxAmount is checked on bank transactions).
RECONCILED = "This Bank Transaction cannot be edited as it has been reconciled with a Bank Statement."
CONTACT_UNNAMED = (
    "The Contact must contain at least 1 of the following elements to identify the contact: Name, ContactID, "
    "ContactNumber"
)
SUB_TOTAL_MISMATCH = "The document sub total does not equal the sub total of the lines"
TOTAL_MISMATCH = "The document total does not equal the total of the lines"
TAX_MISMATCH = "Tax amount {sent:.2f} is incorrect for {tax_type} tax type, should be {computed:.2f}"
# The sandbox's words (marked "wording assumed" in the README).
NEGATIVE = "The bank transaction total cannot be negative: money going the other way is a {other} transaction."
NOT_FOUND = "Bank Transaction ID '{ident}' could not be found"
NOT_MODIFIABLE = "Bank Transaction not of valid status for modification"
STATUS_ON_CREATE = "A new bank transaction is AUTHORISED: send Status AUTHORISED or none."
STATUS_ON_UPDATE = "Bank Transaction Status must be AUTHORISED, or DELETED to delete it."
TYPE_MISSING = "Bank Transaction Type must be specified"
TYPE_UNKNOWN = "Bank Transaction Type '{value}' is not valid"
TYPE_TRANSFER = "A bank transaction of Type '{value}' cannot be created: transfers are made with PUT /BankTransfers."
TYPE_NOT_MODELLED = (
    "Bank transactions of Type '{value}' (overpayments and prepayments) are not modelled by the sandbox: "
    "use SPEND or RECEIVE."
)
CURRENCY_MISMATCH = "The CurrencyCode {sent} does not match the currency of bank account '{code}' ({currency})."
DISCOUNT = "Discounts are only supported on sales invoices (ACCREC), not on bank transactions."
TOO_LONG = "{name} must be no more than {limit} characters long."
RECONCILED_FLAG = "IsReconciled must be true or false."


@dataclass
class BankTransactionResult:
    """One element of a write: the saved transaction, or the submitted data with its errors."""

    submitted: dict[str, Any]
    transaction: BankTransaction | None = None
    errors: list[str] = field(default_factory=list)
    creating: bool = True


def bank_transactions_save(
    *, organisation: Organisation, payloads: list[Any], update: bool, unitdp: int = 2
) -> list[BankTransactionResult]:
    """Create (PUT) or update-or-create (POST) a batch; one result per element. Valid elements are
    written even when others fail, as Xero does. Run inside a transaction."""
    clean = [p if isinstance(p, dict) else {} for p in payloads]
    batch = DocumentBatch(organisation=organisation, payloads=clean, unitdp=unitdp)
    banks = BankAccounts.load(organisation)
    results = []
    for raw in clean:
        ident = text(raw.get("BankTransactionID"))
        if update and ident:
            results.append(_update(batch, banks, ident, raw))
        else:
            results.append(_create(batch, banks, raw))
    return results


def bank_transaction_delete(*, transaction: BankTransaction, raw: dict[str, Any]) -> BankTransactionResult:
    """Delete a bank transaction (Status DELETED), unless deleted, reconciled or in a locked period.
    Other fields sent with it (the SDK's BankTransaction always carries Type, LineItems and
    BankAccount) are not applied. The caller locks the row."""
    if transaction.status == DELETED:
        return BankTransactionResult(raw, errors=[NOT_MODIFIABLE], creating=False)
    if transaction.is_reconciled:
        return BankTransactionResult(raw, errors=[RECONCILED], creating=False)
    locked = lock_date_error(transaction.organisation, date=transaction.date)
    if locked:
        return BankTransactionResult(raw, errors=[locked], creating=False)
    transaction.status = DELETED
    transaction.save(update_fields=["status", "updated_at"])
    return BankTransactionResult(raw, transaction, creating=False)


def _create(batch: DocumentBatch, banks: BankAccounts, raw: dict[str, Any]) -> BankTransactionResult:
    document = BankTransaction(organisation=batch.organisation, status=AUTHORISED)
    errors: list[str] = []
    _type_apply(document, raw, errors, creating=True)
    if text(raw.get("Status")) not in {"", AUTHORISED}:
        errors.append(STATUS_ON_CREATE)
    new_contact = _contact_apply(batch, document, raw, errors)
    _header_apply(batch, banks, document, raw, errors, creating=True)
    lines = _lines_build(batch, document, raw, errors)
    if not errors:
        errors.extend(_checks(document, raw))
    locked = lock_date_error(batch.organisation, date=document.date) if not errors else None
    errors.extend([locked] if locked else [])
    if errors:
        return BankTransactionResult(raw, errors=errors)
    if new_contact:
        document.contact = batch.contact_create(new_contact)
    document.save()
    _lines_replace(document, lines, existing=False)
    return BankTransactionResult(raw, document)


def _update(batch: DocumentBatch, banks: BankAccounts, ident: str, raw: dict[str, Any]) -> BankTransactionResult:
    document = _locked(batch.organisation, ident)
    if document is None:
        return BankTransactionResult(raw, errors=[NOT_FOUND.format(ident=ident)], creating=False)
    status = text(raw.get("Status")) or document.status
    if status == DELETED:
        return bank_transaction_delete(transaction=document, raw=raw)
    if document.status != AUTHORISED:
        return BankTransactionResult(raw, errors=[NOT_MODIFIABLE], creating=False)
    if document.is_reconciled:
        return BankTransactionResult(raw, errors=[RECONCILED], creating=False)
    errors: list[str] = [] if status == AUTHORISED else [STATUS_ON_UPDATE]
    before = document.date
    if text(raw.get("Type")):
        _type_apply(document, raw, errors, creating=False)
    new_contact = _contact_apply(batch, document, raw, errors) if "Contact" in raw else ""
    _header_apply(batch, banks, document, raw, errors, creating=False)
    lines = _lines_build(batch, document, raw, errors) if "LineItems" in raw else None
    if not errors:
        errors.extend(_checks(document, raw))
    if not errors:
        locked = {lock_date_error(batch.organisation, date=day) for day in (before, document.date)}
        errors.extend(sorted(message for message in locked if message))
    if errors:
        return BankTransactionResult(raw, errors=errors, creating=False)
    if new_contact:
        document.contact = batch.contact_create(new_contact)
    document.save()
    if lines is not None:
        _lines_replace(document, lines, existing=True)
    return BankTransactionResult(raw, document, creating=False)


def _locked(organisation: Organisation, ident: str) -> BankTransaction | None:
    try:
        wanted = uuid.UUID(ident)
    except ValueError:
        return None
    found = BankTransaction.objects.select_for_update().filter(organisation=organisation, bank_transaction_id=wanted)
    return found.select_related("organisation").first()


def _type_apply(document: BankTransaction, raw: dict[str, Any], errors: list[str], *, creating: bool) -> None:
    value = text(raw.get("Type"))
    if not value:
        errors.extend([TYPE_MISSING] if creating else [])
    elif value not in TYPES:
        errors.append(TYPE_UNKNOWN.format(value=value))
    elif value.endswith("-TRANSFER"):
        errors.append(TYPE_TRANSFER.format(value=value))
    elif value not in SUPPORTED:
        errors.append(TYPE_NOT_MODELLED.format(value=value))
    document.type = value


def _contact_apply(batch: DocumentBatch, document: BankTransaction, raw: dict[str, Any], errors: list[str]) -> str:
    """Attach the contact named by ContactID, Name or ContactNumber; return a new Name to create."""
    contact = raw.get("Contact")
    if (
        isinstance(contact, dict)
        and contact
        and not any(contact.get(k) for k in ("ContactID", "Name", "ContactNumber"))
    ):
        errors.append(CONTACT_UNNAMED)
        return ""
    if (
        isinstance(contact, dict)
        and contact.get("ContactNumber")
        and not (contact.get("ContactID") or contact.get("Name"))
    ):
        number = text(contact.get("ContactNumber"))
        found = Contact.objects.filter(organisation=batch.organisation, contact_number=number).first()
        if found is None:
            errors.append(f"Contact Number '{number}' is not valid")
        else:
            document.contact = found
        return ""
    return batch.contact_apply(document, raw, errors)


def _header_apply(
    batch: DocumentBatch,
    banks: BankAccounts,
    document: BankTransaction,
    raw: dict[str, Any],
    errors: list[str],
    *,
    creating: bool,
) -> None:
    """Bank account and its currency, rate, date, reference, url, reconciled flag, line amount types."""
    if creating or "BankAccount" in raw:
        account = banks.resolve(raw.get("BankAccount"), label="BankAccount", errors=errors)
        if account is not None:
            document.bank_account = account
    if document.bank_account_id is not None:
        currency = banks.currency(document.bank_account)
        sent = text(raw.get("CurrencyCode"))
        if sent and sent != currency:
            errors.append(CURRENCY_MISMATCH.format(sent=sent, code=document.bank_account.code, currency=currency))
        if currency != document.currency_code:
            document.currency_code, document.currency_rate = currency, Decimal(1)
        if "CurrencyRate" in raw:
            currency_rate_apply(batch, document, raw, errors)
    try:
        if creating or "Date" in raw:
            document.date = parse_date(raw.get("Date"), field="Date") or timezone.now().date()
    except BadValue as exc:
        errors.append(str(exc))
    for key, attribute, limit in (("Reference", "reference", 255), ("Url", "url", 500)):
        if key in raw:
            value = text(raw.get(key))
            errors.extend([TOO_LONG.format(name=key, limit=limit)] if len(value) > limit else [])
            setattr(document, attribute, value[:limit])
    if "IsReconciled" in raw:
        flag = raw.get("IsReconciled")
        flag = {"true": True, "false": False}.get(flag.lower(), flag) if isinstance(flag, str) else flag
        if isinstance(flag, bool):
            document.is_reconciled = flag
        elif flag is not None:
            errors.append(RECONCILED_FLAG)
    if creating or "LineAmountTypes" in raw:
        document.line_amount_types = text(raw.get("LineAmountTypes")) or "Exclusive"
        if document.line_amount_types not in LINE_AMOUNT_TYPES:
            errors.append(f"LineAmountTypes '{document.line_amount_types}' is not valid")


def _lines_build(batch: DocumentBatch, document: BankTransaction, raw: dict[str, Any], errors: list[str]) -> list[Line]:
    raw_lines = lines_of(raw)
    if not raw_lines:
        errors.append("One or more line items must be specified")
        return []
    discounts = {"DiscountRate", "DiscountAmount"}
    if any(line.get(key) not in (None, "") for line in raw_lines for key in discounts):
        errors.append(DISCOUNT)
        raw_lines = [{k: v for k, v in line.items() if k not in discounts} for line in raw_lines]
    lines: list[Line] = [
        batch.line_build(BankTransactionLine(position=i), r, document=document, errors=errors)
        for i, r in enumerate(raw_lines)
    ]
    if errors:
        return lines
    totals_apply(document, lines)
    for line, line_raw in zip(lines, raw_lines, strict=True):
        try:
            sent = parse_decimal(line_raw.get("TaxAmount"), field="TaxAmount")
        except BadValue as exc:
            errors.append(str(exc))
            continue
        if sent is not None and round_cents(sent) != line.tax_amount:
            errors.append(TAX_MISMATCH.format(sent=round_cents(sent), tax_type=line.tax_type, computed=line.tax_amount))
    return lines


def _checks(document: BankTransaction, raw: dict[str, Any]) -> list[str]:
    """Stated totals must be the lines' (xero-mcp-server #190/#206); the total may not be negative."""
    errors = []
    for key, computed, message in (
        ("SubTotal", document.sub_total, SUB_TOTAL_MISMATCH),
        ("Total", document.total, TOTAL_MISMATCH),
    ):
        try:
            stated = parse_decimal(raw.get(key), field=key)
        except BadValue as exc:
            errors.append(str(exc))
            continue
        if stated is not None and round_cents(stated) != computed:
            errors.append(message)
    if document.total < 0:
        errors.append(NEGATIVE.format(other=OPPOSITE.get(document.type, "SPEND")))
    return errors


def _lines_replace(document: BankTransaction, lines: list[Line], *, existing: bool) -> None:
    if existing:
        document.line_items.all().delete()
    made = [line for line in lines if isinstance(line, BankTransactionLine)]
    for line in made:
        line.bank_transaction = document
    BankTransactionLine.objects.bulk_create(made)
