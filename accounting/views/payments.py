"""The channel page's "Payment accounts" card: which Xero account each payment method goes to."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounting.books.payment_accounts import (
    RECONNECT_FOR_PAYMENTS,
    channel_allows_payments,
    channel_payment_account_rows,
    channel_payment_accounts_refresh,
    channel_payment_accounts_set,
    payment_accounts_cached,
)
from accounting.books.payouts import RECONNECT_FOR_PAYOUTS, channel_allows_payouts, channel_payouts_set, payout_options
from accounting.models import AccountingChannel, ChannelPaymentAccount
from accounting.providers.xero.books import payment_account_label
from accounting.selectors import channel_for_member
from accounting.views.common import current_organization, current_user
from stores.models import Payment, Refund

DRAFT_KEY = "payment_accounts_draft"
NEW_METHOD = "new_method"
NEW_ACCOUNT = "new_account"


def _store_methods(channel: AccountingChannel) -> list[str]:
    payments = Payment.objects.filter(invoice__store_id=channel.store_id).values_list("method", flat=True)
    refunds = (
        Refund.objects.filter(invoice__store_id=channel.store_id).exclude(method="").values_list("method", flat=True)
    )
    return list(set(payments.distinct()) | set(refunds.distinct()))


def payment_accounts_context(*, channel: AccountingChannel, request: HttpRequest | None = None) -> dict[str, Any]:
    """Return the card's context: its rows and options, the scope notice, and a refused draft."""
    accounts = payment_accounts_cached(channel=channel) if channel.tenant_id else None
    draft: dict[str, str] = {}
    if request is not None and hasattr(request, "session"):
        stored = request.session.pop(DRAFT_KEY, None)
        if isinstance(stored, dict) and stored.get("channel") == channel.pk:
            draft = {str(k): str(v) for k, v in stored.get("values", {}).items()}
    rows = channel_payment_account_rows(channel=channel, accounts=accounts, store_methods=_store_methods(channel))
    saved = {a.method: a for a in ChannelPaymentAccount.objects.filter(channel=channel)}
    options = (
        payout_options(channel=channel)
        if channel.tenant_id
        else {"banks": [], "fees_accounts": [], "fees_tax_types": []}
    )

    def payout_of(row: Any) -> dict[str, str]:
        account = saved.get(row.method)
        return {
            "payout_account_id": draft.get(f"payout_{row.field_name}", account.payout_account_id if account else ""),
            "fees_account": draft.get(f"fees_{row.field_name}", account.fees_account if account else ""),
            "fees_tax_type": draft.get(f"fees_tax_{row.field_name}", account.fees_tax_type if account else ""),
        }

    set_up = any(a.payout_account_id for a in saved.values())
    return {
        "rows": [
            {"row": row, "selected": draft.get(row.field_name, row.selected), "payout": payout_of(row)} for row in rows
        ],
        "payout_banks": [{"account_id": a["account_id"], "label": payment_account_label(a)} for a in options["banks"]],
        "fees_accounts": options["fees_accounts"],
        "fees_tax_types": options["fees_tax_types"],
        "payouts_need_reconnect": set_up and bool(channel.tenant_id) and not channel_allows_payouts(channel=channel),
        "payouts_reconnect_message": RECONNECT_FOR_PAYOUTS,
        "options": [{"account_id": a["account_id"], "label": payment_account_label(a)} for a in accounts or []],
        "accounts_loaded": accounts is not None,
        "allowed": channel_allows_payments(channel=channel) if channel.tenant_id else True,
        "reconnect_message": RECONNECT_FOR_PAYMENTS,
        "new_method": draft.get(NEW_METHOD, ""),
        "new_account": draft.get(NEW_ACCOUNT, ""),
    }


@login_required
@require_POST
def channel_payment_accounts(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Save the chosen accounts ("save"), or read the organisation's accounts again ("refresh")."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    try:
        if "refresh" in request.POST:
            accounts = channel_payment_accounts_refresh(channel=channel)
            messages.success(request, f"{len(accounts)} bank and payment accounts were read from Xero.")
        else:
            _save(request, channel=channel)
    except ValidationError as exc:
        # Keep what was typed for the page the user lands on again.
        request.session[DRAFT_KEY] = {
            "channel": channel.pk,
            "values": {
                k: v
                for k, v in request.POST.items()
                if k.startswith(("account_", "new_", "payout_account_", "fees_account_", "fees_tax_account_"))
            },
        }
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("accounting:channel-detail", args=[channel.pk]) + "#payment-accounts")


def _save(request: HttpRequest, *, channel: AccountingChannel) -> None:
    accounts = payment_accounts_cached(channel=channel)
    rows = channel_payment_account_rows(channel=channel, accounts=accounts, store_methods=_store_methods(channel))
    choices = {
        row.method: request.POST.get(row.field_name, "").strip() for row in rows if row.field_name in request.POST
    }
    new_method = request.POST.get(NEW_METHOD, "").strip()
    new_account = request.POST.get(NEW_ACCOUNT, "").strip()
    if new_method or new_account:
        if not (new_method and new_account):
            raise ValidationError("Name the payment method and choose its account, or leave both empty.")
        choices[new_method] = new_account
    if not choices:
        raise ValidationError("Choose an account for at least one payment method.")
    payouts = {
        row.method: {
            "payout_account_id": request.POST.get(f"payout_{row.field_name}", "").strip(),
            "fees_account": request.POST.get(f"fees_{row.field_name}", "").strip(),
            "fees_tax_type": request.POST.get(f"fees_tax_{row.field_name}", "").strip(),
        }
        for row in rows
        if f"payout_{row.field_name}" in request.POST
    }
    with transaction.atomic():  # the payout choices are checked against the accounts saved with them
        retried = channel_payment_accounts_set(channel=channel, choices=choices, user=current_user(request))
        if payouts:
            retried += channel_payouts_set(channel=channel, payouts=payouts, user=current_user(request))
    text = "The payment accounts were saved."
    if retried:
        waited = (
            "1 payment or refund that waited for it was"
            if retried == 1
            else f"{retried} payments and refunds that waited for them were"
        )
        text += f" {waited} queued again."
    messages.success(request, text)
