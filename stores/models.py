"""A merchant's stores and their commerce records: products, invoices and invoice lines."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from organizations.models import Organization

from .money import LineAmounts, invoice_totals, line_amounts

currency_code = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 currency code, e.g. GBP.")


def time_zone_name(value: str) -> None:
    """Refuse a name that is not an IANA time zone."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone: use an IANA name, e.g. Europe/London.")


percent = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Platform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    MAGENTO = "magento", "Magento"
    BIGCOMMERCE = "bigcommerce", "BigCommerce"
    CUSTOM = "custom", "Custom"


class Store(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="stores")
    name = models.CharField(max_length=200)
    platform = models.CharField(max_length=20, choices=Platform.choices, default=Platform.CUSTOM)
    currency = models.CharField(max_length=3, default="GBP", validators=[currency_code])
    # The store's days (a daily summary's day, when a day has closed) are days in this zone.
    time_zone = models.CharField(
        "Time zone", max_length=64, default="UTC", validators=[time_zone_name],
        help_text="An IANA time zone, e.g. Europe/London: the store's days begin and end in it.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="store_unique_name_per_organization")
        ]

    def __str__(self) -> str:
        return self.name

    def today(self) -> dt.date:
        """Return the store's date now, in its time zone."""
        return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(self.time_zone)).date()

    def day_end(self, day: dt.date) -> dt.datetime:
        """Return the instant the store's `day` ends (midnight after it, in the store's zone)."""
        zone = zoneinfo.ZoneInfo(self.time_zone)
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)


class Product(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="products")
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    # A variant points at its main product; a main product has no parent.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="variants", verbose_name="main product"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku", "pk"]
        constraints = [models.UniqueConstraint(fields=["store", "sku"], name="product_unique_sku_per_store")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Awaiting payment"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


# Paid and void invoices change only through payments and refunds (stores.services).
FINAL_STATUSES = (InvoiceStatus.PAID, InvoiceStatus.VOID)


class TaxMode(models.TextChoices):
    """How the invoice's unit prices treat tax (Xero's LineAmountTypes)."""

    EXCLUSIVE = "exclusive", "Tax exclusive"
    INCLUSIVE = "inclusive", "Tax inclusive"
    NO_TAX = "no_tax", "No tax"


class LineKind(models.TextChoices):
    PRODUCT = "product", "Product"
    SHIPPING = "shipping", "Shipping"
    DISCOUNT = "discount", "Discount"
    GIFT_CARD_SOLD = "gift_card_sold", "Gift card sold"
    GIFT_CARD_REDEEMED = "gift_card_redeemed", "Gift card redeemed"


# Lines that take money off the invoice: their unit price is negative, the others' never is.
NEGATIVE_KINDS = (LineKind.DISCOUNT, LineKind.GIFT_CARD_REDEEMED)


class Invoice(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(max_length=50)
    customer_name = models.CharField(max_length=200)
    customer_email = models.EmailField(blank=True)
    # The store's own customer id: Xero's ContactNumber, the stable key to find the contact again.
    customer_id = models.CharField("customer id", max_length=64, blank=True)
    customer_first_name = models.CharField(max_length=255, blank=True)
    customer_last_name = models.CharField(max_length=255, blank=True)
    customer_phone = models.CharField(max_length=50, blank=True)
    customer_address_line1 = models.CharField("address line 1", max_length=500, blank=True)
    customer_address_line2 = models.CharField("address line 2", max_length=500, blank=True)
    customer_city = models.CharField("city", max_length=255, blank=True)
    customer_region = models.CharField("region", max_length=255, blank=True)
    customer_postal_code = models.CharField("postal code", max_length=50, blank=True)
    customer_country = models.CharField("country", max_length=50, blank=True)
    currency = models.CharField(max_length=3, validators=[currency_code])
    # Xero's CurrencyRate: units of the invoice currency per one unit of the organisation's base currency.
    exchange_rate = models.DecimalField(
        max_digits=18,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text="Units of the invoice currency per one unit of the organisation's base currency.",
    )
    tax_mode = models.CharField(max_length=10, choices=TaxMode.choices, default=TaxMode.EXCLUSIVE)
    issue_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED)
    # Kept equal to the sum of the lines by `recalculate_totals` (see stores.money).
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total_tax = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    # Kept equal to the sums of the payments and refunds by stores.services.
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False)
    amount_credited = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False)
    amount_refunded = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="invoice_unique_number_per_store")]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.status == InvoiceStatus.VOID and self.voided_at is None:
            self.voided_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "voided_at"}
        super().save(*args, **kwargs)

    @property
    def amount_due(self) -> Decimal:
        """What the customer still owes: the total less payments and credits, plus money given back."""
        return self.total - self.amount_paid - self.amount_credited + self.amount_refunded

    @property
    def has_money_movements(self) -> bool:
        """Whether payments or refunds were recorded (the lines are then fixed)."""
        return bool(self.amount_paid or self.amount_credited)

    def clean(self) -> None:
        """The invoice's own rules (its lines are checked by `stores.services.invoice_lines_check`)."""
        errors: dict[str, list[str]] = {}
        if self.issue_date and self.due_date and self.due_date < self.issue_date:
            errors.setdefault("due_date", []).append("The due date cannot be before the issue date.")
        if self.number and self.store_id:
            others = Invoice.objects.filter(store_id=self.store_id, number=self.number.strip())
            if self.pk:
                others = others.exclude(pk=self.pk)
            if others.exists():
                errors.setdefault("number", []).append(
                    f"This store already has an invoice numbered {self.number.strip()}."
                )
        stored = Invoice.objects.filter(pk=self.pk).values("status", "tax_mode").first() if self.pk else None
        if stored is not None and stored["status"] in FINAL_STATUSES:
            label = InvoiceStatus(stored["status"]).label.lower()
            errors.setdefault("__all__", []).append(f"A {label} invoice cannot be changed.")
        elif self.status == InvoiceStatus.PAID and (stored is None or stored["status"] != InvoiceStatus.PAID):
            errors.setdefault("status", []).append(
                "An invoice becomes paid when its payments cover the total: record a payment instead."
            )
        if stored is not None and stored["tax_mode"] != self.tax_mode and self.has_money_movements:
            errors.setdefault("tax_mode", []).append(
                "This invoice has payments or refunds: its tax mode can no longer change."
            )
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude: Any = None) -> None:
        # The unique number is checked in clean(), as an error of the number field.
        super().validate_constraints(exclude={*(exclude or ()), "number"})

    def recalculate_totals(self, *, save: bool = True) -> None:
        """Set subtotal, tax and total from the lines (already rounded per line)."""
        totals = invoice_totals(line.amounts for line in self.lines.all())
        self.subtotal, self.total_tax, self.total = totals.subtotal, totals.total_tax, totals.total
        if save:
            self.save(update_fields=["subtotal", "total_tax", "total", "updated_at"])


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=LineKind.choices, default=LineKind.PRODUCT)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoice_lines")
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    # Negative for discount and gift-card-redeemed lines, never negative for the others.
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    tax_rate = models.DecimalField(
        "tax rate (%)", max_digits=5, decimal_places=2, default=Decimal("0"), validators=percent
    )
    discount_rate = models.DecimalField(
        "discount (%)", max_digits=5, decimal_places=2, default=Decimal("0"), validators=percent
    )
    # Xero's LineAmount in the invoice's tax mode (tax inclusive for inclusive invoices).
    line_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False)
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.description

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        amounts = self.amounts
        self.line_amount, self.tax_amount = amounts.line_amount, amounts.tax_amount
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.unit_price is None:
            return
        if self.kind in NEGATIVE_KINDS and self.unit_price >= 0:
            label = LineKind(self.kind).label.lower()
            raise ValidationError({"unit_price": f"A {label} line takes money off: its unit price must be negative."})
        if self.kind not in NEGATIVE_KINDS and self.unit_price < 0:
            raise ValidationError(
                {"unit_price": "The unit price cannot be negative (use a discount or gift card redeemed line)."}
            )

    @property
    def amounts(self) -> LineAmounts:
        return line_amounts(
            quantity=self.quantity,
            unit_price=self.unit_price,
            tax_rate=self.tax_rate,
            discount_rate=self.discount_rate,
            tax_mode=self.invoice.tax_mode,
        )

    @property
    def gross_amount(self) -> Decimal:
        """What the customer pays for this line, tax included (the most a refund of it can give back)."""
        return self.amounts.gross_amount


class PaymentSource(models.TextChoices):
    STORE = "store", "Store"
    XERO = "xero", "Xero"


class Payout(models.Model):
    """Money a payment gateway paid into the merchant's bank for payments of one method: `gross` of
    payments less the gateway's `fees` is the `net` that lands in the bank as one line. Recorded by
    `stores.payouts.payout_record` only; `payments` (optional) are the store payments it settles."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="payouts")
    reference = models.CharField(max_length=255)
    method = models.CharField(max_length=50)
    currency = models.CharField(max_length=3, validators=[currency_code])
    date = models.DateField()
    gross = models.DecimalField(max_digits=14, decimal_places=2)
    fees = models.DecimalField(max_digits=14, decimal_places=2)
    net = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["store", "reference"], name="payout_unique_reference_per_store")]

    def __str__(self) -> str:
        return f"Payout {self.reference} ({self.net} {self.currency})"


class Payment(models.Model):
    """Money received against an invoice. Recorded by `stores.payments.payment_record` only."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    date = models.DateField()
    # A free label the store sends ("card", "paypal", "bank_transfer", ...).
    method = models.CharField(max_length=50)
    reference = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=10, choices=PaymentSource.choices, default=PaymentSource.STORE)
    # The Xero PaymentID of a payment made in Xero: the key that keeps it from being recorded twice.
    xero_payment_id = models.CharField("Xero payment id", max_length=64, blank=True)
    # The gateway payout that settled it (one payout per payment at most).
    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "xero_payment_id"],
                condition=~Q(xero_payment_id=""),
                name="payment_unique_xero_payment_per_invoice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.method} on {self.date}"


class Refund(models.Model):
    """A credit of `amount` against an invoice (a credit note in Xero), of which `amount_returned`
    went back to the customer as money (by `method`); the rest lowers what the customer owes.

    Recorded by `stores.payments.refund_record` only."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="refunds")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    date = models.DateField()
    reason = models.CharField(max_length=255, blank=True)
    # The part of `amount` that went back to the customer as money (0: a credit only).
    amount_returned = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    # How the money went back; blank: a credit only, no money went back to the customer.
    method = models.CharField(max_length=50, blank=True)
    reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return f"Refund {self.amount} on {self.date}"

    @property
    def money_returned(self) -> bool:
        return self.amount_returned > 0

    @property
    def amount_kept(self) -> Decimal:
        """The part of the credit not returned as money: it lowers what the customer owes."""
        return self.amount - self.amount_returned


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.RESTRICT, related_name="refund_lines")
    quantity = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    # The tax-inclusive amount refunded for that line.
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.invoice_line}"
