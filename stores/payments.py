"""Payments and refunds of an invoice: the rules (never more than is due, never more back than was
paid), and their writes, each in one transaction with the invoice's row locked."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from stores.models import Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentSource, Refund, RefundLine
from stores.money import ZERO, to_cents
from stores.services import invoice_locked, invoice_status_settle


def amount_due_limit_message(*, due: Decimal, currency: str) -> str:
    return f"The amount due is {due} {currency}: pay at most that."


def paid_not_refunded_limit_message(*, money_left: Decimal, currency: str) -> str:
    return f"Only {money_left} {currency} was paid and not refunded: give back at most that."


def kept_over_due_message(*, kept: Decimal, due: Decimal, currency: str, at_least: Decimal) -> str:
    return (
        f"The part not returned ({kept} {currency}) can be at most the amount due "
        f"({due} {currency}): return at least {at_least}."
    )


def _open_for_money(invoice: Invoice, *, what: str) -> None:
    if invoice.status == InvoiceStatus.DRAFT:
        raise ValidationError({NON_FIELD_ERRORS: f"A draft invoice cannot take {what}: issue it first."})
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationError({NON_FIELD_ERRORS: f"A void invoice cannot take {what}."})


def _positive(amount: Any, *, field: str = "amount") -> Decimal:
    if amount is None or amount == "":
        raise ValidationError({field: "Give an amount."})
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        raise ValidationError({field: "Give an amount, e.g. 12.50."}) from None
    if not value.is_finite() or value <= ZERO:
        raise ValidationError({field: "The amount must be more than zero."})
    if value != to_cents(value):
        raise ValidationError({field: "Give the amount in cents at most (2 decimal places)."})
    return value


def payment_check(*, invoice: Invoice, amount: Any) -> Decimal:
    """Return `amount` as a payment `invoice` can take, or raise ValidationError: the invoice is
    issued (not a draft, not void), the amount more than zero, in cents, at most the amount due."""
    _open_for_money(invoice, what="payments")
    value = _positive(amount)
    if value > invoice.amount_due:
        raise ValidationError({"amount": amount_due_limit_message(due=invoice.amount_due, currency=invoice.currency)})
    return value


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    date: datetime.date,
    method: str,
    reference: str = "",
    source: str = PaymentSource.STORE,
    xero_payment_id: str = "",
) -> Payment:
    """Record a payment of `invoice`; the invoice becomes paid when its payments cover it.

    Refused when the invoice is a draft or void, or the amount is not more than zero or is more
    than the amount due. A payment with a `xero_payment_id` already recorded on the invoice is
    not recorded again: that payment is returned."""
    invoice = invoice_locked(invoice)
    if xero_payment_id:
        known = invoice.payments.filter(xero_payment_id=xero_payment_id).first()
        if known is not None:
            return known
    value = payment_check(invoice=invoice, amount=amount)
    payment = Payment(
        invoice=invoice,
        amount=value,
        date=date,
        method=(method or "").strip(),
        reference=reference,
        source=source,
        xero_payment_id=xero_payment_id,
    )
    payment.full_clean()
    payment.save()
    invoice.amount_paid += value
    invoice.save(update_fields=["amount_paid", *invoice_status_settle(invoice), "updated_at"])
    return payment


@transaction.atomic
def refund_record(
    *,
    invoice: Invoice,
    date: datetime.date,
    amount: Decimal | None = None,
    lines: Iterable[Mapping[str, Any]] | None = None,
    reason: str = "",
    method: str = "",
    reference: str = "",
    amount_returned: Decimal | None = None,
) -> Refund:
    """Record a refund of `invoice`, by amount or by lines (`{"invoice_line": line or id,
    "quantity": ..., "amount": optional}`; a line's amount defaults to its share of the line's
    tax-inclusive amount). The refund credits its amount; `amount_returned` of it went back to the
    customer as money by `method` (default: all of it when a method is set, none otherwise), and
    the rest lowers what the customer owes.

    Refused when the invoice is a draft or void; when the refunds would credit more than the
    invoice total; when the money returned is below zero, more than the refund, without a method,
    or more than was paid and not returned yet; when the part credited and not returned is more
    than the amount due; and, by line, more than a line's quantity or amount not refunded yet."""
    invoice = invoice_locked(invoice)
    method = (method or "").strip()
    value, refund_lines, returned = refund_check(
        invoice=invoice, amount=amount, lines=lines, method=method, amount_returned=amount_returned
    )
    refund = Refund(
        invoice=invoice,
        amount=value,
        amount_returned=returned,
        date=date,
        reason=reason,
        method=method,
        reference=reference,
    )
    refund.full_clean()
    refund.save()
    for line in refund_lines:
        line.refund = refund
        line.save()
    invoice.amount_credited += value
    invoice.amount_refunded += returned
    invoice.save(update_fields=["amount_credited", "amount_refunded", *invoice_status_settle(invoice), "updated_at"])
    return refund


def refund_check(
    *,
    invoice: Invoice,
    amount: Any = None,
    lines: Iterable[Mapping[str, Any]] | None = None,
    method: str = "",
    amount_returned: Any = None,
) -> tuple[Decimal, list[RefundLine], Decimal]:
    """Return the amount, (unsaved) lines and money returned of a refund `invoice` can take, or
    raise ValidationError; see `refund_record` for the rules."""
    _open_for_money(invoice, what="refunds")
    if lines is not None and amount is not None:
        raise ValidationError({"amount": "Give an amount or lines, not both."})
    if lines is None:
        value = _positive(amount)
        refund_lines: list[RefundLine] = []
    else:
        refund_lines = _refund_lines(invoice=invoice, lines=lines)
        value = sum((line.amount for line in refund_lines), ZERO)
    credit_left = invoice.total - invoice.amount_credited
    if value > credit_left:
        raise ValidationError({"amount": f"Only {credit_left} {invoice.currency} of this invoice is left to refund."})
    method = (method or "").strip()
    given = amount_returned is not None and amount_returned != ""
    returned = _returned(amount_returned, refund=value) if given else (value if method else ZERO)
    if returned > ZERO and not method:
        raise ValidationError({"method": "Say how the money went back (e.g. card), or return nothing."})
    # Errors go under the field the user gave: the money returned, else the amount.
    field = "amount_returned" if given else "amount"
    money_left = invoice.amount_paid - invoice.amount_refunded
    if returned > money_left:
        raise ValidationError(
            {field: paid_not_refunded_limit_message(money_left=money_left, currency=invoice.currency)}
        )
    kept = value - returned
    if kept > invoice.amount_due:
        if not given:
            raise ValidationError(
                {
                    "method": f"A credit without money back can be at most the amount due ({invoice.amount_due} "
                    f"{invoice.currency}): say how the money went back."
                }
            )
        message = kept_over_due_message(
            kept=kept, due=invoice.amount_due, currency=invoice.currency, at_least=value - invoice.amount_due
        )
        raise ValidationError({field: message})
    return value, refund_lines, returned


def _returned(amount: Any, *, refund: Decimal) -> Decimal:
    """Return the money returned of a refund of `refund` (0 up to all of it, in cents), or raise
    ValidationError under "amount_returned"."""
    field = "amount_returned"
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        raise ValidationError({field: "Give an amount, e.g. 12.50."}) from None
    if not value.is_finite() or value < ZERO:
        raise ValidationError({field: "The money returned can not be below zero."})
    if value != to_cents(value):
        raise ValidationError({field: "Give the amount in cents at most (2 decimal places)."})
    if value > refund:
        raise ValidationError({field: f"At most the refund's amount ({refund}) can go back."})
    return value


def _refund_lines(*, invoice: Invoice, lines: Iterable[Mapping[str, Any]]) -> list[RefundLine]:
    """Return the (unsaved) refund lines asked for, or raise ValidationError under "lines"."""
    invoice_lines = {line.pk: line for line in invoice.lines.all()}
    refunded: dict[int, tuple[Decimal, Decimal]] = {}
    for done in RefundLine.objects.filter(invoice_line__invoice=invoice).values("invoice_line", "quantity", "amount"):
        quantity, amount = refunded.get(done["invoice_line"], (ZERO, ZERO))
        refunded[done["invoice_line"]] = (quantity + done["quantity"], amount + done["amount"])
    errors: list[str] = []
    built: list[RefundLine] = []
    seen: set[int] = set()
    for index, data in enumerate(lines):
        where = f"Line {index + 1}: "
        ref = data.get("invoice_line")
        line_id = ref.pk if isinstance(ref, InvoiceLine) else ref
        line = invoice_lines.get(line_id)  # type: ignore[arg-type]
        if line is None:
            errors.append(f"{where}this invoice has no line {line_id}.")
            continue
        if line.pk in seen:
            errors.append(f"{where}line {line_id} is given twice.")
            continue
        seen.add(line.pk)
        done_quantity, done_amount = refunded.get(line.pk, (ZERO, ZERO))
        quantity_left, amount_left = line.quantity - done_quantity, line.gross_amount - done_amount
        if amount_left <= ZERO:
            errors.append(f"{where}nothing is left to refund on “{line.description}”.")
            continue
        asked = data.get("quantity")
        try:
            quantity = Decimal(str(asked if asked is not None else quantity_left))
        except ArithmeticError:
            errors.append(f"{where}give a quantity.")
            continue
        if not quantity.is_finite() or quantity <= 0:
            errors.append(f"{where}the quantity must be more than zero.")
            continue
        if quantity > quantity_left:
            errors.append(f"{where}only {quantity_left.normalize()} of “{line.description}” is left to refund.")
            continue
        if data.get("amount") is not None:
            try:
                amount = _positive(data["amount"])
            except ValidationError as error:
                errors.extend(f"{where}{m}" for m in error.messages)
                continue
        elif quantity == quantity_left:
            amount = amount_left  # the rest: no cent left behind by rounding
        else:
            amount = min(to_cents(line.gross_amount * quantity / line.quantity), amount_left)
        if amount > amount_left:
            errors.append(f"{where}only {amount_left} {invoice.currency} of “{line.description}” is left to refund.")
            continue
        built.append(RefundLine(invoice_line=line, quantity=quantity, amount=amount))
    if not errors and not built:
        errors.append("Give at least one line to refund.")
    if errors:
        raise ValidationError({"lines": errors})
    return built
