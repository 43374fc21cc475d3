"""Django admin of stores, products, invoices, payments and refunds.

Staff edits go through the same rules as the pages and the Billing API: the invoice's own
(`Invoice.clean`, run by the admin form), its lines' (`InvoiceLine.clean` per line and
`stores.services.invoice_lines_check` for the lines as a whole), and payments and refunds are
recorded by `stores.services` only (`payment_check`/`refund_check` explain a refusal on the form).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from stores import payments, services

from .models import FINAL_STATUSES, Invoice, InvoiceLine, Payment, Product, Refund, Store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "platform", "currency", "created_at"]
    list_filter = ["platform", "currency", "organization"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "store", "parent", "unit_price"]
    list_filter = ["store__organization", "store"]
    search_fields = ["sku", "name", "store__name"]
    list_select_related = ["store", "parent"]
    autocomplete_fields = ["store", "parent"]


class InvoiceLineFormSet(BaseInlineFormSet):
    """The lines as a whole follow `stores.services.invoice_lines_check`, and are fixed once money moved."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        changed = any(f.has_changed() for f in self.forms) or len(kept) != self.initial_form_count()
        invoice: Invoice = self.instance
        if changed and invoice.pk and invoice.has_money_movements:
            raise ValidationError(services.LINES_FIXED)
        lines = [f.instance for f in kept]
        for line in lines:
            line.invoice = invoice
        try:
            services.invoice_lines_check(invoice=invoice, lines=lines)
        except ValidationError as error:
            raise ValidationError(error.message_dict.get("lines", error.messages)) from None


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    formset = InvoiceLineFormSet
    extra = 0
    fields = [
        "position",
        "kind",
        "product",
        "description",
        "quantity",
        "unit_price",
        "tax_rate",
        "discount_rate",
        "line_amount",
        "tax_amount",
    ]
    readonly_fields = ["line_amount", "tax_amount"]
    autocomplete_fields = ["product"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "store",
        "customer_name",
        "issue_date",
        "due_date",
        "status",
        "currency",
        "total",
        "amount_due",
    ]
    list_filter = ["status", "tax_mode", "currency", "issue_date", "store__organization", "store"]
    search_fields = ["number", "customer_name", "customer_email", "customer_id", "store__name"]
    list_select_related = ["store"]
    date_hierarchy = "issue_date"
    autocomplete_fields = ["store"]
    readonly_fields = [
        "subtotal",
        "total_tax",
        "total",
        "amount_paid",
        "amount_credited",
        "amount_refunded",
        "amount_due",
        "paid_at",
        "voided_at",
        "payments_recorded",
        "refunds_recorded",
        "created_at",
        "updated_at",
    ]
    inlines = [InvoiceLineInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invoice]:
        return super().get_queryset(request).select_related("store")

    def get_readonly_fields(self, request: HttpRequest, obj: Invoice | None = None) -> Any:
        # Paid and void invoices change only through payments and refunds.
        if obj is not None and obj.status in FINAL_STATUSES:
            return [f.name for f in Invoice._meta.fields if f.name != "id"] + list(self.readonly_fields)
        return self.readonly_fields

    @admin.display(description="Payments (add them under Payments)")
    def payments_recorded(self, invoice: Invoice) -> str:
        return (
            format_html_join(
                mark_safe("<br>"),  # nosec B308  # a constant separator; the values are escaped by format_html_join
                "{} {} {} {}",
                ((p.date, p.amount, p.method, p.reference) for p in invoice.payments.all()),
            )
            or "—"
        )

    @admin.display(description="Refunds (add them under Refunds)")
    def refunds_recorded(self, invoice: Invoice) -> str:
        return (
            format_html_join(
                mark_safe("<br>"),  # nosec B308  # a constant separator; the values are escaped by format_html_join
                "{} {} ({} back) {} {}",
                (
                    (r.date, r.amount, r.amount_returned, r.method or "credit only", r.reason)
                    for r in invoice.refunds.all()
                ),
            )
            or "—"
        )

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        """Recompute the lines (the tax mode may have changed) and the totals once the lines are saved."""
        super().save_related(request, form, formsets, change)
        if "tax_mode" in form.changed_data:
            for line in form.instance.lines.all():
                line.save()
        form.instance.recalculate_totals()


class PaymentAdminForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["invoice", "amount", "date", "method", "reference"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        invoice, amount = cleaned.get("invoice"), cleaned.get("amount")
        if invoice is not None and amount is not None:
            try:
                payments.payment_check(invoice=invoice, amount=amount)
            except ValidationError as error:
                _add_errors(self, error)
        return cleaned


class RefundAdminForm(forms.ModelForm):
    # Optional here (blank: the service's default, all of it with a method, else none).
    amount_returned = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        label="Money returned",
        help_text="The part of the amount that went back as money; blank: all of it with a method, else none.",
    )

    class Meta:
        model = Refund
        fields = ["invoice", "amount", "date", "reason", "method", "amount_returned", "reference"]
        help_texts = {"method": "How the money went back; blank for a credit only."}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        invoice, amount = cleaned.get("invoice"), cleaned.get("amount")
        if invoice is not None and amount is not None:
            try:
                # Blank: the service's default, kept so the form and the refund agree.
                _value, _lines, cleaned["amount_returned"] = payments.refund_check(
                    invoice=invoice,
                    amount=amount,
                    method=cleaned.get("method", ""),
                    amount_returned=cleaned.get("amount_returned"),
                )
            except ValidationError as error:
                _add_errors(self, error)
        return cleaned


def _add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class _RecordedByServicesAdmin(admin.ModelAdmin):
    """Added through the services, never changed or deleted (the invoice's amounts follow them)."""

    autocomplete_fields = ["invoice"]
    list_select_related = ["invoice", "invoice__store"]
    date_hierarchy = "date"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(_RecordedByServicesAdmin):
    form = PaymentAdminForm
    list_display = ["invoice", "date", "amount", "method", "reference", "source"]
    list_filter = ["source", "method", "invoice__store__organization"]
    search_fields = ["invoice__number", "reference", "xero_payment_id"]

    def save_model(self, request: HttpRequest, obj: Payment, form: Any, change: bool) -> None:
        payment = payments.payment_record(**{name: form.cleaned_data[name] for name in form.Meta.fields})
        obj.pk, obj._state.adding = payment.pk, False


@admin.register(Refund)
class RefundAdmin(_RecordedByServicesAdmin):
    form = RefundAdminForm
    list_display = ["invoice", "date", "amount", "amount_returned", "method", "reason"]
    list_filter = ["method", "invoice__store__organization"]
    search_fields = ["invoice__number", "reason", "reference"]

    def save_model(self, request: HttpRequest, obj: Refund, form: Any, change: bool) -> None:
        refund = payments.refund_record(**{name: form.cleaned_data.get(name) for name in form.Meta.fields})
        obj.pk, obj._state.adding = refund.pk, False
