"""Xero's status rules for a sales invoice it already holds, and what an update may send.

DRAFT → SUBMITTED → AUTHORISED, never back (a bookkeeper may approve a draft in Xero: an edit
from the store must not send DRAFT onto it). DRAFT and SUBMITTED are DELETED, AUTHORISED is
VOIDED, and only while nothing is paid or credited; a status change carries only InvoiceID and
Status (xero-node#407). A PAID, VOIDED or DELETED invoice, or one with payments or allocated
credit notes, cannot have its lines changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounting.providers.xero.values import CLOSED, XeroStatus, text

# How far along an invoice is; an update never sends a status below the one Xero holds.
RANK: dict[str, int] = {XeroStatus.DRAFT: 0, XeroStatus.SUBMITTED: 1, XeroStatus.AUTHORISED: 2}


@dataclass(frozen=True)
class HeldInvoice:
    """What Xero holds for an invoice now (status and money already settled against it)."""

    status: str
    amount_paid: Decimal = Decimal("0")
    amount_credited: Decimal = Decimal("0")

    @property
    def settled(self) -> bool:
        return self.amount_paid > 0 or self.amount_credited > 0

    @classmethod
    def of(cls, invoice: Any) -> HeldInvoice:
        """Return the held state of an SDK Invoice as GET Invoices answered it."""
        return cls(
            status=text(invoice.status),
            amount_paid=Decimal(str(invoice.amount_paid or 0)),
            amount_credited=Decimal(str(invoice.amount_credited or 0)),
        )


@dataclass(frozen=True)
class UpdatePlan:
    """What to send for a changed invoice: nothing and why (`refusal`), nothing because Xero
    already has it (`done`), a status change alone, or the whole invoice (`status` "" = keep)."""

    refusal: str = ""
    done: bool = False
    status_only: bool = False
    status: str = ""


def void_status(held: str) -> str:
    """Return how Xero ends an invoice held at `held`: DELETED before approval, VOIDED after
    (a plain string: it goes into SDK models)."""
    return (XeroStatus.DELETED if held in (XeroStatus.DRAFT, XeroStatus.SUBMITTED) else XeroStatus.VOIDED).value


def update_plan(*, wanted: str, held: HeldInvoice) -> UpdatePlan:
    """Return what an update wanting status `wanted` (DRAFT/SUBMITTED/AUTHORISED, or VOIDED or
    DELETED for a store void) may send to an invoice Xero holds as `held`."""
    ending = wanted in CLOSED
    if held.status in CLOSED:
        if ending:
            return UpdatePlan(done=True)
        return UpdatePlan(refusal=f"Xero holds this invoice as {held.status}, so it cannot be changed any more.")
    if held.status == XeroStatus.PAID:
        return UpdatePlan(
            refusal="Xero holds this invoice as PAID, so it cannot be changed or voided: remove its payment "
            "in Xero first, or refund it with a credit note."
        )
    if held.settled:
        action = "voided" if ending else "changed"
        return UpdatePlan(
            refusal=f"This invoice has a payment or credit note allocated in Xero, so it cannot be {action}: "
            "remove the allocation in Xero first."
        )
    if ending:
        return UpdatePlan(status_only=True, status=void_status(held.status))
    keep = RANK.get(wanted, 0) <= RANK.get(held.status, 0)
    return UpdatePlan(status="" if keep else wanted)
