"""Error pages: the Billing API answers its errors in JSON, the portal in HTML.

A URL under `/api/` that matches no route (e.g. `/api/v1/invoices/-1/`, which no `<int:>`
converter takes) must answer like every other Billing API 404: JSON `{"detail": ...}`, the
content type its OpenAPI schema documents. An unexpected error there answers JSON 500 too.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
