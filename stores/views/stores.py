from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from organizations.decorators import member_required

from ..forms import StoreForm
from ..selectors import store_for_member, stores_for_list
from ..services import store_create as create_store
from ..services import store_update
from .common import add_service_errors, paginate


@member_required
def store_list(request: HttpRequest) -> HttpResponse:
    """List the current organization's stores with their accounting channels' status."""
    page = paginate(request, stores_for_list(organization=request.organization))  # type: ignore[attr-defined]
    return render(request, "stores/store_list.html", {"page": page, "stores": page.object_list})


@member_required
def store_create(request: HttpRequest) -> HttpResponse:
    """Add a store to the current organization."""
    organization = request.organization  # type: ignore[attr-defined]
    form = StoreForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            store = create_store(organization=organization, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Store “{store.name}” created.")
            return redirect("stores:detail", store_id=store.pk)
    return render(request, "stores/store_form.html", {"form": form})


@member_required
def store_detail(request: HttpRequest, store_id: int) -> HttpResponse:
    """Show and edit the store's details (the store page's first tab)."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    # A copy, so a rejected edit does not show up in the page header.
    form = StoreForm(request.POST or None, instance=copy.copy(store), organization=request.organization)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            store_update(store=store, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Store details saved.")
            return redirect("stores:detail", store_id=store.pk)
    return render(request, "stores/store_detail.html", {"store": store, "form": form, "active_tab": "details"})
