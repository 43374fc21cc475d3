from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import store_for_member, stores_of


@login_required
def store_list(request: HttpRequest) -> HttpResponse:
    stores = stores_of(organization=request.organization)  # type: ignore[attr-defined]
    return render(request, "stores/store_list.html", {"stores": stores})


@login_required
def store_detail(request: HttpRequest, store_id: int) -> HttpResponse:
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    return render(request, "stores/store_detail.html", {"store": store, "active_tab": "details"})
