"""The sandbox's own pages: a developer portal for apps, and an admin page per organisation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from xero_sandbox import selectors
from xero_sandbox.api import ratelimit
from xero_sandbox.forms import (
    AppForm,
    FaultsForm,
    OrganisationForm,
    OrganisationSettingsForm,
    UserAccessForm,
    WebhookForm,
)
from xero_sandbox.models import DeveloperApp, Organisation
from xero_sandbox.services.apps import app_create, app_set_webhook_url
from xero_sandbox.services.organisation_settings import organisation_settings_set
from xero_sandbox.services.organisation_users import organisation_user_grant, organisation_user_remove
from xero_sandbox.services.organisations import organisation_create, organisation_revoke_connections
from xero_sandbox.services.payments import invoice_mark_paid, invoice_void_in_xero
from xero_sandbox.services.webhooks import webhook_intent_check


@staff_member_required
def home(request: HttpRequest) -> HttpResponse:
    """List developer apps and organisations."""
    return render(
        request,
        "xero_sandbox/home.html",
        {"apps": DeveloperApp.objects.all(), "organisations": Organisation.objects.all()},
    )


@staff_member_required
@require_http_methods(["GET", "POST"])
def app_new(request: HttpRequest) -> HttpResponse:
    """Create a web app (like developer.xero.com's "New app")."""
    form = AppForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app = app_create(
                name=form.cleaned_data["name"],
                redirect_uris=form.uri_list(),
                webhook_url=form.cleaned_data["webhook_url"],
                tier=form.cleaned_data["tier"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"App “{app.name}” created. Copy its client secret now.")
            return redirect("xero_sandbox:app-detail", client_id=app.client_id)
    return render(request, "xero_sandbox/app_new.html", {"form": form}, status=400 if form.errors else 200)


@staff_member_required
@require_http_methods(["GET", "POST"])
def app_detail(request: HttpRequest, client_id: str) -> HttpResponse:
    """Show an app's credentials; set its webhook URL and run the intent-to-receive check."""
    app = selectors.app_by_client_id(client_id=client_id)
    form = WebhookForm(request.POST or None, initial={"webhook_url": app.webhook_url})
    if request.method == "POST" and request.POST.get("action") == "intent":
        result = webhook_intent_check(app=app)
        (messages.success if result.ok else messages.error)(request, result.message)
        return redirect("xero_sandbox:app-detail", client_id=app.client_id)
    if request.method == "POST" and form.is_valid():
        app_set_webhook_url(app=app, webhook_url=form.cleaned_data["webhook_url"])
        messages.success(request, "Webhook URL saved.")
        return redirect("xero_sandbox:app-detail", client_id=app.client_id)
    deliveries = app.webhook_deliveries.all()[:20]
    return render(request, "xero_sandbox/app_detail.html", {"app": app, "form": form, "deliveries": deliveries})


@staff_member_required
@require_http_methods(["GET", "POST"])
def organisation_new(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = organisation_create(
            name=form.cleaned_data["name"], base_currency=form.cleaned_data["base_currency"]
        )
        # Its creator is its first Xero user, as in Xero.
        organisation_user_grant(organisation=organisation, user=request.user)
        return redirect("xero_sandbox:organisation", tenant_id=organisation.tenant_id)
    return render(request, "xero_sandbox/organisation_new.html", {"form": form}, status=400 if form.errors else 200)


@staff_member_required
@require_http_methods(["GET", "POST"])
def organisation_detail(request: HttpRequest, tenant_id: str) -> HttpResponse:
    """An organisation's admin page: faults, connections, limits, tracking categories, invoices, bank
    transactions and transfers."""
    organisation = selectors.organisation_by_tenant(tenant_id=tenant_id)
    action = request.POST.get("action", "")
    form = FaultsForm(request.POST if action == "faults" else None, instance=organisation)
    settings_form = OrganisationSettingsForm(request.POST if action == "settings" else None, instance=organisation)
    if action == "faults" and form.is_valid():
        form.save()
        messages.success(request, "Faults saved.")
        return redirect("xero_sandbox:organisation", tenant_id=organisation.tenant_id)
    if action == "settings" and settings_form.is_valid():
        organisation_settings_set(
            organisation=organisation,
            high_volume=settings_form.cleaned_data["high_volume"],
            lock_date=settings_form.cleaned_data["lock_date"],
        )
        messages.success(request, "Settings saved.")
        return redirect("xero_sandbox:organisation", tenant_id=organisation.tenant_id)
    if action == "revoke":
        count = organisation_revoke_connections(organisation=organisation)
        messages.success(request, f"{count} connection(s) revoked.")
        return redirect("xero_sandbox:organisation", tenant_id=organisation.tenant_id)
    if action == "reset-limits":
        ratelimit.reset(tenant=str(organisation.tenant_id))
        messages.success(request, "Rate-limit counters reset.")
        return redirect("xero_sandbox:organisation", tenant_id=organisation.tenant_id)
    invoices = Paginator(selectors.invoice_list(organisation=organisation), 50).get_page(request.GET.get("page"))
    context = {
        "organisation": organisation,
        "form": form,
        "settings_form": settings_form,
        "invoices": invoices,
        "tracking_categories": selectors.tracking_category_list(organisation=organisation),
        "bank_transactions": selectors.bank_transaction_list(organisation=organisation),
        "bank_transfers": selectors.bank_transfer_list(organisation=organisation),
        "money_accounts": selectors.money_account_list(organisation=organisation),
        "connections": organisation.connections.select_related("app"),
        "user_accesses": organisation.user_accesses.select_related("user").order_by("user__username"),
        "user_form": UserAccessForm(),
    }
    failed = form.errors or settings_form.errors
    return render(request, "xero_sandbox/organisation_detail.html", context, status=400 if failed else 200)


@staff_member_required
@require_POST
def organisation_users(request: HttpRequest, tenant_id: str) -> HttpResponse:
    """Give a user access to the organisation (they may then pick it on the consent page), or take it away."""
    organisation = selectors.organisation_by_tenant(tenant_id=tenant_id)
    if request.POST.get("action") == "remove":
        user = get_object_or_404(get_user_model(), pk=request.POST.get("user", ""))
        organisation_user_remove(organisation=organisation, user=user)
        messages.success(request, f"{user.get_username()} may no longer connect {organisation.name}.")
        return redirect("xero_sandbox:organisation", tenant_id=organisation.tenant_id)
    form = UserAccessForm(request.POST)
    if form.is_valid():
        user = form.cleaned_data["username"]
        organisation_user_grant(organisation=organisation, user=user)
        messages.success(request, f"{user.get_username()} may connect {organisation.name}.")
    else:
        messages.error(request, " ".join(str(error) for error in form.errors.get("username", [])))
    return redirect("xero_sandbox:organisation", tenant_id=organisation.tenant_id)


@staff_member_required
@require_POST
@transaction.atomic
def invoice_pay(request: HttpRequest, tenant_id: str, invoice_id: str) -> HttpResponse:
    """Mark an invoice paid (pays the amount due into the bank account) and send the webhook event."""
    organisation = selectors.organisation_by_tenant(tenant_id=tenant_id)
    invoice = get_object_or_404(organisation.invoices.select_for_update(), invoice_id=invoice_id)
    try:
        invoice_mark_paid(invoice=invoice)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invoice {invoice.invoice_number or invoice.invoice_id} marked as paid.")
    return redirect("xero_sandbox:organisation", tenant_id=organisation.tenant_id)


@staff_member_required
@require_POST
@transaction.atomic
def invoice_void(request: HttpRequest, tenant_id: str, invoice_id: str) -> HttpResponse:
    """Void (AUTHORISED) or delete (DRAFT, SUBMITTED) an invoice and send the webhook event."""
    organisation = selectors.organisation_by_tenant(tenant_id=tenant_id)
    invoice = get_object_or_404(organisation.invoices.select_for_update(), invoice_id=invoice_id)
    try:
        invoice_void_in_xero(invoice=invoice)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invoice {invoice.invoice_number or invoice.invoice_id} is {invoice.status}.")
    return redirect("xero_sandbox:organisation", tenant_id=organisation.tenant_id)


@staff_member_required
def request_log(request: HttpRequest, tenant_id: str) -> HttpResponse:
    organisation = selectors.organisation_by_tenant(tenant_id=tenant_id)
    rows = Paginator(selectors.request_log_list(organisation=organisation), 100).get_page(request.GET.get("page"))
    return render(request, "xero_sandbox/request_log.html", {"organisation": organisation, "rows": rows})


@staff_member_required
def request_log_export(request: HttpRequest, tenant_id: str) -> StreamingHttpResponse:
    organisation = selectors.organisation_by_tenant(tenant_id=tenant_id)
    response = StreamingHttpResponse(
        selectors.request_log_lines(organisation=organisation), content_type="application/x-ndjson"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="xero-sandbox-{organisation.short_code[1:]}-requests.jsonl"'
    )
    return response
