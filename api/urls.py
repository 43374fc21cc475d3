"""Billing API routes: the versioned endpoints, the OpenAPI schema and its docs page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import reconcile_views, views

v1 = [
    path("stores/", views.StoreListView.as_view(), name="api-stores"),
    path("stores/<int:store_id>/products/", views.StoreProductsView.as_view(), name="api-store-products"),
    path("stores/<int:store_id>/invoices/", views.StoreInvoicesView.as_view(), name="api-store-invoices"),
    path(
        "stores/<int:store_id>/accounting-channels/",
        views.StoreAccountingChannelsView.as_view(),
        name="api-store-accounting-channels",
    ),
    path("products/<int:product_id>/", views.ProductDetailView.as_view(), name="api-product"),
    path("invoices/<int:invoice_id>/", views.InvoiceDetailView.as_view(), name="api-invoice"),
    path("summaries/<int:summary_id>/", views.SummaryDetailView.as_view(), name="api-summary"),
    path("stores/<int:store_id>/payouts/", views.StorePayoutsView.as_view(), name="api-store-payouts"),
    path("payouts/<int:payout_id>/", views.PayoutDetailView.as_view(), name="api-payout"),
    path(
        "stores/<int:store_id>/reconciliation/",
        reconcile_views.StoreReconciliationView.as_view(),
        name="api-store-reconciliation",
    ),
    path(
        "reconciliations/<int:reconciliation_id>/",
        reconcile_views.ReconciliationDetailView.as_view(),
        name="api-reconciliation",
    ),
    path("invoices/<int:invoice_id>/payments/", views.InvoicePaymentsView.as_view(), name="api-invoice-payments"),
    path("invoices/<int:invoice_id>/refunds/", views.InvoiceRefundsView.as_view(), name="api-invoice-refunds"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI with its set-up script served from `?script` instead of inline, and no inline
    # style: the page keeps the portal's Content-Security-Policy (script-src and style-src 'self').
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]
