"""Django admin of accounting channels across all organizations.

Secrets are write-only (only whether one is stored is shown); the token set is never shown. "Is Active" changes only
through the Activate / Deactivate actions, which apply the same rules as the portal.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.debug import sensitive_post_parameters

from accounting import services
from accounting.books.line_accounts import channel_line_accounts_set, line_accounts_check
from accounting.books.payment_accounts import channel_payment_accounts_check, channel_payment_accounts_set
from accounting.books.tax_mapping import channel_tax_mapping_check, channel_tax_mapping_set
from accounting.checks.preflight import channel_switch_on
from accounting.checks.staff import channels_health
from accounting.models import (
    SENDING_SETTINGS,
    AccountingChannel,
    ChannelEvent,
    ChannelLineAccounts,
    ChannelPaymentAccount,
    ChannelTaxMapping,
    payment_method_key,
)
from stores.models import Store


def activated_message(*, count: int) -> str:
    return f"{count} channel(s) activated."


class ChannelAdminForm(forms.ModelForm):
    new_client_secret = forms.CharField(
        label="Client Secret",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave blank to keep the stored secret.",
    )

    class Meta:
        model = AccountingChannel
        fields = [
            "store",
            "provider",
            "name",
            "client_id",
            *SENDING_SETTINGS,
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and self.instance.is_active and "invoice_number_prefix" in cleaned:
            # The same one-active rules as the portal (the database constraint backs them up).
            candidate = copy.copy(self.instance)
            candidate.invoice_number_prefix = cleaned["invoice_number_prefix"]
            services.channel_active_rules_check(channel=candidate)
        return cleaned


class ChannelEventInline(admin.TabularInline):
    model = ChannelEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "message", "user"]
    readonly_fields = ["created_at", "kind", "message", "user"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccountingChannel)
class AccountingChannelAdmin(admin.ModelAdmin):
    form = ChannelAdminForm
    list_display = [
        "name",
        "store_link",
        "organization",
        "provider",
        "connection_state",
        "is_active",
        "tenant_name",
        "client_secret_stored",
        "connected_at",
    ]
    list_filter = [
        "provider",
        "connection_state",
        "is_active",
        ("store__organization", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["store__organization"]
    search_fields = ["name", "store__name", "tenant_name", "client_id"]
    actions = ["activate", "deactivate"]
    inlines = [ChannelEventInline]
    change_list_template = "admin/accounting/accountingchannel/change_list.html"
    readonly_fields = [
        "client_secret_stored",
        "is_active",
        "connection_state",
        "state_reason",
        "tenant_id",
        "tenant_name",
        "connection_id",
        "connected_at",
        "last_token_refresh_at",
        "token_expires_at",
        "scopes",
    ]
    fieldsets = [
        (None, {"fields": ["store", "provider", "name", "is_active"]}),
        ("Xero app", {"fields": ["client_id", "client_secret_stored", "new_client_secret"]}),
        (
            "Sending",
            {"fields": list(SENDING_SETTINGS)},
        ),
        (
            "Connection",
            {
                "fields": [
                    "connection_state",
                    "state_reason",
                    "tenant_name",
                    "tenant_id",
                    "connection_id",
                    "connected_at",
                    "last_token_refresh_at",
                    "token_expires_at",
                    "scopes",
                ]
            },
        ),
    ]

    @admin.display(description="Store", ordering="store__name")
    def store_link(self, obj: AccountingChannel) -> SafeString:
        url = reverse("admin:stores_store_change", args=[obj.store_id]) if self._store_admin() else ""
        return format_html('<a href="{}">{}</a>', url, obj.store.name) if url else format_html("{}", obj.store.name)

    @admin.display(description="Organization", ordering="store__organization__name")
    def organization(self, obj: AccountingChannel) -> str:
        return obj.store.organization.name

    @admin.display(description="Client Secret")
    def client_secret_stored(self, obj: AccountingChannel) -> str:
        # Write-only: whether a secret is stored, never any of its characters.
        return "stored" if obj.client_secret else "—"

    def _store_admin(self) -> bool:
        return self.admin_site.is_registered(Store)

    @method_decorator(sensitive_post_parameters("new_client_secret"))
    def changeform_view(self, *args: Any, **kwargs: Any) -> Any:
        return super().changeform_view(*args, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A channel that was connected keeps its record of what was sent (see channel_delete).
        if obj is not None and obj.connected_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would bypass the rule above
        return actions

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A channel stays with its store and provider; connection fields change only by connecting.
        return [*self.readonly_fields, "store", "provider"] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: AccountingChannel, form: forms.ModelForm, change: bool) -> None:
        new_secret = form.cleaned_data.get("new_client_secret")
        if new_secret:
            obj.client_secret = new_secret
        if change and "client_id" in form.changed_data:
            services.channel_client_id_changed(channel=obj)
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[Any]:
        health = path(
            "health/", self.admin_site.admin_view(self.health_view), name="accounting_accountingchannel_health"
        )
        return [health, *super().get_urls()]

    def health_view(self, request: HttpRequest) -> TemplateResponse:
        """The staff page: every organisation's channels, those needing reconnect, failing, with a
        refresh token near expiry, their backlog and last success; Activate/Deactivate from here."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "health": channels_health(), "opts": self.model._meta}
        return TemplateResponse(request, "admin/accounting/accountingchannel/health.html", context)

    @admin.action(description="Activate")
    def activate(self, request: HttpRequest, queryset: QuerySet[AccountingChannel]) -> None:
        done = 0
        for channel in queryset.select_related("store"):
            try:
                report = channel_switch_on(channel=channel, user=request.user)  # type: ignore[arg-type]
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{channel.name}: {' '.join(exc.messages)}", level=messages.ERROR)
            else:
                if report.warnings:
                    self.message_user(request, f"{channel.name}: {report.summary()}", level=messages.WARNING)
        if done:
            self.message_user(request, activated_message(count=done), level=messages.SUCCESS)

    @admin.action(description="Deactivate")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[AccountingChannel]) -> None:
        done = 0
        for channel in queryset:
            services.channel_deactivate(channel=channel, user=request.user)  # type: ignore[arg-type]
            done += 1
        self.message_user(request, f"{done} channel(s) deactivated.", level=messages.SUCCESS)


class ChannelTaxMappingAdminForm(forms.ModelForm):
    class Meta:
        model = ChannelTaxMapping
        fields = ["channel", "rate", "line_kind", "tax_type"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # On a change the channel, rate and kind are read-only: take them from the row.
        channel = cleaned.get("channel") or getattr(self.instance, "channel", None)
        rate = cleaned.get("rate", self.instance.rate)
        kind = cleaned.get("line_kind", self.instance.line_kind)
        if channel is not None and rate is not None and cleaned.get("tax_type"):
            # The same rule as the channel page: one of the organisation's sales tax types at that rate.
            channel_tax_mapping_check(channel=channel, choices={(rate, kind): cleaned["tax_type"]})
        return cleaned


@admin.register(ChannelTaxMapping)
class ChannelTaxMappingAdmin(admin.ModelAdmin):
    """Channels' tax mappings; a save goes through the same service as the channel page (checked
    against the organisation's tax rates, and retrying the invoices that waited for it)."""

    form = ChannelTaxMappingAdminForm
    list_display = ["channel", "organization", "rate", "line_kind", "tax_type", "origin", "chosen_by", "updated_at"]
    list_filter = ["origin", "line_kind", ("channel__store__organization", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["channel__store__organization", "chosen_by"]
    search_fields = ["channel__name", "channel__store__name", "tax_type"]
    readonly_fields = ["origin", "chosen_by", "updated_at"]
    raw_id_fields = ["channel"]

    @admin.display(description="Organization", ordering="channel__store__organization__name")
    def organization(self, obj: ChannelTaxMapping) -> str:
        return obj.channel.store.organization.name

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A row stays the mapping of its channel, rate and kind; only its tax type changes.
        fixed = ["channel", "rate", "line_kind"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: ChannelTaxMapping, form: forms.ModelForm, change: bool) -> None:
        retried = channel_tax_mapping_set(
            channel=obj.channel,
            choices={(obj.rate, obj.line_kind): obj.tax_type},
            user=request.user,  # type: ignore[arg-type]
        )
        saved = ChannelTaxMapping.objects.get(channel=obj.channel, rate=obj.rate, line_kind=obj.line_kind)
        obj.pk, obj.origin, obj.chosen_by = saved.pk, saved.origin, saved.chosen_by
        if retried:
            self.message_user(request, f"{retried} invoice(s) that waited for this mapping were queued again.")


class ChannelLineAccountsAdminForm(forms.ModelForm):
    class Meta:
        model = ChannelLineAccounts
        fields = ["channel", "discount_mode", "shipping_account", "discount_account", "gift_card_account",
                  "rounding_account"]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        channel = cleaned.get("channel") or getattr(self.instance, "channel", None)
        if channel is not None:
            # The same rule as the channel page: accounts from the organisation's chart that suit.
            values = {name: str(cleaned.get(name) or "") for name in self.Meta.fields if name != "channel"}
            line_accounts_check(channel=channel, values=values)
        return cleaned


@admin.register(ChannelLineAccounts)
class ChannelLineAccountsAdmin(admin.ModelAdmin):
    """Channels' line accounts; a save goes through the same service as the channel page."""

    form = ChannelLineAccountsAdminForm
    list_display = ["channel", "discount_mode", "shipping_account", "discount_account", "gift_card_account",
                    "rounding_account", "rounding_tax_type", "updated_by", "updated_at"]  # fmt: skip
    list_select_related = ["channel__store__organization", "updated_by"]
    search_fields = ["channel__name", "channel__store__name"]
    readonly_fields = ["rounding_tax_type", "updated_by", "updated_at"]
    raw_id_fields = ["channel"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["channel", *self.readonly_fields] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ChannelLineAccounts, form: forms.ModelForm, change: bool) -> None:
        fields = ChannelLineAccountsAdminForm.Meta.fields
        values = {name: str(getattr(obj, name)) for name in fields if name != "channel"}
        retried = channel_line_accounts_set(channel=obj.channel, values=values, user=request.user)  # type: ignore[arg-type]
        obj.pk = ChannelLineAccounts.objects.get(channel=obj.channel).pk
        if retried:
            self.message_user(request, f"{retried} invoice(s) that waited for these accounts were queued again.")


class ChannelPaymentAccountAdminForm(forms.ModelForm):
    class Meta:
        model = ChannelPaymentAccount
        fields = ["channel", "method", "account_id"]
        help_texts = {
            "method": "The store's payment method label (blank: the channel's default).",
            "account_id": "The AccountID of one of the organisation's bank or payment-enabled accounts.",
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        channel = cleaned.get("channel") or getattr(self.instance, "channel", None)
        method = cleaned.get("method", self.instance.method) or ""
        if channel is not None and cleaned.get("account_id"):
            # The same rule as the channel page: one of the organisation's payment accounts.
            channel_payment_accounts_check(channel=channel, choices={method: cleaned["account_id"]})
        return cleaned


@admin.register(ChannelPaymentAccount)
class ChannelPaymentAccountAdmin(admin.ModelAdmin):
    """Channels' payment accounts per method; a save goes through the same service as the channel page
    (checked against the organisation's accounts, retrying the payments that waited for it)."""

    form = ChannelPaymentAccountAdminForm
    list_display = ["channel", "organization", "method", "account_name", "account_code", "chosen_by", "updated_at"]
    list_filter = [("channel__store__organization", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["channel__store__organization", "chosen_by"]
    search_fields = ["channel__name", "channel__store__name", "method", "account_name", "account_code"]
    readonly_fields = ["account_code", "account_name", "chosen_by", "updated_at"]
    raw_id_fields = ["channel"]

    @admin.display(description="Organization", ordering="channel__store__organization__name")
    def organization(self, obj: ChannelPaymentAccount) -> str:
        return obj.channel.store.organization.name

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["channel", "method"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: ChannelPaymentAccount, form: forms.ModelForm, change: bool) -> None:
        retried = channel_payment_accounts_set(
            channel=obj.channel,
            choices={obj.method: obj.account_id},
            user=request.user,  # type: ignore[arg-type]
        )
        saved = ChannelPaymentAccount.objects.get(channel=obj.channel, method=payment_method_key(obj.method))
        obj.pk, obj.account_code, obj.account_name, obj.chosen_by = (
            saved.pk,
            saved.account_code,
            saved.account_name,
            saved.chosen_by,
        )
        if retried:
            self.message_user(
                request, f"{retried} payment(s) or refund(s) that waited for this account were queued again."
            )
