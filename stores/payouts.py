"""Gateway payouts: money paid into the merchant's bank for payments of one method, net of the
gateway's fees. A payout is checked whole before anything is saved, and a reference the store
already has is not a second payout: the existing one is answered."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from stores.models import Payment, Payout, Store
from stores.money import ZERO, currency_places


def method_key(method: str) -> str:
    """Return the key a payment method label is matched by ("Card " and "card" are one)."""
    return " ".join(method.split()).casefold()


def _amount(value: Any, *, field: str, currency: str, errors: dict[str, str], positive: bool = True) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = "Give an amount, e.g. 12.50."
        return ZERO
    if not amount.is_finite():
        errors[field] = "Give an amount, e.g. 12.50."
        return ZERO
    places = min(currency_places(currency), 2)  # the store keeps amounts in cents at most
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        errors[field] = f"{currency} amounts have {places} decimal place{'s' if places != 1 else ''} at most."
    elif amount < ZERO or (positive and amount == ZERO):
        errors[field] = "The amount must be more than zero." if positive else "The amount cannot be negative."
    else:
        return amount.quantize(Decimal("0.01"))
    return amount


def payout_check(
    *, store: Store, reference: str, method: str, currency: str, date: datetime.date, gross: Any, fees: Any,
    net: Any, payments: Iterable[int] | None,
) -> tuple[dict[str, Any], list[Payment]]:  # fmt: skip
    """Return the payout's cleaned fields and its payments, or raise ValidationError by field."""
    errors: dict[str, str] = {}
    reference, method, currency = reference.strip(), " ".join(method.split()), currency.strip().upper()
    if not reference:
        errors["reference"] = "Give the gateway's payout reference."
    if not method:
        errors["method"] = "Give the payment method the payout is for, e.g. card."
    if currency != store.currency:
        errors["currency"] = (
            f"The store's currency is {store.currency}: a payout in {currency} cannot settle its payments."
        )
    gross_value = _amount(gross, field="gross", currency=store.currency, errors=errors)
    fees_value = _amount(fees, field="fees", currency=store.currency, errors=errors, positive=False)
    net_value = _amount(net, field="net", currency=store.currency, errors=errors)
    if not errors and gross_value - fees_value != net_value:
        errors["net"] = f"gross − fees is {gross_value - fees_value}, not {net_value}: the payout does not add up."
    found: list[Payment] = []
    if payments is not None and not errors:
        ids = list(dict.fromkeys(payments))
        found = list(Payment.objects.select_for_update().select_related("invoice").filter(pk__in=ids).order_by("pk"))
        problems = []
        missing = sorted(set(ids) - {p.pk for p in found if p.invoice.store_id == store.pk})
        if missing:
            problems.append(f"Payments {', '.join(map(str, missing))} are not payments of this store.")
        other = [p.pk for p in found if p.invoice.store_id == store.pk and method_key(p.method) != method_key(method)]
        if other:
            problems.append(f"Payments {', '.join(map(str, other))} were not made by {method}.")
        taken = [p.pk for p in found if p.payout_id is not None]
        if taken:
            problems.append(f"Payments {', '.join(map(str, taken))} are already in another payout.")
        settled = sum((p.amount for p in found), ZERO)
        if not problems and settled != gross_value:
            problems.append(f"The payments add up to {settled}, not the payout's gross {gross_value}.")
        if problems:
            errors["payments"] = " ".join(problems)
    if errors:
        raise ValidationError(errors)
    cleaned = {"reference": reference, "method": method, "currency": currency, "date": date, "gross": gross_value,
               "fees": fees_value, "net": net_value}  # fmt: skip
    return cleaned, found


@transaction.atomic
def payout_record(
    *, store: Store, reference: str, method: str, currency: str, date: datetime.date, gross: Any, fees: Any,
    net: Any, payments: Iterable[int] | None = None,
) -> tuple[Payout, bool]:  # fmt: skip
    """Record a payout of `store`; return it and whether it is new. The same reference again answers
    the payout already recorded, unchanged. Raise ValidationError (nothing saved) on bad input."""
    Store.objects.select_for_update().filter(pk=store.pk).first()  # one payout per reference, also under races
    existing = Payout.objects.filter(store=store, reference=reference.strip()).first()
    if existing is not None:
        return existing, False
    cleaned, found = payout_check(
        store=store, reference=reference, method=method, currency=currency, date=date, gross=gross, fees=fees,
        net=net, payments=payments,
    )  # fmt: skip
    payout = Payout.objects.create(store=store, **cleaned)
    if found:
        Payment.objects.filter(pk__in=[p.pk for p in found]).update(payout=payout)
    return payout, True
