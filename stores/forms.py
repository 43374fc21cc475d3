"""Forms of the store pages. They validate input only; writes go through `stores.services`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from organizations.models import Organization

from .models import Invoice, InvoiceLine, InvoiceStatus, LineKind, Product, Store, TaxMode
from .selectors import products_of, stores_of
from .services import invoice_lines_check

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StoreForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = ["name", "platform", "currency", "time_zone"]
        help_texts = {"currency": "Three-letter ISO 4217 code, e.g. GBP, EUR, USD."}

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["time_zone"].required = False  # left out: the store keeps its own (UTC when new)

    def clean_time_zone(self) -> str:
        return (self.cleaned_data.get("time_zone") or "").strip() or self.instance.time_zone or "UTC"

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = stores_of(organization=self.organization).filter(name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError("A store with this name already exists in your organization.")
        return name


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "description", "unit_price", "parent"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"parent": "Set it to make this product a variant of a main product."}

    def __init__(self, *args: Any, store: Store, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = store
        # Only this store's main products can be parents (one level of variants, as stores have).
        parents = products_of(store=store).filter(parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["parent"].empty_label = "None (this is a main product)"  # type: ignore[attr-defined]

    def clean_sku(self) -> str:
        sku = self.cleaned_data["sku"].strip()
        clash = products_of(store=self.store).filter(sku=sku)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError("A product with this SKU already exists in this store.")
        return sku

    def clean_parent(self) -> Product | None:
        parent = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk and self.instance.variants.exists():
            raise ValidationError("This product has variants, so it must stay a main product.")
        return parent


class InvoiceForm(forms.ModelForm):
    """The invoice's details. Its rules (unique number, dates, status) are the model's
    (`Invoice.clean`, run by the form's model validation)."""

    status = forms.ChoiceField(
        choices=[(InvoiceStatus.ISSUED, InvoiceStatus.ISSUED.label), (InvoiceStatus.DRAFT, InvoiceStatus.DRAFT.label)]
    )

    class Meta:
        model = Invoice
        fields = [
            "number",
            "customer_name",
            "customer_email",
            "customer_id",
            "customer_first_name",
            "customer_last_name",
            "customer_phone",
            "customer_address_line1",
            "customer_address_line2",
            "customer_city",
            "customer_region",
            "customer_postal_code",
            "customer_country",
            "currency",
            "exchange_rate",
            "tax_mode",
            "issue_date",
            "due_date",
            "status",
        ]
        widgets = {"issue_date": DATE_INPUT, "due_date": DATE_INPUT}
        help_texts = {"customer_id": "The store's own customer id: Xero finds the contact again by it."}

    def __init__(self, *args: Any, store: Store, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = store
        self.instance.store = store  # the model's rules (unique number) are per store
        self.fields["currency"].initial = store.currency
        self.fields["tax_mode"].required = False  # left out: exclusive, the model's default

    def clean_tax_mode(self) -> str:
        return self.cleaned_data.get("tax_mode") or TaxMode.EXCLUSIVE

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip()


class InvoiceLineForm(forms.Form):
    kind = forms.ChoiceField(choices=LineKind.choices, initial=LineKind.PRODUCT, required=False)
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False)
    description = forms.CharField(max_length=500, required=False)
    quantity = forms.DecimalField(max_digits=12, decimal_places=4, min_value=Decimal("0"), initial=Decimal("1"))
    unit_price = forms.DecimalField(
        max_digits=14, decimal_places=4, required=False, help_text="Negative for discounts and gift cards redeemed."
    )
    tax_rate = forms.DecimalField(
        label="Tax %", max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), initial=0
    )
    discount_rate = forms.DecimalField(
        label="Discount %", max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), initial=0
    )

    def __init__(self, *args: Any, store: Store, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products_of(store=store)  # type: ignore[attr-defined]
        # The lines are table rows without <label>s: name each input for screen readers.
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = str(field.label)

    def has_changed(self) -> bool:
        # The kind alone (a select that always has a value) does not make a line.
        return any(name != "kind" for name in self.changed_data)

    def clean(self) -> dict[str, Any]:
        """Fill description and price from the product when left blank; apply the line rules."""
        cleaned = super().clean() or {}
        cleaned["kind"] = cleaned.get("kind") or LineKind.PRODUCT
        product = cleaned.get("product")
        if product is not None:
            cleaned["description"] = cleaned.get("description") or product.name
            if cleaned.get("unit_price") is None:
                cleaned["unit_price"] = product.unit_price
        if not cleaned.get("description") and "description" not in self.errors:
            self.add_error("description", "Give a description or pick a product.")
        if cleaned.get("unit_price") is None and "unit_price" not in self.errors:
            self.add_error("unit_price", "Give a unit price or pick a product.")
        elif "unit_price" not in self.errors:
            try:
                InvoiceLine(kind=cleaned["kind"], unit_price=cleaned["unit_price"]).clean()
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return cleaned


class BaseInvoiceLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        """The rules of the lines as a whole (`stores.services.invoice_lines_check`)."""
        if any(self.errors):
            return
        lines = [form.cleaned_data for form in self.forms if form.has_changed()]
        try:
            invoice_lines_check(invoice=Invoice(), lines=lines)
        except ValidationError as error:
            raise ValidationError(error.message_dict.get("lines", error.messages)) from None


InvoiceLineFormSet = forms.formset_factory(InvoiceLineForm, formset=BaseInvoiceLineFormSet, extra=3, max_num=100)


class PaymentForm(forms.Form):
    """A payment as an operator records it; `stores.payments.payment_record` applies the rules."""

    amount = forms.DecimalField(max_digits=14, decimal_places=2)
    date = forms.DateField(widget=DATE_INPUT)
    method = forms.CharField(max_length=50, help_text="A label, e.g. card, paypal, bank_transfer.")
    reference = forms.CharField(max_length=255, required=False)

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "payment")
        super().__init__(*args, **kwargs)
        self.fields["amount"].initial = invoice.amount_due
        self.fields["date"].initial = timezone.localdate()


class RefundForm(forms.Form):
    """A refund by amount, or of one line (then the amount defaults to the line's share);
    `stores.payments.refund_record` applies the rules."""

    line = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, help_text="Refund one line, or leave it to refund an amount."
    )
    quantity = forms.DecimalField(
        max_digits=12, decimal_places=4, required=False, help_text="Of the line; blank: all of it."
    )
    amount = forms.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="Tax inclusive; blank with a line: its share."
    )
    date = forms.DateField(widget=DATE_INPUT)
    reason = forms.CharField(max_length=255, required=False)
    method = forms.CharField(
        max_length=50, required=False, help_text="How the money went back; blank for a credit only."
    )
    amount_returned = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        label="Money returned",
        help_text="The part that went back as money; blank: all of it with a method, none without.",
    )
    reference = forms.CharField(max_length=255, required=False)

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "refund")
        super().__init__(*args, **kwargs)
        # From the invoice's (prefetched) lines; refund_record checks the id is one of them.
        lines = [
            (line.pk, f"{line.description} ({line.quantity.normalize()} × {line.unit_price:.2f})")
            for line in invoice.lines.all()
        ]
        self.fields["line"].choices = [("", "By amount (no line)"), *lines]  # type: ignore[attr-defined]
        self.fields["date"].initial = timezone.localdate()

    def service_arguments(self) -> dict[str, Any]:
        """The arguments of `refund_record` for the cleaned data."""
        data = dict(self.cleaned_data)
        line, quantity, amount = data.pop("line"), data.pop("quantity"), data.pop("amount")
        if line is None:
            return {**data, "amount": amount}
        return {**data, "lines": [{"invoice_line": line, "quantity": quantity, "amount": amount}]}
