"""Render tracking categories, their options and a line's Tracking in the Accounting API's JSON shapes
(the spec's TrackingCategory, TrackingOption and LineItemTracking schemas)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch

from xero_sandbox.models import TrackingCategory, TrackingOption
from xero_sandbox.models.tracking import ACTIVE, ARCHIVED, DELETED


def tracking_option_json(option: TrackingOption, *, flags: bool = False) -> dict[str, Any]:
    """Render an option; `flags` adds the Is… fields the spec's Options answers show."""
    data: dict[str, Any] = {
        "TrackingOptionID": str(option.tracking_option_id),
        "Name": option.name,
        "Status": option.status,
    }
    if flags:
        data.update(
            {
                "HasValidationErrors": False,
                "IsDeleted": option.status == DELETED,
                "IsArchived": option.status == ARCHIVED,
                "IsActive": option.status == ACTIVE,
            }
        )
    return data


def tracking_category_json(category: TrackingCategory, *, statuses: Iterable[str] = (ACTIVE,)) -> dict[str, Any]:
    """Render a category with its options of `statuses` (options should be prefetched)."""
    wanted = set(statuses)
    options = [] if category.status == DELETED else [o for o in category.options.all() if o.status in wanted]
    return {
        "Name": category.name,
        "Status": category.status,
        "TrackingCategoryID": str(category.tracking_category_id),
        "Options": [tracking_option_json(option) for option in options],
    }


def line_tracking_json(line: Any) -> list[dict[str, Any]]:
    """Render a line's Tracking: the category and option, by id and by (current) name."""
    tracking = []
    for slot in ("tracking_option_1", "tracking_option_2"):
        if getattr(line, f"{slot}_id") is None:
            continue
        option = getattr(line, slot)
        tracking.append(
            {
                "TrackingCategoryID": str(option.category.tracking_category_id),
                "TrackingOptionID": str(option.tracking_option_id),
                "Name": option.category.name,
                "Option": option.name,
            }
        )
    return tracking


def lines_with_tracking(line_model: type[Any]) -> Prefetch:
    """Prefetch a document's `line_items` with their tracking options and categories (no query per line)."""
    return Prefetch(
        "line_items",
        queryset=line_model.objects.select_related("tracking_option_1__category", "tracking_option_2__category"),
    )
