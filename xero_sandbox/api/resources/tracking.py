"""TrackingCategories: GET (where, order, includeArchived) and by id, PUT create, POST update, DELETE;
and their Options: PUT create, POST update, DELETE (paths `{id}/Options[/{optionId}]`)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from xero_sandbox.api.render_tracking import tracking_category_json, tracking_option_json
from xero_sandbox.api.responses import envelope, not_found
from xero_sandbox.models import TrackingCategory, TrackingOption
from xero_sandbox.models.tracking import ACTIVE, ARCHIVED, DELETED
from xero_sandbox.services import tracking

from .common import ApiError, Call, batch_answer, filtered, ordered

FIELDS = {"Name": "name", "Status": "status", "TrackingCategoryID": "tracking_category_id"}
KEY = "TrackingCategories"
OPTIONS = "Options"
KEPT = (ACTIVE, ARCHIVED)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(404, not_found()) from None


def _categories(call: Call) -> QuerySet[TrackingCategory]:
    return TrackingCategory.objects.filter(organisation=call.organisation).prefetch_related("options")


def _category(call: Call, ident: str, *, writable: bool = False) -> TrackingCategory:
    """The category of `ident` (a deleted one is still read by id, as Xero answers it, but not changed)."""
    found = _categories(call).filter(tracking_category_id=_uuid(ident)).first()
    if found is None or (writable and found.status == DELETED):
        raise ApiError(404, not_found())
    return found


def _option(category: TrackingCategory, ident: str) -> TrackingOption:
    found = category.options.filter(tracking_option_id=_uuid(ident)).exclude(status=DELETED).first()
    if found is None:
        raise ApiError(404, not_found())
    found.category = category
    return found


def _not_allowed(detail: str) -> ApiError:
    return ApiError(405, {"Title": "Method Not Allowed", "Status": 405, "Detail": detail})


def _first(call: Call, key: str) -> dict[str, Any]:
    record = call.records(key)[0]
    return record if isinstance(record, dict) else {}


def _get(call: Call) -> tuple[int, dict[str, Any]]:
    if call.ident:
        category = _category(call, call.ident)
        return 200, envelope(KEY, [tracking_category_json(category, statuses=KEPT)])
    archived = call.query.get("includeArchived", "false").lower() == "true"
    statuses = KEPT if archived else (ACTIVE,)
    categories = _categories(call).filter(status__in=statuses)
    categories = ordered(call, filtered(call, categories, FIELDS), FIELDS)
    return 200, envelope(KEY, [tracking_category_json(c, statuses=statuses) for c in categories])


def _category_answer(call: Call, results: list[tracking.TrackingResult]) -> tuple[int, dict[str, Any]]:
    rendered = []
    for result in results:
        category = _category(call, str(result.record.tracking_category_id)) if result.record else None
        rendered.append((tracking_category_json(category, statuses=KEPT) if category else None, result))
    return batch_answer(call, KEY, [(record, r.submitted, r.errors) for record, r in rendered])


def _option_answer(call: Call, results: list[tracking.TrackingResult]) -> tuple[int, dict[str, Any]]:
    return batch_answer(
        call,
        OPTIONS,
        [(tracking_option_json(r.record, flags=True) if r.record else None, r.submitted, r.errors) for r in results],
    )


def _options(call: Call, category_ident: str, option_ident: str) -> tuple[int, dict[str, Any]]:
    category = _category(call, category_ident, writable=True)
    if not option_ident:
        if call.method != "PUT":
            raise _not_allowed("Options of a tracking category are created with PUT.")
        return _option_answer(call, tracking.options_create(category=category, payloads=call.records(OPTIONS)))
    option = _option(category, option_ident)
    if call.method == "POST":
        return _option_answer(call, [tracking.option_update(option=option, raw=_first(call, OPTIONS))])
    if call.method == "DELETE":
        return _option_answer(call, [tracking.option_delete(option=option)])
    raise _not_allowed("An option is changed with POST and deleted with DELETE.")


def tracking_categories_handle(call: Call) -> tuple[int, dict[str, Any]]:
    """Serve TrackingCategories[/{id}[/Options[/{optionId}]]]; writes run in the gateway's transaction."""
    parts = call.ident.split("/") if call.ident else []
    if len(parts) >= 2:
        if parts[1] != OPTIONS or len(parts) > 3:
            raise ApiError(404, not_found())
        return _options(call, parts[0], parts[2] if len(parts) == 3 else "")
    if call.method == "GET":
        return _get(call)
    if call.method == "PUT" and not call.ident:
        return _category_answer(
            call, tracking.categories_create(organisation=call.organisation, payloads=call.records(KEY))
        )
    if call.method == "POST" and call.ident:
        category = _category(call, call.ident, writable=True)
        return _category_answer(call, [tracking.category_update(category=category, raw=_first(call, KEY))])
    if call.method == "DELETE" and call.ident:
        result = tracking.category_delete(category=_category(call, call.ident, writable=True))
        record = tracking_category_json(result.record) if result.record else None
        return batch_answer(call, KEY, [(record, result.submitted, result.errors)])
    raise _not_allowed("TrackingCategories: PUT creates, POST /{id} updates, DELETE /{id} deletes.")
