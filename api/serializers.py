"""Shapes of stores, products and accounting channels in the Billing API (invoices: invoices.py).

Output serializers describe what is read; input serializers validate what a client sends
before a service in `stores.services` writes it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from accounting.models import AccountingChannel, ChannelTaxMapping
from api.fields import StrictStrings
from stores.models import Payment, Payout, Product, Store
from stores.selectors import products_of


class StoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "name", "platform", "currency", "time_zone", "created_at", "updated_at"]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "store", "sku", "name", "description", "unit_price", "parent", "created_at", "updated_at"]
        read_only_fields = fields


class ProductInputSerializer(StrictStrings, serializers.Serializer):
    """Validate a product of `context["store"]`; `context["product"]` is the one being changed."""

    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=Decimal("0"))
    # DRF removes declared fields from the class; "parent" only clashes with Field.parent for mypy.
    parent = serializers.IntegerField(  # type: ignore[assignment]
        required=False, allow_null=True, default=None, help_text="Id of the main product, for a variant."
    )

    def validate_sku(self, value: str) -> str:
        others = products_of(store=self.context["store"]).filter(sku=value)
        if self.context.get("product") is not None:
            others = others.exclude(pk=self.context["product"].pk)
        if others.exists():
            raise serializers.ValidationError(f"This store already has a product with SKU {value}.")
        return value

    def validate_parent(self, value: int | None) -> Product | None:
        if value is None:
            return None
        parent = products_of(store=self.context["store"]).filter(pk=value).first()
        if parent is None:
            raise serializers.ValidationError(f"This store has no product {value}.")
        if parent.parent_id is not None:
            raise serializers.ValidationError("The main product must not itself be a variant.")
        current = self.context.get("product")
        if current is not None and (parent.pk == current.pk or current.variants.exists()):
            raise serializers.ValidationError("A product cannot be its own variant, nor a main product a variant.")
        return parent


class ChannelStatusSerializer(serializers.Serializer):
    connection_state = serializers.CharField(help_text="not_connected, connected, needs_reconnect or disconnected.")
    connection_state_display = serializers.CharField(source="get_connection_state_display")
    is_active = serializers.BooleanField(help_text="Whether the channel is switched on (sync runs).")


class ChannelTaxMappingSerializer(serializers.ModelSerializer):
    """Which Xero tax type lines of one store rate and kind go out as (set on the channel page)."""

    xero_tax_type = serializers.CharField(source="tax_type", help_text="One of the organisation's sales tax types.")

    class Meta:
        model = ChannelTaxMapping
        fields = ["rate", "line_kind", "xero_tax_type", "origin"]
        read_only_fields = fields
        extra_kwargs = {"origin": {"help_text": "prefilled (the only sales tax type at the rate) or chosen."}}


class AccountingChannelSerializer(serializers.ModelSerializer):
    """A store's accounting channel: never its client secret nor its tokens."""

    status = ChannelStatusSerializer(source="*", read_only=True)
    xero_organisation_name = serializers.SerializerMethodField()
    tax_mapping = ChannelTaxMappingSerializer(source="tax_mappings", many=True, read_only=True)

    class Meta:
        model = AccountingChannel
        fields = ["id", "name", "provider", "account_nominal_code", "status", "xero_organisation_name", "tax_mapping"]
        read_only_fields = fields

    def get_xero_organisation_name(self, channel: AccountingChannel) -> str | None:
        """Return the connected Xero organisation's name, or None when there is none."""
        return channel.tenant_name or None


def product_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Return validated product input as keyword arguments of the product services."""
    return {name: data[name] for name in ("sku", "name", "description", "unit_price", "parent") if name in data}


class SummaryEntrySerializer(serializers.Serializer):
    """A store invoice (or an adjustment to one, or a payment) in a daily summary."""

    invoice = serializers.IntegerField(source="invoice_id")
    number = serializers.CharField()
    amount = serializers.DecimalField(source="total", max_digits=16, decimal_places=2)
    adjusts = serializers.DateField(
        allow_null=True, help_text="For an adjustment: the earlier day it corrects; null otherwise."
    )
    method = serializers.CharField(help_text="Payments: the store's payment method.")
    sent = serializers.BooleanField(help_text="Whether Xero holds it (with the summary, or as its payment).")


class DailySummarySerializer(serializers.Serializer):
    """One Xero invoice for a store day, currency and tax mode (posting per day), and what it covers."""

    id = serializers.IntegerField(source="summary.pk")
    channel = serializers.IntegerField(source="summary.channel_id")
    day = serializers.DateField(source="summary.day")
    currency = serializers.CharField(source="summary.currency")
    tax_mode = serializers.CharField(source="summary.tax_mode")
    number = serializers.CharField(source="summary.number", help_text="Its InvoiceNumber in Xero.")
    state = serializers.CharField(help_text="pending (until its day closes), sending, in_xero, failed, waiting")
    state_label = serializers.CharField()
    last_error = serializers.CharField()
    xero_id = serializers.CharField(source="summary.xero_id")
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    paid = serializers.DecimalField(max_digits=16, decimal_places=2)
    invoices = SummaryEntrySerializer(source="entries", many=True)
    payments = SummaryEntrySerializer(many=True)


class PayoutInputSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=255, help_text="The gateway's payout reference, unique per store.")
    method = serializers.CharField(max_length=50, help_text='The payment method it pays out: "card", "paypal", ...')
    currency = serializers.CharField(max_length=3, help_text="The store's currency.")
    date = serializers.DateField(help_text="The day the money reached the bank.")
    gross = serializers.DecimalField(max_digits=20, decimal_places=6, help_text="The payments it settles, in all.")
    fees = serializers.DecimalField(max_digits=20, decimal_places=6, help_text="The gateway's fees taken from it.")
    net = serializers.DecimalField(
        max_digits=20, decimal_places=6, help_text="What reached the bank: gross − fees, to the cent."
    )
    payments = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_null=True, default=None, max_length=1000,
        help_text="The ids of the store payments it settles (their sum must be gross).",
    )  # fmt: skip


class PayoutSerializer(serializers.ModelSerializer):
    """A payout as read. Its `sync` comes from `context["sync"]` ({payout id: badges})."""

    payments: serializers.PrimaryKeyRelatedField[Payment] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    sync = serializers.SerializerMethodField(help_text="Its state in each accounting channel of the store.")

    def get_sync(self, payout: Payout) -> list[dict[str, Any]]:
        badges = self.context.get("sync", {}).get(payout.pk, [])
        return [
            {"channel": b.channel_id, "channel_name": b.channel_name, "state": b.key, "state_label": b.label,
             "xero_id": b.xero_id, "last_error": b.last_error}
            for b in badges
        ]  # fmt: skip

    class Meta:
        model = Payout
        fields = ["id", "store", "reference", "method", "currency", "date", "gross", "fees", "net", "payments",
                  "sync", "created_at"]  # fmt: skip
        read_only_fields = fields
