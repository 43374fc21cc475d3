"""An organisation's books as the Accounting API exposes them."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from xero_sandbox.models.documents import DocumentLine, SalesDocument

share = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class Organisation(models.Model):
    """A Xero organisation (a tenant), with the fault knobs a tester can turn."""

    tenant_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=200, unique=True)
    short_code = models.CharField(max_length=10)
    base_currency = models.CharField(max_length=3, default="GBP")
    country_code = models.CharField(max_length=2, default="GB")
    timezone = models.CharField(max_length=50, default="GMTSTANDARDTIME")
    created_at = models.DateTimeField(auto_now_add=True)
    # Xero numbers sales invoices sent without an InvoiceNumber: INV-0001, INV-0002, …
    next_invoice_number = models.PositiveIntegerField(default=1)
    # … and sales credit notes sent without a CreditNoteNumber: CN-0001, CN-0002, …
    next_credit_note_number = models.PositiveIntegerField(default=1)
    # Xero's "extremely high volume" organisations refuse un-optimised filters (pyxero#373,
    # xero-python#148); the sandbox also treats an organisation as one above a size (settings).
    high_volume = models.BooleanField("High-volume organisation", default=False)
    # Documents dated on or before the period lock date are refused.
    lock_date = models.DateField("Period lock date", null=True, blank=True)
    # The Xero users (Django users of the same site) who may connect it on the consent page.
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="xero_sandbox.OrganisationUser",
        related_name="xero_sandbox_organisations",
        blank=True,
    )

    # Faults ------------------------------------------------------------------------------
    fault_latency_ms = models.PositiveIntegerField("Added latency (ms)", default=0)
    fault_500_share = models.FloatField("Share of 500 answers", default=0.0, validators=share)
    fault_503_share = models.FloatField("Share of 503 answers", default=0.0, validators=share)
    fault_drop_share = models.FloatField("Share of writes committed then answer dropped", default=0.0, validators=share)
    fault_ignore_idempotency = models.BooleanField("Ignore Idempotency-Key", default=False)
    fault_429_storm = models.BooleanField("429 storm (every call rate limited)", default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Currency(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="currencies")
    code = models.CharField(max_length=3)
    description = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="xs_currency_unique")]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Account(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="accounts")
    account_id = models.UUIDField(default=uuid.uuid4, unique=True)
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=150)
    type = models.CharField(max_length=30)
    account_class = models.CharField(max_length=20)
    status = models.CharField(max_length=10, default="ACTIVE")
    tax_type = models.CharField(max_length=50, blank=True)
    description = models.TextField(blank=True)
    enable_payments = models.BooleanField(default=False)
    system_account = models.CharField(max_length=30, blank=True)
    bank_account_number = models.CharField(max_length=50, blank=True)
    # A bank account's currency ("" = the organisation's base currency): Xero has foreign-currency
    # bank accounts, and their money is in their own currency.
    currency_code = models.CharField(max_length=3, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="xs_account_code_unique")]
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TaxRate(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tax_rates")
    name = models.CharField(max_length=100)
    tax_type = models.CharField(max_length=50)
    rate = models.DecimalField(max_digits=8, decimal_places=4)
    status = models.CharField(max_length=10, default="ACTIVE")
    report_tax_type = models.CharField(max_length=30, blank=True)
    can_apply_to_revenue = models.BooleanField(default=True)
    can_apply_to_expenses = models.BooleanField(default=True)
    can_apply_to_liabilities = models.BooleanField(default=True)
    can_apply_to_equity = models.BooleanField(default=True)
    can_apply_to_assets = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "tax_type"], name="xs_taxrate_unique")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.tax_type


class Contact(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contacts")
    contact_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=255)
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    email_address = models.CharField(max_length=255, blank=True)
    account_number = models.CharField(max_length=50, blank=True)
    contact_number = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=10, default="ACTIVE")
    is_customer = models.BooleanField(default=False)
    # As the API takes and renders them: [{"AddressType": "POBOX", "AddressLine1": …}], [{"PhoneType": …}].
    addresses = models.JSONField(default=list, blank=True)
    phones = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Names are unique among active contacts, even under concurrent writes.
            models.UniqueConstraint(
                fields=["organisation", "name"],
                condition=models.Q(status="ACTIVE"),
                name="xs_contact_active_name_unique",
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="items")
    item_id = models.UUIDField(default=uuid.uuid4, unique=True)
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=50, blank=True)
    description = models.TextField(blank=True)
    is_sold = models.BooleanField(default=True)
    is_purchased = models.BooleanField(default=True)
    sales_unit_price = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    sales_account_code = models.CharField(max_length=10, blank=True)
    sales_tax_type = models.CharField(max_length=50, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="xs_item_code_unique")]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Invoice(SalesDocument):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invoices")
    invoice_id = models.UUIDField(default=uuid.uuid4, unique=True)
    type = models.CharField(max_length=20, default="ACCREC")
    invoice_number = models.CharField(max_length=255, blank=True)
    url = models.CharField(max_length=500, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="invoices")
    # What allocated credit notes took off the invoice.
    amount_credited = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))

    class Meta(SalesDocument.Meta):
        constraints = [
            # Sales invoice numbers are unique per organisation, even under concurrent requests.
            models.UniqueConstraint(
                fields=["organisation", "invoice_number"],
                condition=models.Q(type="ACCREC") & ~models.Q(invoice_number=""),
                name="xs_invoice_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.invoice_number or str(self.invoice_id)

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited


class LineItem(DocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="line_items")
    # Xero's DiscountAmount (ACCREC only): LineAmount = Quantity × UnitAmount − DiscountAmount.
    discount_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta(DocumentLine.Meta):
        pass


class Payment(models.Model):
    """A payment against an invoice (ACCRECPAYMENT), or a refund paid out of a sales credit
    note's credit (ARCREDITPAYMENT): exactly one of `invoice` and `credit_note` is set."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payments", null=True, blank=True)
    credit_note = models.ForeignKey(
        "xero_sandbox.CreditNote", on_delete=models.CASCADE, related_name="payments", null=True, blank=True
    )
    payment_id = models.UUIDField(default=uuid.uuid4, unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments")
    date = models.DateField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    reference = models.CharField(max_length=255, blank=True)
    # AUTHORISED, or DELETED once removed (POST /Payments/{id} with Status DELETED).
    status = models.CharField(max_length=12, default="AUTHORISED")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    def __str__(self) -> str:
        return str(self.payment_id)
