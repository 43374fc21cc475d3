from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounting.sync.models import RecordKind
from accounting.sync.record_selectors import attach_sync_badges, sync_of_record
from organizations.decorators import member_required

from ..forms import InvoiceForm, InvoiceLineFormSet
from ..selectors import invoice_of_store, invoices_of, store_for_member
from ..services import invoice_create as create_invoice
from .common import add_service_errors, paginate


@member_required
def invoice_list(request: HttpRequest, store_id: int) -> HttpResponse:
    """List the store's invoices, newest first, a page at a time."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    page = paginate(request, invoices_of(store=store))
    invoices = attach_sync_badges(store=store, kind=RecordKind.INVOICE, records=page.object_list)
    context = {"store": store, "page": page, "invoices": invoices, "active_tab": "invoices"}
    return render(request, "stores/invoice_list.html", context)


@member_required
def invoice_create(request: HttpRequest, store_id: int) -> HttpResponse:
    """Raise an invoice with its lines; totals are computed from the lines."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    data = request.POST or None
    form = InvoiceForm(data, store=store)
    lines = InvoiceLineFormSet(data, prefix="lines", form_kwargs={"store": store})
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        line_data = [line.cleaned_data for line in lines if line.has_changed()]
        try:
            invoice = create_invoice(store=store, lines=line_data, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Invoice {invoice.number} created.")
            return redirect("stores:invoice-detail", store_id=store.pk, invoice_id=invoice.pk)
    context = {"store": store, "form": form, "lines": lines, "active_tab": "invoices"}
    return render(request, "stores/invoice_form.html", context)


@member_required
def invoice_detail(request: HttpRequest, store_id: int, invoice_id: int) -> HttpResponse:
    """Show an invoice with its lines and totals, and where it stands in each channel's Xero."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    invoice = invoice_of_store(store=store, invoice_id=invoice_id)
    sync = sync_of_record(store=store, kind=RecordKind.INVOICE, object_id=invoice.pk)
    context = {
        "store": store,
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "sync": sync,
        "active_tab": "invoices",
    }
    return render(request, "stores/invoice_detail.html", context)
