from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from organizations.decorators import member_required

from ..forms import ProductForm
from ..selectors import product_of_store, products_for_list, store_for_member
from ..services import product_create as create_product
from ..services import product_update
from .common import add_service_errors, paginate


@member_required
def product_list(request: HttpRequest, store_id: int) -> HttpResponse:
    """List the store's products (main products and variants), a page at a time."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    page = paginate(request, products_for_list(store=store))
    context = {"store": store, "page": page, "active_tab": "products"}
    return render(request, "stores/product_list.html", context)


@member_required
def product_create(request: HttpRequest, store_id: int) -> HttpResponse:
    """Add a product (or a variant of a main product) to the store."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    form = ProductForm(request.POST or None, store=store)
    if request.method == "POST" and form.is_valid():
        try:
            product = create_product(store=store, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Product {product.sku} created.")
            return redirect("stores:products", store_id=store.pk)
    return render(request, "stores/product_form.html", {"store": store, "form": form, "active_tab": "products"})


@member_required
def product_edit(request: HttpRequest, store_id: int, product_id: int) -> HttpResponse:
    """Change one of the store's products; show where it stands in each channel's Xero."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    product = product_of_store(store=store, product_id=product_id)
    form = ProductForm(request.POST or None, instance=copy.copy(product), store=store)
    if request.method == "POST" and form.is_valid():
        try:
            product_update(product=product, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Product {product.sku} saved.")
            return redirect("stores:products", store_id=store.pk)
    context = {"store": store, "product": product, "form": form, "active_tab": "products"}
    return render(request, "stores/product_form.html", context)
