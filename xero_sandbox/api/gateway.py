"""The one view of the Accounting API: auth, limits, faults, idempotency, dispatch, log."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from xero_sandbox.services.apps import app_day_limit
from xero_sandbox.services.request_log import request_log_record

from . import faults, idempotency, ratelimit
from .auth import Caller, Refused, caller_for, scope_check
from .request_rules import refuse_large_bodies, refuse_long_urls
from .resources import DELETE_RESOURCES, HANDLERS, Call
from .resources.common import ApiError
from .responses import not_found, single_error

WRITE_METHODS = {"PUT", "POST"}


@dataclass
class _Outcome:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""
    drop: bool = False


def _fault_body(status: int) -> dict[str, Any]:
    if status == 503:
        return {"Title": "Service Unavailable", "Status": 503, "Detail": "The Xero API is temporarily unavailable."}
    return {"Title": "An error occurred", "Status": 500, "Detail": "An error occurred in Xero."}


def _dispatch(request: HttpRequest, caller: Caller, resource: str, ident: str) -> _Outcome:
    """Run the handler (inside one transaction with the idempotency claim for writes)."""
    call = Call(caller, request.method or "GET", resource, ident, request.GET, request.body, request.headers)
    organisation = caller.organisation
    key = request.headers.get("Idempotency-Key", "").strip()
    use_key = bool(key) and call.method in WRITE_METHODS and not organisation.fault_ignore_idempotency
    if len(key) > idempotency.MAX_KEY_LENGTH:
        refusal = single_error(10, "ValidationException", "Idempotency-Key must be at most 128 characters.")
        return _Outcome(400, json.dumps(refusal))
    with transaction.atomic():
        record = None
        if use_key:
            digest = idempotency.request_hash(
                method=call.method, path=request.path, query=request.META.get("QUERY_STRING", ""), body=call.body
            )
            record, replay = idempotency.claim(organisation=organisation, key=key, digest=digest)
            if replay is not None and replay.conflict:
                message = "The Idempotency-Key has already been used with a different request."
                return _Outcome(400, json.dumps(single_error(10, "ValidationException", message)))
            if replay is not None:
                return _Outcome(replay.status, replay.body, note="idempotent replay")
        try:
            status, data = HANDLERS[resource](call)
        except ApiError as exc:
            status, data = exc.status, exc.body
        answer = json.dumps(data)
        if record is not None:
            idempotency.record_answer(record, status=status, body=answer)
    drop = call.method in WRITE_METHODS and faults.drop_pick(organisation)
    return _Outcome(status, answer, drop=drop, note="answer dropped after commit" if drop else "")


def _admit_and_run(request: HttpRequest, resource: str, ident: str) -> tuple[_Outcome, Caller | None]:
    try:
        caller = caller_for(request)
    except Refused as exc:
        return _Outcome(exc.status, json.dumps(exc.body), exc.headers), None
    if resource not in HANDLERS:
        return _Outcome(404, json.dumps(not_found())), caller
    allowed = {"GET", *WRITE_METHODS, *(["DELETE"] if resource in DELETE_RESOURCES else [])}
    if request.method not in allowed:
        detail = f"The sandbox does not serve {request.method} on {resource}."
        return _Outcome(405, json.dumps({"Title": "Method Not Allowed", "Status": 405, "Detail": detail})), caller
    try:
        scope_check(caller, resource=resource, write=request.method != "GET")
    except Refused as exc:
        return _Outcome(exc.status, json.dumps(exc.body), exc.headers), caller
    organisation, tenant, app = caller.organisation, str(caller.organisation.tenant_id), caller.app.client_id
    per_day = app_day_limit(app=caller.app)
    if organisation.fault_429_storm:
        verdict = ratelimit.storm_verdict(per_day=per_day)
        return _Outcome(429, _too_many(verdict.problem), verdict.headers(), note="429 storm"), caller
    verdict = ratelimit.acquire(tenant=tenant, app=app, per_day=per_day)
    if verdict.problem:
        return _Outcome(429, _too_many(verdict.problem), verdict.headers()), caller
    try:
        faults.latency_apply(organisation)
        failure = faults.server_error_pick(organisation)
        if failure:
            outcome = _Outcome(failure, json.dumps(_fault_body(failure)), note=f"fault {failure}")
        else:
            outcome = _dispatch(request, caller, resource, ident)
    finally:
        ratelimit.release(tenant=tenant, app=app)
    outcome.headers.update(verdict.headers())
    return outcome, caller


def _too_many(problem: str) -> str:
    return json.dumps({"Title": "Too Many Requests", "Status": 429, "Detail": f"Rate limit exceeded: {problem}"})


@csrf_exempt
@transaction.non_atomic_requests
@refuse_long_urls
@refuse_large_bodies
def accounting_api(request: HttpRequest, resource: str, ident: str = "") -> HttpResponse:
    """Serve /api.xro/2.0/<Resource>[/<id>] as Xero's Accounting API does."""
    started = time.monotonic()
    outcome, caller = _admit_and_run(request, resource, ident)
    response = HttpResponse(outcome.body, status=outcome.status, content_type="application/json; charset=utf-8")
    for name, value in outcome.headers.items():
        response[name] = value
    request_log_record(
        request=request,
        status=0 if outcome.drop else outcome.status,
        duration_ms=int((time.monotonic() - started) * 1000),
        response_body=outcome.body,
        organisation=caller.organisation if caller else None,
        app=caller.app if caller else None,
        note=outcome.note,
    )
    if outcome.drop and faults.connection_drop(request):
        return HttpResponse(status=500)  # never reaches the client: its connection is gone
    return response
