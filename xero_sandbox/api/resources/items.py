"""Items: GET (where, If-Modified-Since, no paging), PUT create, POST upsert on Code."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from xero_sandbox.api.render import item_json
from xero_sandbox.api.responses import envelope, not_found
from xero_sandbox.models import Item
from xero_sandbox.services.items import items_save

from .common import ApiError, Call, batch_answer, changed_since, filtered

FIELDS = {
    "Code": "code",
    "Name": "name",
    "Description": "description",
    "ItemID": "item_id",
    "IsSold": "is_sold",
    "IsPurchased": "is_purchased",
}


def items_handle(call: Call) -> tuple[int, dict[str, Any]]:
    if call.method == "GET":
        items = Item.objects.filter(organisation=call.organisation)
        if call.ident:
            try:
                found = items.filter(item_id=uuid.UUID(call.ident)).first()
            except ValueError:
                found = items.filter(code=call.ident).first()
            if found is None:
                raise ApiError(404, not_found())
            return 200, envelope("Items", [item_json(found, unitdp=call.unitdp)])
        items = filtered(call, changed_since(call, items), FIELDS)
        return 200, envelope("Items", [item_json(i, unitdp=call.unitdp) for i in items])
    records = call.records("Items")
    with transaction.atomic():
        results = items_save(organisation=call.organisation, payloads=records, update=call.method == "POST")
    return batch_answer(
        call,
        "Items",
        [(item_json(r.item, unitdp=call.unitdp) if r.item else None, r.submitted, r.errors) for r in results],
    )
