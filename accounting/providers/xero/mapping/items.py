"""Store products → Xero Items, within the limits Xero documents (code 30, name 50 characters),
enforced here with a clear message instead of a rejected request."""

from __future__ import annotations

from xero_python.accounting.models import Item, Purchase

from accounting.providers.xero.mapping.common import MappingError, quantize
from stores.models import Product

ITEM_CODE_MAX = 30
ITEM_NAME_MAX = 50


def item_code(*, product: Product) -> str:
    """Return the Xero item code of a product (its SKU); raise MappingError past 30 characters."""
    if len(product.sku) > ITEM_CODE_MAX:
        raise MappingError(
            f"SKU '{product.sku}' has {len(product.sku)} characters; Xero item codes allow {ITEM_CODE_MAX}."
        )
    return product.sku


def item_name(*, product: Product) -> str:
    """Return the item name: a variant carries its main product's name first; at most 50 chars."""
    name = product.name
    if product.parent_id is not None and product.parent is not None and product.parent.name not in name:
        name = f"{product.parent.name} - {name}"
    return name[:ITEM_NAME_MAX]


def item_payload(*, product: Product, account_code: str) -> Item:
    """Return the Xero Item for a product (sold, with a sales price and account).

    No TaxType: products carry no rate in the store, and an invoice line gets the type mapped
    for its own rate; in Xero the item then takes its sales account's default tax type.
    """
    sales = Purchase(unit_price=quantize(product.unit_price), account_code=account_code or None)
    return Item(
        code=item_code(product=product),
        name=item_name(product=product),
        description=(product.description or product.name)[:4000],
        is_sold=True,
        sales_details=sales,
    )
