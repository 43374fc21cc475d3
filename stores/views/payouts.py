"""The store page's Payouts tab: the gateway payouts the store recorded and the payments they settle."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from organizations.decorators import member_required

from ..models import Payment, Payout
from ..selectors import store_for_member
from .common import paginate


@member_required
def payout_list(request: HttpRequest, store_id: int) -> HttpResponse:
    """List the store's payouts, newest first, each with the invoices of the payments it settles."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    payments = Prefetch("payments", queryset=Payment.objects.select_related("invoice").order_by("pk"))
    payouts = (
        Payout.objects.filter(store=store)
        .annotate(payment_count=Count("payments"))
        .prefetch_related(payments)
        .order_by("-date", "-pk")
    )
    context = {"store": store, "page": paginate(request, payouts), "active_tab": "payouts"}
    return render(request, "stores/payout_list.html", context)
