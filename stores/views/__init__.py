"""The store pages: list, create, and the store page's Details, Products and Invoices tabs."""

from .invoices import invoice_create, invoice_detail, invoice_list
from .products import product_create, product_edit, product_list
from .stores import store_create, store_detail, store_list

__all__ = [
    "invoice_create",
    "invoice_detail",
    "invoice_list",
    "product_create",
    "product_edit",
    "product_list",
    "store_create",
    "store_detail",
    "store_list",
]
