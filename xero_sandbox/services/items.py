"""Create items (PUT) and upsert them on Code (POST)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from xero_sandbox.models import Item, Organisation
from xero_sandbox.parse import BadValue, parse_decimal, text

from .books import Books


@dataclass
class ItemResult:
    submitted: dict[str, Any]
    item: Item | None = None
    errors: list[str] = field(default_factory=list)


def _apply(books: Books, item: Item, raw: dict[str, Any], errors: list[str]) -> None:
    for key, attribute in (("Name", "name"), ("Description", "description")):
        if key in raw:
            setattr(item, attribute, text(raw.get(key)))
    for key, attribute in (("IsSold", "is_sold"), ("IsPurchased", "is_purchased")):
        if key in raw:
            setattr(item, attribute, bool(raw.get(key)))
    if len(item.code) > 30:
        errors.append("Item Code must not be more than 30 characters long.")
    if len(item.name) > 50:
        errors.append("Item Name must not be more than 50 characters long.")
    sales = raw.get("SalesDetails")
    if not isinstance(sales, dict):
        return
    try:
        if "UnitPrice" in sales:
            price = parse_decimal(sales.get("UnitPrice"), field="UnitPrice")
            item.sales_unit_price = price.quantize(Decimal("0.0001")) if price is not None else None
    except BadValue as exc:
        errors.append(str(exc))
    if "AccountCode" in sales:
        item.sales_account_code = text(sales.get("AccountCode"))
        problem = books.account_error(item.sales_account_code) if item.sales_account_code else None
        if problem:
            errors.append(problem)
    if "TaxType" in sales:
        item.sales_tax_type = text(sales.get("TaxType"))
        problem = books.tax_type_error(item.sales_tax_type, sales=True) if item.sales_tax_type else None
        if problem:
            errors.append(problem)


def items_save(*, organisation: Organisation, payloads: list[Any], update: bool) -> list[ItemResult]:
    """Create (PUT) or upsert on Code (POST) items; one result per element."""
    books = Books.load(organisation)
    clean = [raw if isinstance(raw, dict) else {} for raw in payloads]
    codes = {text(raw.get("Code")) for raw in clean}
    existing = {i.code: i for i in Item.objects.select_for_update().filter(organisation=organisation, code__in=codes)}
    results = []
    for raw in clean:
        code = text(raw.get("Code"))
        if not code:
            results.append(ItemResult(raw, errors=["Item Code must be specified."]))
            continue
        item = existing.get(code)
        if item is not None and not update:
            results.append(ItemResult(raw, errors=[f"Item code '{code}' already exists"]))
            continue
        item = item or Item(organisation=organisation, code=code)
        errors: list[str] = []
        _apply(books, item, raw, errors)
        if errors:
            results.append(ItemResult(raw, errors=errors))
            continue
        try:
            with transaction.atomic():
                item.save()
        except IntegrityError:
            results.append(ItemResult(raw, errors=[f"Item code '{code}' already exists"]))
            continue
        existing[code] = item
        results.append(ItemResult(raw, item=item))
    return results
