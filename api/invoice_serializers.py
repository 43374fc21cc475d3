"""Shapes of invoices, their lines, payments and refunds in the Billing API.

Clients send lines; the server computes every amount (stores.money via stores.services) and
never reads totals from the request. These serializers check the shape of the input only: the
invoice rules (unique number, dates, line kinds, paid or void invoices fixed, payment and refund
limits) are the services' (stores.services), whose refusals the views answer as 400.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import EmailOrBlankField, StrictStrings
from api.limits import check_invoice_lines
from stores.models import Invoice, InvoiceLine, InvoiceStatus, LineKind, Payment, Refund, RefundLine, TaxMode
from stores.selectors import products_of

# Paid comes from payments (POST .../payments/), never from the status field.
WRITABLE_STATUSES = [InvoiceStatus.DRAFT, InvoiceStatus.ISSUED, InvoiceStatus.VOID]
ZERO, HUNDRED = Decimal("0"), Decimal("100")
CUSTOMER_FIELDS = [
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
]


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "id",
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
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "amount", "date", "method", "reference", "source", "xero_payment_id", "created_at"]
        read_only_fields = fields


class RefundLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = RefundLine
        fields = ["invoice_line", "quantity", "amount"]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    lines = RefundLineSerializer(many=True, read_only=True)
    money_returned = serializers.BooleanField(
        read_only=True, help_text="Whether money went back (amount_returned more than zero)."
    )

    class Meta:
        model = Refund
        fields = [
            "id",
            "amount",
            "amount_returned",
            "date",
            "reason",
            "method",
            "reference",
            "money_returned",
            "lines",
            "created_at",
        ]
        read_only_fields = fields


class ChannelSyncSerializer(serializers.Serializer):
    """Where the invoice stands in one accounting channel (from its sync ledger row)."""

    channel = serializers.IntegerField(source="channel_id")
    channel_name = serializers.CharField()
    state = serializers.CharField(
        source="key",
        help_text=(
            "pending, sending, in_xero, paid_in_xero, in_summary (sent in a daily summary), failed, skipped, "
            "waiting (for a choice on the channel)"
        ),
    )
    state_label = serializers.CharField(source="label")
    xero_id = serializers.CharField(help_text="The invoice's InvoiceID in Xero, empty until it is there.")
    xero_url = serializers.CharField(help_text="A link to the invoice in Xero, empty until it is there.")
    last_error = serializers.CharField()
    paid_in_xero = serializers.SerializerMethodField()
    summary = serializers.IntegerField(
        source="summary_id", allow_null=True,
        help_text="The daily summary the invoice went to Xero in (posting per day): GET /api/v1/summaries/{id}/.",
    )  # fmt: skip

    changed_in_xero = serializers.CharField(
        source="drift",
        help_text='What Xero reported after the invoice was sent ("Voided in Xero on 7 Dec 2026 14:02 UTC", '
        '"Changed in Xero on …: total 15.00 in Xero, 12.00 in the store"); empty when nothing.',
    )

    def get_paid_in_xero(self, badge: Any) -> bool:
        return bool(badge.key == "paid_in_xero")


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice as read. Its `sync` comes from `context["sync"]` ({invoice id: badges}), read in
    one query for a whole page by the view."""

    lines = InvoiceLineSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)
    amount_due = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    sync = serializers.SerializerMethodField(help_text="One entry per accounting channel of the store.")
    customer_email = EmailOrBlankField(read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "store",
            "number",
            "customer_name",
            "customer_email",
            *CUSTOMER_FIELDS,
            "currency",
            "exchange_rate",
            "tax_mode",
            "issue_date",
            "due_date",
            "status",
            "subtotal",
            "total_tax",
            "total",
            "amount_paid",
            "amount_credited",
            "amount_refunded",
            "amount_due",
            "paid_at",
            "voided_at",
            "lines",
            "payments",
            "refunds",
            "sync",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ChannelSyncSerializer(many=True))
    def get_sync(self, invoice: Invoice) -> list[dict[str, Any]]:
        badges = self.context.get("sync", {}).get(invoice.pk, [])
        return list(ChannelSyncSerializer(badges, many=True).data)


class InvoiceLineInputSerializer(StrictStrings, serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=LineKind.choices,
        default=LineKind.PRODUCT,
        help_text="Discount and gift card redeemed lines have a negative unit price, the others never do.",
    )
    product = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A product of the same store, or null."
    )
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Defaults to the product's name."
    )
    quantity = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=ZERO)
    unit_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        required=False,
        help_text="Defaults to the product's unit price. Tax inclusive when the invoice's tax_mode is inclusive.",
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
    customer_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="The store's customer id (Xero ContactNumber)."
    )
    customer_first_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    customer_last_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    customer_phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    customer_address_line1 = serializers.CharField(max_length=500, required=False, allow_blank=True)
    customer_address_line2 = serializers.CharField(max_length=500, required=False, allow_blank=True)
    customer_city = serializers.CharField(max_length=255, required=False, allow_blank=True)
    customer_region = serializers.CharField(max_length=255, required=False, allow_blank=True)
    customer_postal_code = serializers.CharField(max_length=50, required=False, allow_blank=True)
    customer_country = serializers.CharField(max_length=50, required=False, allow_blank=True)
    tax_mode = serializers.ChoiceField(
        choices=TaxMode.choices, required=False, help_text="Whether unit prices include tax (default exclusive)."
    )
    exchange_rate = serializers.DecimalField(
        max_digits=18,
        decimal_places=6,
        min_value=Decimal("0.000001"),
        required=False,
        allow_null=True,
        help_text="Units of the invoice currency per one unit of the organisation's base currency (Xero "
        "CurrencyRate); leave out to let Xero use its daily rate.",
    )
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
            if not error:
                error = _line_rule_errors(line)
            if error:
                errors[str(index)] = error
        if errors:
            raise serializers.ValidationError(errors)
        return lines


def _line_rule_errors(line: dict[str, Any]) -> dict[str, list[str]]:
    """Return the errors of the line rules (`InvoiceLine.clean`) for one line, by field."""
    try:
        InvoiceLine(kind=line["kind"], unit_price=line["unit_price"]).clean()
    except DjangoValidationError as error:
        return dict(error.message_dict)
    return {}


class PaymentInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="At most the amount due.")
    date = serializers.DateField()
    method = serializers.CharField(max_length=50, help_text='A free label: "card", "paypal", "bank_transfer", ...')
    reference = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class RefundLineInputSerializer(serializers.Serializer):
    invoice_line = serializers.IntegerField(help_text="The id of a line of this invoice.")
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=4, required=False, help_text="Defaults to all of the line not refunded yet."
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="Tax inclusive; defaults to the quantity's share of the line's tax-inclusive amount.",
    )


class RefundInputSerializer(serializers.Serializer):
    """A refund by `amount` or by `lines` (one of them)."""

    date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    lines = RefundLineInputSerializer(many=True, required=False)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    method = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text="How the money went back (a free label); leave blank for a credit only.",
    )
    amount_returned = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="The part of the refund that went back to the customer as money (0 up to the refund's amount; "
        "more than 0 needs a `method`); the rest lowers what the customer owes. Defaults to all of it when a "
        "`method` is given, none otherwise.",
    )
    reference = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "amount" not in attrs and "lines" not in attrs:
            raise serializers.ValidationError({"amount": ["Give an amount or lines to refund."]})
        return attrs
