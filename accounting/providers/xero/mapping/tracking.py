"""Xero tracking categories: what the organisation offers, and the option a line carries.

Pure functions: no calls to Xero here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from xero_python.accounting.models import LineItem, LineItemTracking

from accounting.providers.xero.values import text


@dataclass(frozen=True)
class TrackingChoice:
    """One tracking option of one category, as a line carries it."""

    category_id: str
    category_name: str
    option_id: str
    option_name: str

    @property
    def label(self) -> str:
        return f"{self.category_name}: {self.option_name}"


def line_tracking(choice: TrackingChoice) -> list[LineItemTracking]:
    """Return a line's Tracking naming the category and option by id and by name."""
    return [
        LineItemTracking(
            tracking_category_id=choice.category_id, tracking_option_id=choice.option_id,
            name=choice.category_name, option=choice.option_name,
        )
    ]  # fmt: skip


def lines_track(items: Iterable[LineItem], choice: TrackingChoice | None) -> None:
    """Give every line the tracking option `choice` (none: the lines go untracked)."""
    if choice is None:
        return
    for item in items:
        item.tracking = line_tracking(choice)


def tracking_categories_dump(categories: Iterable[Any]) -> list[dict[str, Any]]:
    """Return the ACTIVE categories with their ACTIVE options, as the channel keeps them:
    [{"id", "name", "options": [{"id", "name"}]}], each sorted by name."""
    kept = []
    for category in categories:
        if text(getattr(category, "status", "ACTIVE")) not in ("", "ACTIVE"):
            continue
        options = [
            {"id": str(option.tracking_option_id), "name": option.name or ""}
            for option in category.options or []
            if text(getattr(option, "status", "ACTIVE")) in ("", "ACTIVE")
        ]
        kept.append(
            {
                "id": str(category.tracking_category_id),
                "name": category.name or "",
                "options": sorted(options, key=lambda o: o["name"].casefold()),
            }
        )
    return sorted(kept, key=lambda c: c["name"].casefold())
