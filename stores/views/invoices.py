from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from organizations.decorators import member_required
from stores.payments import payment_record, refund_record

from ..forms import InvoiceForm, InvoiceLineFormSet, PaymentForm, RefundForm
from ..models import Invoice, InvoiceStatus, Store
from ..selectors import invoice_of_store, invoices_of, store_for_member
from ..services import invoice_create as create_invoice
from .common import add_service_errors, paginate


def payment_recorded_message(*, amount: Decimal, currency: str) -> str:
    return f"Payment of {amount} {currency} recorded."


def refund_recorded_message(*, amount: Decimal, currency: str) -> str:
    return f"Refund of {amount} {currency} recorded."


@member_required
def invoice_list(request: HttpRequest, store_id: int) -> HttpResponse:
    """List the store's invoices, newest first, a page at a time."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    page = paginate(request, invoices_of(store=store))
    context = {"store": store, "page": page, "active_tab": "invoices"}
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
    """Show an invoice with its lines, totals, payments and refunds, and where it stands in each
    channel's Xero."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    invoice = invoice_of_store(store=store, invoice_id=invoice_id)
    return _detail(request, store=store, invoice=invoice)


@member_required
def invoice_payment_create(request: HttpRequest, store_id: int, invoice_id: int) -> HttpResponse:
    """Record a payment of the invoice; a refusal shows the page again with what was typed."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    invoice = invoice_of_store(store=store, invoice_id=invoice_id)
    if request.method != "POST":  # e.g. a reload after a refusal: back to the invoice
        return redirect("stores:invoice-detail", store_id=store.pk, invoice_id=invoice.pk)
    form = PaymentForm(request.POST, invoice=invoice)
    if form.is_valid():
        try:
            payment = payment_record(invoice=invoice, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, payment_recorded_message(amount=payment.amount, currency=invoice.currency))
            return redirect("stores:invoice-detail", store_id=store.pk, invoice_id=invoice.pk)
    return _detail(request, store=store, invoice=invoice, payment_form=form)


@member_required
def invoice_refund_create(request: HttpRequest, store_id: int, invoice_id: int) -> HttpResponse:
    """Record a refund of the invoice; a refusal shows the page again with what was typed."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    invoice = invoice_of_store(store=store, invoice_id=invoice_id)
    if request.method != "POST":  # e.g. a reload after a refusal: back to the invoice
        return redirect("stores:invoice-detail", store_id=store.pk, invoice_id=invoice.pk)
    form = RefundForm(request.POST, invoice=invoice)
    if form.is_valid():
        try:
            refund = refund_record(invoice=invoice, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, refund_recorded_message(amount=refund.amount, currency=invoice.currency))
            return redirect("stores:invoice-detail", store_id=store.pk, invoice_id=invoice.pk)
    return _detail(request, store=store, invoice=invoice, refund_form=form)


def _detail(
    request: HttpRequest,
    *,
    store: Store,
    invoice: Invoice,
    payment_form: PaymentForm | None = None,
    refund_form: RefundForm | None = None,
) -> HttpResponse:
    open_for_money = invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID)
    context = {
        "store": store,
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "payments": invoice.payments.all(),
        "refunds": invoice.refunds.all(),
        "can_pay": open_for_money and invoice.amount_due > 0,
        "can_refund": open_for_money and invoice.amount_credited < invoice.total,
        "payment_form": payment_form or PaymentForm(invoice=invoice),
        "refund_form": refund_form or RefundForm(invoice=invoice),
        "active_tab": "invoices",
    }
    return render(request, "stores/invoice_detail.html", context)
