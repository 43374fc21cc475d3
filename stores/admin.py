from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Invoice, InvoiceLine, Product, Store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "platform", "currency", "created_at"]
    list_filter = ["platform", "currency", "organization"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "store", "parent", "unit_price"]
    list_filter = ["store__organization", "store"]
    search_fields = ["sku", "name", "store__name"]
    list_select_related = ["store", "parent"]
    autocomplete_fields = ["store", "parent"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = [
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
    readonly_fields = ["line_amount", "tax_amount"]
    autocomplete_fields = ["product"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "store", "customer_name", "issue_date", "due_date", "status", "currency", "total"]
    list_filter = ["status", "currency", "issue_date", "store__organization", "store"]
    search_fields = ["number", "customer_name", "customer_email", "store__name"]
    list_select_related = ["store"]
    date_hierarchy = "issue_date"
    autocomplete_fields = ["store"]
    readonly_fields = ["subtotal", "total_tax", "total", "created_at", "updated_at"]
    inlines = [InvoiceLineInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invoice]:
        return super().get_queryset(request).select_related("store")

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        """Recompute the totals once the lines are saved, so they stay the sum of the lines."""
        super().save_related(request, form, formsets, change)
        form.instance.recalculate_totals()
