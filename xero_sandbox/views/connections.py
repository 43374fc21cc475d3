"""api.xero.com/connections: the organisations a token's user has connected to the app."""

from __future__ import annotations

import time
import uuid

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from xero_sandbox.api.auth import Refused, bearer_claims
from xero_sandbox.api.request_rules import refuse_long_urls
from xero_sandbox.api.responses import json_response
from xero_sandbox.models import Connection
from xero_sandbox.services.request_log import request_log_record


def connection_json(connection: Connection) -> dict[str, object]:
    return {
        "id": str(connection.connection_id),
        "authEventId": str(connection.auth_event_id),
        "tenantId": str(connection.organisation.tenant_id),
        "tenantType": "ORGANISATION",
        "tenantName": connection.organisation.name,
        "createdDateUtc": connection.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "updatedDateUtc": connection.updated_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def _connections_of(request: HttpRequest) -> tuple[object, Refused | None]:
    try:
        claims = bearer_claims(request)
    except Refused as exc:
        return None, exc
    found = Connection.objects.select_related("organisation").filter(
        app__client_id=str(claims.get("client_id", "")), user_id=str(claims.get("xero_userid", ""))
    )
    return found.order_by("created_at", "pk"), None


def _logged(request: HttpRequest, response: HttpResponse, started: float) -> HttpResponse:
    request_log_record(
        request=request,
        status=response.status_code,
        duration_ms=int((time.monotonic() - started) * 1000),
        response_body=response.content,
    )
    return response


@require_GET
@transaction.non_atomic_requests
@refuse_long_urls
def connections(request: HttpRequest) -> HttpResponse:
    """List connections, optionally only those of one consent (`authEventId`)."""
    started = time.monotonic()
    found, refused = _connections_of(request)
    if refused is not None:
        return _logged(request, json_response(refused.body, refused.status), started)
    event = request.GET.get("authEventId", "").strip()
    if event:
        try:
            found = found.filter(auth_event_id=uuid.UUID(event))  # type: ignore[attr-defined]
        except ValueError:
            return _logged(request, json_response({"title": "Bad Request", "status": 400}, 400), started)
    return _logged(request, json_response([connection_json(c) for c in found]), started)  # type: ignore[attr-defined]


@csrf_exempt
@require_http_methods(["DELETE"])
@transaction.non_atomic_requests
@refuse_long_urls
def connection_delete(request: HttpRequest, connection_id: str) -> HttpResponse:
    """Disconnect one organisation; another user's or app's connection answers 404."""
    started = time.monotonic()
    found, refused = _connections_of(request)
    if refused is not None:
        return _logged(request, json_response(refused.body, refused.status), started)
    deleted, _ = found.filter(connection_id=connection_id).delete()  # type: ignore[attr-defined]
    if not deleted:
        return _logged(request, json_response({"title": "Not Found", "status": 404}, 404), started)
    return _logged(request, HttpResponse(status=204), started)
