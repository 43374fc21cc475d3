"""Django admin for the sandbox: organisations with their fault knobs, apps, logs."""

from django.contrib import admin

from .models import DeveloperApp, Organisation, OrganisationUser, RequestLog, WebhookDelivery
from .services.organisations import FAULT_FIELDS


class OrganisationUserInline(admin.TabularInline):
    """The Xero users (users of this site) who may pick the organisation on the consent page."""

    model = OrganisationUser
    extra = 1
    autocomplete_fields = ["user"]
    readonly_fields = ["granted_at"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    inlines = [OrganisationUserInline]
    list_display = ["name", "tenant_id", "base_currency", *FAULT_FIELDS]
    fieldsets = [
        (None, {"fields": ["name", "tenant_id", "short_code", "base_currency", "country_code"]}),
        ("Faults", {"fields": list(FAULT_FIELDS)}),
    ]
    readonly_fields = ["tenant_id"]


@admin.register(DeveloperApp)
class DeveloperAppAdmin(admin.ModelAdmin):
    list_display = ["name", "client_id", "webhook_url", "created_at"]
    # Credentials are shown on the sandbox's own developer page, not in admin lists.
    exclude = ["client_secret", "webhook_key"]


@admin.register(RequestLog)
class RequestLogAdmin(admin.ModelAdmin):
    list_display = ["at", "method", "path", "status", "organisation", "duration_ms", "note"]
    list_filter = ["status", "method", "organisation"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "app", "url", "response_status", "error"]
