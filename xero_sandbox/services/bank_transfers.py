"""Transfers between two bank accounts: create (PUT /BankTransfers) and delete (POST /BankTransfers,
POST /BankTransfers/{id} with Status DELETED). Each rule's source is in xero_sandbox/README.md
("Bank transactions and bank transfers")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from xero_sandbox.models import BankTransfer, Organisation, TrackingOption
from xero_sandbox.models.banking import AUTHORISED, DELETED
from xero_sandbox.parse import BadValue, parse_date, parse_decimal, text

from .bank_accounts import BankAccounts
from .books import round_cents
from .documents import lock_date_error
from .line_tracking import TrackingBook

# The sandbox's words (marked "wording assumed" in the README).
SAME_ACCOUNT = "The FromBankAccount and ToBankAccount must be different bank accounts."
AMOUNT_MISSING = "The Amount of the bank transfer must be specified."
AMOUNT_NOT_POSITIVE = "The Amount of the bank transfer must be greater than zero."
CURRENCIES_DIFFER = "Transfers between bank accounts of different currencies ({source} to {target}) are not supported."
REFERENCE_TOO_LONG = "Reference must be no more than 255 characters long."
TRACKING_IDS = "Each {side} element must name its TrackingCategoryID and TrackingOptionID."
RECONCILED_FLAG = "{name} must be true or false."
DELETE_ONLY = "A bank transfer cannot be changed, only deleted: send its BankTransferID and Status DELETED."
NOT_FOUND = "Bank Transfer ID '{ident}' could not be found"
ALREADY_DELETED = "This bank transfer has already been deleted."
RECONCILED = "This Bank Transfer cannot be deleted as it has been reconciled with a Bank Statement."


@dataclass
class BankTransferResult:
    """One element of a write: the saved transfer, or the submitted data with its errors."""

    submitted: dict[str, Any]
    transfer: BankTransfer | None = None
    errors: list[str] = field(default_factory=list)
    # The transfer a refused deletion names (its answer shows it, with the errors).
    target: BankTransfer | None = None


def bank_transfers_create(*, organisation: Organisation, payloads: list[Any]) -> list[BankTransferResult]:
    """Create transfers (PUT /BankTransfers); one result per element. Run inside a transaction."""
    clean = [p if isinstance(p, dict) else {} for p in payloads]
    banks = BankAccounts.load(organisation)
    tracked = any(p.get("FromTracking") or p.get("ToTracking") for p in clean)
    tracking = TrackingBook.load(organisation) if tracked else TrackingBook()
    return [_create(organisation, banks, tracking, raw) for raw in clean]


def _create(
    organisation: Organisation, banks: BankAccounts, tracking: TrackingBook, raw: dict[str, Any]
) -> BankTransferResult:
    errors: list[str] = []
    source = banks.resolve(raw.get("FromBankAccount"), label="FromBankAccount", errors=errors)
    target = banks.resolve(raw.get("ToBankAccount"), label="ToBankAccount", errors=errors)
    if source is not None and target is not None:
        if source.pk == target.pk:
            errors.append(SAME_ACCOUNT)
        elif banks.currency(source) != banks.currency(target):
            errors.append(CURRENCIES_DIFFER.format(source=banks.currency(source), target=banks.currency(target)))
    transfer = BankTransfer(organisation=organisation, status=AUTHORISED)
    try:
        amount = parse_decimal(raw.get("Amount"), field="Amount")
        transfer.date = parse_date(raw.get("Date"), field="Date") or timezone.now().date()
    except BadValue as exc:
        return BankTransferResult(raw, errors=[*errors, str(exc)])
    if amount is None:
        errors.append(AMOUNT_MISSING)
    elif round_cents(amount) <= 0:
        errors.append(AMOUNT_NOT_POSITIVE)
    transfer.reference = text(raw.get("Reference"))
    if len(transfer.reference) > 255:
        errors.append(REFERENCE_TOO_LONG)
    for name in ("FromIsReconciled", "ToIsReconciled"):
        flag = _flag(raw.get(name))
        if flag is None and raw.get(name) is not None:
            errors.append(RECONCILED_FLAG.format(name=name))
        setattr(transfer, "from_is_reconciled" if name.startswith("From") else "to_is_reconciled", bool(flag))
    sides = {
        side: _tracking(tracking, raw.get(side), side=side, errors=errors) for side in ("FromTracking", "ToTracking")
    }
    locked = lock_date_error(organisation, date=transfer.date)
    errors.extend([locked] if locked else [])
    if errors or source is None or target is None or amount is None:
        return BankTransferResult(raw, errors=errors)
    transfer.from_account, transfer.to_account, transfer.amount = source, target, round_cents(amount)
    transfer.from_tracking_1, transfer.from_tracking_2 = [*sides["FromTracking"], None, None][:2]
    transfer.to_tracking_1, transfer.to_tracking_2 = [*sides["ToTracking"], None, None][:2]
    transfer.save()
    return BankTransferResult(raw, transfer)


def _flag(value: Any) -> bool | None:
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.lower())
    return value if isinstance(value, bool) else None


def _tracking(book: TrackingBook, value: Any, *, side: str, errors: list[str]) -> list[TrackingOption]:
    """A side's tracking (the spec's TrackingReference: TrackingCategoryID and TrackingOptionID, at most
    two categories per account), checked as a line's Tracking is."""
    if value is None or value == []:
        return []
    if isinstance(value, list) and not all(
        isinstance(e, dict) and e.get("TrackingCategoryID") and e.get("TrackingOptionID") for e in value
    ):
        errors.append(TRACKING_IDS.format(side=side))
        return []
    return book.resolve(value, errors)


def bank_transfers_delete(*, organisation: Organisation, payloads: list[Any]) -> list[BankTransferResult]:
    """Delete transfers (POST /BankTransfers, the spec's BankTransfersDelete); one result per element."""
    results = []
    for raw in (p if isinstance(p, dict) else {} for p in payloads):
        ident = text(raw.get("BankTransferID"))
        if not ident or text(raw.get("Status")) != DELETED:
            results.append(BankTransferResult(raw, errors=[DELETE_ONLY]))
            continue
        transfer = bank_transfer_locked(organisation=organisation, ident=ident)
        if transfer is None:
            results.append(BankTransferResult(raw, errors=[NOT_FOUND.format(ident=ident)]))
            continue
        results.append(bank_transfer_delete(transfer=transfer, raw=raw))
    return results


def bank_transfer_locked(*, organisation: Organisation, ident: str) -> BankTransfer | None:
    """Return the organisation's transfer `ident` locked for a write, or None."""
    try:
        wanted = uuid.UUID(ident)
    except ValueError:
        return None
    transfers = BankTransfer.objects.select_for_update().filter(organisation=organisation, bank_transfer_id=wanted)
    return transfers.first()


def bank_transfer_delete(*, transfer: BankTransfer, raw: dict[str, Any]) -> BankTransferResult:
    """Delete a transfer (only `Status: DELETED`, the spec's BankTransferDeleteByUrlParam): both of its
    bank transactions go with it. Refused when deleted already, reconciled on a side, or locked."""
    if text(raw.get("Status")) != DELETED or set(raw) - {"Status", "BankTransferID"}:
        return BankTransferResult(raw, errors=[DELETE_ONLY], target=transfer)
    if transfer.status == DELETED:
        return BankTransferResult(raw, errors=[ALREADY_DELETED], target=transfer)
    if transfer.from_is_reconciled or transfer.to_is_reconciled:
        return BankTransferResult(raw, errors=[RECONCILED], target=transfer)
    locked = lock_date_error(transfer.organisation, date=transfer.date)
    if locked:
        return BankTransferResult(raw, errors=[locked], target=transfer)
    transfer.status = DELETED
    transfer.save(update_fields=["status", "updated_at"])
    return BankTransferResult(raw, transfer)
