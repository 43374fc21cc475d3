from django.urls import path

from . import views

app_name = "stores"

urlpatterns = [
    path("", views.store_list, name="list"),
    path("new/", views.store_create, name="create"),
    path("<int:store_id>/", views.store_detail, name="detail"),
    path("<int:store_id>/products/", views.product_list, name="products"),
    path("<int:store_id>/products/new/", views.product_create, name="product-create"),
    path("<int:store_id>/products/<int:product_id>/", views.product_edit, name="product-edit"),
    path("<int:store_id>/invoices/", views.invoice_list, name="invoices"),
    path("<int:store_id>/payouts/", views.payout_list, name="payouts"),
    path("<int:store_id>/invoices/new/", views.invoice_create, name="invoice-create"),
    path("<int:store_id>/invoices/<int:invoice_id>/", views.invoice_detail, name="invoice-detail"),
    path(
        "<int:store_id>/invoices/<int:invoice_id>/payments/",
        views.invoice_payment_create,
        name="invoice-payment-create",
    ),
    path(
        "<int:store_id>/invoices/<int:invoice_id>/refunds/",
        views.invoice_refund_create,
        name="invoice-refund-create",
    ),
]
