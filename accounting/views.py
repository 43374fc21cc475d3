from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from stores.selectors import store_for_member

from .models import AccountingChannel


@login_required
def store_channels(request: HttpRequest, store_id: int) -> HttpResponse:
    """The store's "Accounting Channel" tab: its channels."""
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    channels = AccountingChannel.objects.filter(store=store)
    return render(
        request, "accounting/store_channels.html", {"store": store, "channels": channels, "active_tab": "channels"}
    )
