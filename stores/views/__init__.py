"""The store pages: list, create, and the store page's Details, Products, Invoices and Payouts tabs."""

from .invoices import invoice_create, invoice_detail, invoice_list, invoice_payment_create, invoice_refund_create
from .payouts import payout_list
from .products import product_create, product_edit, product_list
from .stores import store_create, store_detail, store_list

__all__ = [
    "invoice_create",
    "invoice_detail",
    "invoice_list",
    "invoice_payment_create",
    "invoice_refund_create",
    "payout_list",
    "product_create",
    "product_edit",
    "product_list",
    "store_create",
    "store_detail",
    "store_list",
]
