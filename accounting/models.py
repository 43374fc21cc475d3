"""Accounting channels: where a store's invoices and products are sent, and the connection to it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from accounting.providers import provider_choices
from channels_portal.encryption import EncryptedJSONField, EncryptedTextField
from stores.models import Store


class ConnectionState(models.TextChoices):
    NOT_CONNECTED = "not_connected", "Not connected"
    CONNECTED = "connected", "Connected"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
    DISCONNECTED = "disconnected", "Disconnected"


class InvoiceStatusToCreate(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    AUTHORISED = "AUTHORISED", "Awaiting Payment"


class LineAmountType(models.TextChoices):
    EXCLUSIVE = "Exclusive", "Tax exclusive"
    INCLUSIVE = "Inclusive", "Tax inclusive"
    NO_TAX = "NoTax", "No tax"


account_code = RegexValidator(r"^[A-Za-z0-9._-]{1,10}$", "Use a Xero account code: up to 10 letters or digits.")


# How a channel sends (everything the user sets besides its name and Xero app credentials);
# the form, the admin and the services list these fields from here.
SENDING_SETTINGS = (
    "account_nominal_code",
    "add_products",
    "create_nonexistent_products",
    "invoice_status",
    "invoice_number_prefix",
)


class AccountingChannel(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="accounting_channels")
    provider = models.CharField(max_length=20, choices=provider_choices(), default="xero")
    name = models.CharField("Channel Name", max_length=100)
    account_nominal_code = models.CharField(
        "Account Nominal Code",
        max_length=10,
        blank=True,
        validators=[account_code],
        help_text="The Xero account code for sales lines. Blank: the organisation's default sales account.",
    )
    client_id = models.CharField("Client ID", max_length=100)
    client_secret = EncryptedTextField("Client Secret", blank=True)
    add_products = models.BooleanField("Add Products to Xero", default=False)
    create_nonexistent_products = models.BooleanField("Create Nonexistent Products", default=False)
    invoice_status = models.CharField(
        "Invoice status in Xero",
        max_length=12,
        choices=InvoiceStatusToCreate.choices,
        default=InvoiceStatusToCreate.AUTHORISED,
    )
    line_amount_type = models.CharField(
        "Line amounts", max_length=10, choices=LineAmountType.choices, default=LineAmountType.EXCLUSIVE
    )
    invoice_number_prefix = models.CharField("Invoice number prefix", max_length=10, blank=True)
    # Daily summaries (posting periods of `ChannelPostingPeriod`): whom they are to, and how long
    # after the store's day ends it is sent (late invoices of the day still join it).
    summary_contact_name = models.CharField(
        "Summary contact", max_length=255, blank=True, db_default="",
        help_text="The Xero contact daily summaries are made out to. Blank: “<store name> sales”.",
    )  # fmt: skip
    summary_grace_minutes = models.PositiveIntegerField(
        "Grace period (minutes)", default=30, db_default=30,
        help_text="How long after the store's day ends its summary is sent.",
    )  # fmt: skip
    is_active = models.BooleanField("Is Active", default=False)

    # Connection to the provider.
    connection_state = models.CharField(
        max_length=20, choices=ConnectionState.choices, default=ConnectionState.NOT_CONNECTED
    )
    state_reason = models.TextField(blank=True)
    tenant_id = models.CharField("Xero tenant id", max_length=64, blank=True, db_index=True)
    tenant_name = models.CharField("Xero organisation", max_length=255, blank=True)
    connection_id = models.CharField(max_length=64, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_token_refresh_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=500, blank=True)
    token_set = EncryptedJSONField(null=True, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store__name", "name", "pk"]
        constraints = [
            # The services explain these rules to users; the database makes them hold under races.
            models.UniqueConstraint(
                fields=["store"], condition=Q(is_active=True), name="accounting_one_active_channel_per_store"
            ),
            models.UniqueConstraint(
                fields=["tenant_id", "invoice_number_prefix"],
                condition=Q(is_active=True) & ~Q(tenant_id=""),
                name="accounting_one_active_channel_per_tenant_prefix",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"

    @property
    def is_connected(self) -> bool:
        return self.connection_state == ConnectionState.CONNECTED

    @property
    def is_sending(self) -> bool:
        """Return whether the sync engine may send for this channel now."""
        return self.is_active and self.is_connected

    def granted_scopes(self) -> set[str]:
        """Return the scopes the connection's consent granted (from its token set when not recorded)."""
        granted = set(self.scopes.split())
        if not granted and isinstance(self.token_set, dict):
            granted = set(self.token_set.get("scope") or [])
        return granted


class AuthorizationOutcome(models.TextChoices):
    PENDING = "pending", "Waiting for Xero"
    CHOOSING = "choosing", "Choosing an organisation"
    CONNECTED = "connected", "Connected"
    DENIED = "denied", "Access not granted"
    FAILED = "failed", "Failed"


class ChannelAuthorization(models.Model):
    """One trip to Xero's consent page: its single-use state, PKCE verifier and outcome.

    Only a digest of the state is stored; the state itself lives in the browser's session and
    in the URL. While the user picks one of several organisations the token set waits here,
    encrypted (sessions are not).
    """

    channel = models.ForeignKey(AccountingChannel, on_delete=models.CASCADE, related_name="authorizations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state_digest = models.CharField(max_length=64, unique=True)
    code_verifier = EncryptedTextField()
    redirect_uri = models.CharField(max_length=500)
    outcome = models.CharField(
        max_length=10, choices=AuthorizationOutcome.choices, default=AuthorizationOutcome.PENDING
    )
    token_set = EncryptedJSONField(null=True, blank=True)
    # The organisations offered when there are several: [{"id", "tenant_id", "tenant_name"}, …].
    connections = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Authorization {self.pk} of {self.channel_id} ({self.outcome})"


class ChannelEventKind(models.TextChoices):
    CREATED = "created", "Created"
    CONNECTED = "connected", "Connected"
    DISCONNECTED = "disconnected", "Disconnected"
    ACTIVATED = "activated", "Activated"
    DEACTIVATED = "deactivated", "Deactivated"
    TOKEN_REFRESHED = "token_refreshed", "Token refreshed"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"


class ChannelEvent(models.Model):
    """The history of a channel's connection, shown on its page and kept after a disconnect."""

    channel = models.ForeignKey(AccountingChannel, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=ChannelEventKind.choices)
    message = models.CharField(max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["channel", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class LineKind(models.TextChoices):
    """What an invoice line sells; each kind has its own tax mapping and its own account."""

    GOODS = "goods", "Goods"
    SHIPPING = "shipping", "Shipping"
    DISCOUNT = "discount", "Discounts"
    GIFT_CARD_SOLD = "gift_card_sold", "Gift cards sold"
    GIFT_CARD_REDEEMED = "gift_card_redeemed", "Gift cards redeemed"


# The store's line kinds (stores.models.LineKind values) as the channel maps them.
STORE_LINE_KINDS = {
    "product": LineKind.GOODS,
    "shipping": LineKind.SHIPPING,
    "discount": LineKind.DISCOUNT,
    "gift_card_sold": LineKind.GIFT_CARD_SOLD,
    "gift_card_redeemed": LineKind.GIFT_CARD_REDEEMED,
}


def line_kind_of(line: Any) -> str:
    """Return the channel's LineKind of a store invoice line (lines without a kind sell goods)."""
    return STORE_LINE_KINDS.get(str(getattr(line, "kind", "") or "product"), LineKind.GOODS)


def line_tax_key(line: Any, *, kind: str | None = None) -> tuple[Decimal, str]:
    """Return the (rate, line kind) a store invoice line is mapped by (`kind` overrides its own)."""
    return Decimal(line.tax_rate).quantize(Decimal("0.01")), kind or line_kind_of(line)


class TaxMappingOrigin(models.TextChoices):
    PREFILLED = "prefilled", "Pre-filled (the organisation's only sales tax type at this rate)"
    ACCOUNT_DEFAULT = "account", "Pre-filled from the account's default tax type"
    CHOSEN = "chosen", "Chosen by the operator"


class ChannelTaxMapping(models.Model):
    """Which of the organisation's sales tax types a store rate goes out as, per line kind.

    Never guessed: pre-filled only from what the organisation's own books say (the default tax
    type of the account the lines post to, or its only sales tax type at the rate), otherwise
    chosen by the operator (`books.tax_mapping`).
    """

    channel = models.ForeignKey(AccountingChannel, on_delete=models.CASCADE, related_name="tax_mappings")
    rate = models.DecimalField("store tax rate (%)", max_digits=5, decimal_places=2)
    line_kind = models.CharField(max_length=20, choices=LineKind.choices, default=LineKind.GOODS)
    tax_type = models.CharField("Xero tax type", max_length=50)
    origin = models.CharField(max_length=10, choices=TaxMappingOrigin.choices)
    # The Xero account whose default tax type pre-filled it (origin ACCOUNT_DEFAULT).
    source_account = models.CharField(max_length=10, blank=True, db_default="")
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel_id", "line_kind", "rate"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "rate", "line_kind"], name="accounting_tax_mapping_one_per_rate_and_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rate}% {self.line_kind} → {self.tax_type}"


class DiscountMode(models.TextChoices):
    LINE = "line", "On each line (Xero's line discount)"
    SEPARATE = "separate", "As its own line to the discount account"


class ChannelLineAccounts(models.Model):
    """Where a channel's shipping, discount, gift-card and rounding lines go in Xero.

    Never guessed: each account is chosen by the operator from the organisation's chart as last
    read from Xero (`chart`), and an invoice that needs an unset one waits, saying where to set it
    (`books.line_accounts`).
    """

    channel = models.OneToOneField(AccountingChannel, on_delete=models.CASCADE, related_name="line_accounts")
    shipping_account = models.CharField("Shipping account", max_length=10, blank=True)
    discount_mode = models.CharField(
        "Discounts", max_length=10, choices=DiscountMode.choices, default=DiscountMode.LINE
    )
    discount_account = models.CharField("Discount account", max_length=10, blank=True)
    gift_card_account = models.CharField("Gift card liability account", max_length=10, blank=True)
    rounding_account = models.CharField("Rounding account", max_length=10, blank=True)
    # The rounding account's own 0% tax type in Xero (rounding lines carry no tax).
    rounding_tax_type = models.CharField(max_length=50, blank=True)
    # The organisation's accounts and 0% tax types as last read from Xero, with the tenant read.
    chart = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "channel line accounts"
        verbose_name_plural = "channel line accounts"

    def __str__(self) -> str:
        return f"Line accounts of {self.channel}"


class PreflightLevel(models.TextChoices):
    OK = "ok", "Passed"
    WARNING = "warning", "Warning"
    FAILURE = "failure", "Failed"


class ChannelPreflight(models.Model):
    """The latest pre-flight of a channel (`accounting.checks.preflight`), shown on its page.

    `results`: [{"name", "level", "detail", "fix"}, …] in the order the checks ran.
    """

    channel = models.OneToOneField(AccountingChannel, on_delete=models.CASCADE, related_name="preflight")
    results = models.JSONField(default=list)
    blocked = models.BooleanField(default=False)
    ran_at = models.DateTimeField()
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Pre-flight of channel {self.channel_id} ({'blocked' if self.blocked else 'passed'})"


class AlertKind(models.TextChoices):
    NEEDS_RECONNECT = "needs_reconnect", "Channel needs reconnect"
    FAILURES = "failures", "Failures past the threshold"
    DAY_LIMIT = "day_limit", "Xero's daily limit reached"


class AlertEpisode(models.Model):
    """One stretch of a problem of a channel, from when it starts until it is resolved.

    The organization's owners and admins are e-mailed when an episode opens, never again for
    it; the portal shows a banner while it is open. A new episode (the problem came back after
    it was resolved) e-mails again.
    """

    channel = models.ForeignKey(AccountingChannel, on_delete=models.CASCADE, related_name="alert_episodes")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    detail = models.CharField(max_length=500, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    emailed_to = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "kind"], condition=Q(resolved_at__isnull=True), name="accounting_one_open_alert"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on channel {self.channel_id}{'' if self.resolved_at else ' (open)'}"


def payment_method_key(method: str) -> str:
    """Return the key a store's payment method label is matched by ("Card " and "card" are one)."""
    return " ".join(method.split()).casefold()


class ChannelPaymentAccount(models.Model):
    """The Xero account (a bank account, or one with "EnablePaymentsToAccount") that the store's
    payments and refunds of one method go to; `method` "" is the channel's default.

    Never guessed: the operator chooses it on the channel page (`books.payment_accounts`).
    """

    channel = models.ForeignKey(AccountingChannel, on_delete=models.CASCADE, related_name="payment_accounts")
    # The store's method label as matched (`payment_method_key`); "" for the default.
    method = models.CharField("payment method", max_length=50, blank=True)
    account_id = models.CharField("Xero AccountID", max_length=64)
    account_code = models.CharField("Xero account code", max_length=10, blank=True)
    account_name = models.CharField("Xero account name", max_length=150, blank=True)
    # Payouts of this method (`stores.Payout`): the bank account the gateway pays into, and the
    # expense account (with the tax type the operator chose) its fees go to. Blank: payouts wait.
    payout_account_id = models.CharField("Payout bank account (AccountID)", max_length=64, blank=True, db_default="")
    payout_account_name = models.CharField("Payout bank account", max_length=150, blank=True, db_default="")
    fees_account = models.CharField("Fees account", max_length=10, blank=True, db_default="")
    fees_tax_type = models.CharField("Fees tax type", max_length=50, blank=True, db_default="")
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel_id", "method"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "method"], name="accounting_payment_account_one_per_method")
        ]

    def __str__(self) -> str:
        label = self.account_name or self.account_code or self.account_id
        return f"{self.method or 'default'} → {label}"


class PostingMode(models.TextChoices):
    PER_INVOICE = "per_invoice", "One Xero invoice per store invoice"
    DAILY_SUMMARY = "daily_summary", "One summary invoice per day"


class ChannelPostingPeriod(models.Model):
    """From which store day on a channel posts one way: the mode of a day is that of the latest
    period starting on or before it (none: one Xero invoice per store invoice).

    Only ever added for days not yet sent either way (`accounting.services.posting`), so no store
    invoice is posted both ways.
    """

    channel = models.ForeignKey(AccountingChannel, on_delete=models.CASCADE, related_name="posting_periods")
    mode = models.CharField("Posting", max_length=20, choices=PostingMode.choices)
    starts_on = models.DateField("from")
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["channel_id", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "starts_on"], name="accounting_posting_period_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} from {self.starts_on}"


class ChannelTracking(models.Model):
    """The Xero tracking option every line the channel sends carries (none when unset), with
    options per country of the invoice's customer, and the organisation's categories as last read
    from Xero (`books.tracking`): {"tenant_id", "categories": [{id, name, options: [{id, name}]}]}."""

    channel = models.OneToOneField(AccountingChannel, on_delete=models.CASCADE, related_name="tracking")
    category_id = models.CharField("Xero TrackingCategoryID", max_length=64, blank=True)
    category_name = models.CharField("Tracking category", max_length=100, blank=True)
    option_id = models.CharField("Xero TrackingOptionID", max_length=64, blank=True)
    option_name = models.CharField("Tracking option", max_length=100, blank=True)
    # {"GB": {"option_id", "option_name"}, …}: the option of invoices to customers in a country.
    by_country = models.JSONField(default=dict, blank=True)
    categories = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "channel tracking"
        verbose_name_plural = "channel tracking"

    def __str__(self) -> str:
        return f"{self.category_name}: {self.option_name}" if self.option_id else "No tracking"
