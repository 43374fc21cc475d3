"""Forms of the store pages. They validate input only; writes go through `stores.services`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from organizations.models import Organization

from .models import Invoice, InvoiceStatus, Product, Store
from .selectors import invoices_of, products_of, stores_of

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StoreForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = ["name", "platform", "currency"]
        help_texts = {"currency": "Three-letter ISO 4217 code, e.g. GBP, EUR, USD."}

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

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
    status = forms.ChoiceField(
        choices=[(InvoiceStatus.ISSUED, InvoiceStatus.ISSUED.label), (InvoiceStatus.DRAFT, InvoiceStatus.DRAFT.label)]
    )

    class Meta:
        model = Invoice
        fields = ["number", "customer_name", "customer_email", "currency", "issue_date", "due_date", "status"]
        widgets = {"issue_date": DATE_INPUT, "due_date": DATE_INPUT}

    def __init__(self, *args: Any, store: Store, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = store
        self.fields["currency"].initial = store.currency

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        if invoices_of(store=self.store).filter(number=number).exists():
            raise ValidationError("An invoice with this number already exists in this store.")
        return number

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        issue, due = cleaned.get("issue_date"), cleaned.get("due_date")
        if issue and due and due < issue:
            self.add_error("due_date", "The due date cannot be before the issue date.")
        return cleaned


class InvoiceLineForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False)
    description = forms.CharField(max_length=500, required=False)
    quantity = forms.DecimalField(max_digits=12, decimal_places=4, min_value=Decimal("0"), initial=Decimal("1"))
    unit_price = forms.DecimalField(max_digits=14, decimal_places=4, required=False)
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

    def clean(self) -> dict[str, Any]:
        """Fill description and price from the product when left blank."""
        cleaned = super().clean() or {}
        product = cleaned.get("product")
        if product is not None:
            cleaned["description"] = cleaned.get("description") or product.name
            if cleaned.get("unit_price") is None:
                cleaned["unit_price"] = product.unit_price
        if not cleaned.get("description") and "description" not in self.errors:
            self.add_error("description", "Give a description or pick a product.")
        if cleaned.get("unit_price") is None and "unit_price" not in self.errors:
            self.add_error("unit_price", "Give a unit price or pick a product.")
        return cleaned


class BaseInvoiceLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(form.has_changed() for form in self.forms):
            raise ValidationError("An invoice needs at least one line.")


InvoiceLineFormSet = forms.formset_factory(InvoiceLineForm, formset=BaseInvoiceLineFormSet, extra=3, max_num=100)
