"""The site's URLs plus a page that leaks another organization's store and two routes with no case.

Only for tests/drills/test_isolation_drill.py: it shows the isolation drill fails on a hole.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from channels_portal.urls import urlpatterns as site_patterns
from stores.models import Store


def leaky_store(request: HttpRequest, store_id: int) -> HttpResponse:
    return HttpResponse(Store.objects.get(pk=store_id).name)  # no organization check: the hole


def nothing(request: HttpRequest, **kwargs: int) -> HttpResponse:
    return HttpResponse("")


urlpatterns = [
    *site_patterns,
    path("leaky/<int:store_id>/", leaky_store, name="leaky-store"),
    path("reports/<int:report_id>/", nothing, name="report"),
    path("exports/", nothing, name="exports"),
]
