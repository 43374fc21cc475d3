"""Shapes of invoices and their lines in the Billing API.

Clients send lines; the server computes every amount (stores.money via stores.services) and
never reads totals from the request.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Invoice, InvoiceLine, InvoiceStatus
from ..selectors import invoices_of, products_of
from .fields import EmailOrBlankField, StrictStrings
from .limits import check_invoice_lines

# Paid comes from the accounting system (Xero webhooks), never from the store.
WRITABLE_STATUSES = [InvoiceStatus.DRAFT, InvoiceStatus.ISSUED, InvoiceStatus.VOID]
FINAL_STATUSES = (InvoiceStatus.PAID, InvoiceStatus.VOID)
ZERO, HUNDRED = Decimal("0"), Decimal("100")


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "position",
            "product",
            "description",
            "quantity",
            "unit_price",
            "tax_rate",
            "discount_rate",
            "line_amount",
            "tax_amount",
        ]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    customer_email = EmailOrBlankField(read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "store",
            "number",
            "customer_name",
            "customer_email",
            "currency",
            "issue_date",
            "due_date",
            "status",
            "subtotal",
            "total_tax",
            "total",
            "paid_at",
            "lines",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InvoiceLineInputSerializer(StrictStrings, serializers.Serializer):
    product = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A product of the same store, or null."
    )
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Defaults to the product's name."
    )
    quantity = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=ZERO)
    unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=4, required=False, help_text="Defaults to the product's unit price."
    )
    tax_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=ZERO, max_value=HUNDRED, default=ZERO, help_text="Percent."
    )
    discount_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=ZERO, max_value=HUNDRED, default=ZERO, help_text="Percent."
    )


@extend_schema_field(InvoiceLineInputSerializer(many=True))
class InvoiceLinesField(serializers.Field):
    """The lines of an invoice: they replace all its lines, so they are validated whole, even in a PATCH."""

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        if data == []:
            raise serializers.ValidationError("An invoice needs at least one line.")
        if isinstance(data, list):
            check_invoice_lines(data)  # before validating each of them
        lines = InvoiceLineInputSerializer(many=True, data=data)
        lines.is_valid(raise_exception=True)
        return list(lines.validated_data)

    def to_representation(self, value: Any) -> Any:
        return InvoiceLineSerializer(value, many=True).data


class InvoiceInputSerializer(StrictStrings, serializers.Serializer):
    """Validate an invoice of `context["store"]`; `context["invoice"]` is the one being changed."""

    number = serializers.CharField(max_length=50)
    customer_name = serializers.CharField(max_length=200)
    customer_email = EmailOrBlankField(required=False, allow_blank=True)
    currency = serializers.RegexField(
        r"^[A-Z]{3}$",
        required=False,
        error_messages={"invalid": "Use a three-letter ISO 4217 currency code, e.g. GBP."},
        help_text="Defaults to the store's currency.",
    )
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    status = serializers.ChoiceField(choices=WRITABLE_STATUSES, required=False)
    lines = InvoiceLinesField()

    def validate_number(self, value: str) -> str:
        others = invoices_of(store=self.context["store"]).filter(number=value)
        if self.context.get("invoice") is not None:
            others = others.exclude(pk=self.context["invoice"].pk)
        if others.exists():
            raise serializers.ValidationError(f"This store already has an invoice numbered {value}.")
        return value

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Resolve each line's product (one query for all) and fill in its defaults.

        Errors are keyed by line index, as DRF reports the lines' own field errors.
        """
        wanted = {line["product"] for line in lines if line["product"] is not None}
        products = {p.pk: p for p in products_of(store=self.context["store"]).filter(pk__in=wanted)}
        errors: dict[str, dict[str, list[str]]] = {}
        for index, line in enumerate(lines):
            if line["product"] is not None and line["product"] not in products:
                errors[str(index)] = {"product": [f"This store has no product {line['product']}."]}
                continue
            product = line["product"] = products.get(line["product"])
            error = {}
            if not line.get("description"):
                if product is None:
                    error["description"] = ["Give a description (or a product)."]
                else:
                    line["description"] = product.name
            if "unit_price" not in line:
                if product is None:
                    error["unit_price"] = ["Give a unit price (or a product)."]
                else:
                    line["unit_price"] = product.unit_price
            if error:
                errors[str(index)] = error
        if errors:
            raise serializers.ValidationError(errors)
        return lines

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        invoice: Invoice | None = self.context.get("invoice")
        if invoice is not None and invoice.status in FINAL_STATUSES:
            raise serializers.ValidationError(f"A {invoice.get_status_display().lower()} invoice cannot be changed.")
        issue: datetime.date | None = attrs.get("issue_date", getattr(invoice, "issue_date", None))
        due: datetime.date | None = attrs.get("due_date", getattr(invoice, "due_date", None))
        if issue is not None and due is not None and due < issue:
            raise serializers.ValidationError({"due_date": ["The due date cannot be before the issue date."]})
        return attrs
