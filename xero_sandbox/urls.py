"""The sandbox's three hosts under one prefix, plus its own pages (developer portal, organisations)."""

from django.urls import path, re_path

from .api.gateway import accounting_api
from .views import connections, identity, portal

app_name = "xero_sandbox"

urlpatterns = [
    # login.xero.com
    path("login/identity/connect/authorize", identity.authorize, name="authorize"),
    # identity.xero.com
    path("identity/connect/token", identity.token, name="token"),
    path("identity/connect/revocation", identity.revocation, name="revocation"),
    path("identity/.well-known/openid-configuration", identity.openid_configuration, name="openid-configuration"),
    path("identity/.well-known/openid-configuration/jwks", identity.jwks, name="jwks"),
    # api.xero.com
    # The SDK asks for /Connections, Xero's documentation for /connections: both work.
    re_path(r"^api/[cC]onnections/?$", connections.connections, name="connections"),
    re_path(
        r"^api/[cC]onnections/(?P<connection_id>[0-9a-fA-F-]{36})/?$",
        connections.connection_delete,
        name="connection-delete",
    ),
    re_path(r"^api/api\.xro/2\.0/(?P<resource>[A-Za-z]+)/?$", accounting_api, name="accounting"),
    re_path(r"^api/api\.xro/2\.0/(?P<resource>[A-Za-z]+)/(?P<ident>[^/]+)/?$", accounting_api, name="accounting-one"),
    # PUT /CreditNotes/{id}/Allocations: the handler sees ident "<id>/Allocations".
    re_path(
        r"^api/api\.xro/2\.0/(?P<resource>CreditNotes)/(?P<ident>[^/]+/Allocations)/?$",
        accounting_api,
        name="accounting-allocations",
    ),
    # /TrackingCategories/{id}/Options[/{optionId}]: the handler sees ident "<id>/Options[/<optionId>]".
    re_path(
        r"^api/api\.xro/2\.0/(?P<resource>TrackingCategories)/(?P<ident>[^/]+/Options(?:/[^/]+)?)/?$",
        accounting_api,
        name="accounting-tracking-options",
    ),
    # The sandbox's own pages
    path("", portal.home, name="home"),
    path("apps/new/", portal.app_new, name="app-new"),
    path("apps/<str:client_id>/", portal.app_detail, name="app-detail"),
    path("organisations/new/", portal.organisation_new, name="organisation-new"),
    path("organisations/<uuid:tenant_id>/", portal.organisation_detail, name="organisation"),
    path("organisations/<uuid:tenant_id>/users/", portal.organisation_users, name="organisation-users"),
    path("organisations/<uuid:tenant_id>/invoices/<uuid:invoice_id>/pay/", portal.invoice_pay, name="invoice-pay"),
    path("organisations/<uuid:tenant_id>/invoices/<uuid:invoice_id>/void/", portal.invoice_void, name="invoice-void"),
    path("organisations/<uuid:tenant_id>/requests/", portal.request_log, name="request-log"),
    path("organisations/<uuid:tenant_id>/requests.jsonl", portal.request_log_export, name="request-log-export"),
]
