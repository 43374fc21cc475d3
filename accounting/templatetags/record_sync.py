"""Where a store's records stand in its accounting channels, for the store's own pages.

The stores app knows nothing of accounting (it sits below it): its list and detail templates
load these tags to show each record's sync badges and its per-channel panel. A list costs one
query whatever its length; a record's panel two.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from accounting.sync.ledger.badges import SyncBadge, attach_sync_badges, sync_of_record
from stores.models import Store

register = template.Library()


@register.simple_tag
def with_sync_badges(store: Store, kind: str, records: Iterable[Any]) -> list[Any]:
    """Return `records` (a page of invoices or products; `kind` "invoice" or "product"), each with
    its `sync_badges`, one per channel of the store."""
    return attach_sync_badges(store=store, kind=kind, records=records)


@register.simple_tag
def record_sync(store: Store, kind: str, object_id: int) -> list[SyncBadge]:
    """Return the record's badge in each channel, with its latest attempts (the record's panel)."""
    return sync_of_record(store=store, kind=kind, object_id=object_id)
