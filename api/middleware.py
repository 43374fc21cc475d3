"""Every Billing API answer says `Cache-Control: no-store`.

Invoices carry customers' names, e-mails, addresses and phones; no answer of the API may be kept
by a browser, a proxy or a CDN. One rule for every answer under /api/v1/ (data, errors, 429s, and
the JSON 404 of a URL that matches no route) is simpler to trust than one per view.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

BILLING_API_PREFIX = "/api/v1/"


class BillingApiNoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(BILLING_API_PREFIX):
            response["Cache-Control"] = "no-store"
        return response
