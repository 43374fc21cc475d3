"""A merchant's stores and their commerce records: products, invoices and invoice lines."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from organizations.models import Organization

from .money import invoice_totals, line_amounts

currency_code = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 currency code, e.g. GBP.")
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="store_unique_name_per_organization")
        ]

    def __str__(self) -> str:
        return self.name


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


class Invoice(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(max_length=50)
    customer_name = models.CharField(max_length=200)
    customer_email = models.EmailField(blank=True)
    currency = models.CharField(max_length=3, validators=[currency_code])
    issue_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED)
    # Kept equal to the sum of the lines by `recalculate_totals` (see stores.money).
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total_tax = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="invoice_unique_number_per_store")]

    def __str__(self) -> str:
        return self.number

    def recalculate_totals(self, *, save: bool = True) -> None:
        """Set subtotal, tax and total from the lines (already rounded per line)."""
        totals = invoice_totals(line.amounts for line in self.lines.all())
        self.subtotal, self.total_tax, self.total = totals.subtotal, totals.total_tax, totals.total
        if save:
            self.save(update_fields=["subtotal", "total_tax", "total", "updated_at"])


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoice_lines")
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    tax_rate = models.DecimalField(
        "tax rate (%)", max_digits=5, decimal_places=2, default=Decimal("0"), validators=percent
    )
    discount_rate = models.DecimalField(
        "discount (%)", max_digits=5, decimal_places=2, default=Decimal("0"), validators=percent
    )
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

    @property
    def amounts(self):  # type: ignore[no-untyped-def]
        return line_amounts(
            quantity=self.quantity,
            unit_price=self.unit_price,
            tax_rate=self.tax_rate,
            discount_rate=self.discount_rate,
        )
