"""A line's `Tracking`: which options of the organisation's tracking categories an invoice or credit
note line carries, checked as Xero checks them.

A line names at most two categories (Xero's Invoices page: "Any LineItem can have a maximum of 2
<TrackingCategory> elements"), each by `TrackingCategoryID` or `Name`, with one option by
`TrackingOptionID` or `Option`; the category and the option must be ACTIVE. Names match whatever
their case (they are unique that way). Refusals name the category as Xero's own message does for a
contact's tracking ("There is no ACTIVE tracking category with the name ''", xero-php#386); the rest
of the wording is the sandbox's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from xero_sandbox.models import Organisation, TrackingCategory, TrackingOption
from xero_sandbox.models.tracking import ACTIVE, DELETED
from xero_sandbox.parse import text

MAX_PER_LINE = 2


def _uuid(value: Any) -> str:
    try:
        return str(uuid.UUID(text(value)))
    except ValueError:
        return ""


@dataclass
class TrackingBook:
    """The organisation's categories (not deleted) with their options, loaded once per request."""

    categories: list[TrackingCategory] = field(default_factory=list)

    @classmethod
    def load(cls, organisation: Organisation) -> TrackingBook:
        categories = TrackingCategory.objects.filter(organisation=organisation).exclude(status=DELETED)
        return cls(categories=list(categories.prefetch_related("options")))

    def _category(self, raw: dict[str, Any]) -> tuple[TrackingCategory | None, str]:
        """Return the ACTIVE category `raw` names (or None) and how it named it, for messages."""
        if raw.get("TrackingCategoryID"):
            wanted = _uuid(raw.get("TrackingCategoryID"))
            found = next((c for c in self.categories if str(c.tracking_category_id) == wanted), None)
            named = f"ID '{text(raw.get('TrackingCategoryID'))}'"
        else:
            wanted = text(raw.get("Name")).casefold()
            found = next((c for c in self.categories if c.name.casefold() == wanted), None)
            named = f"name '{text(raw.get('Name'))}'"
        return (found if found is not None and found.status == ACTIVE else None), named

    def _option(self, category: TrackingCategory, raw: dict[str, Any]) -> tuple[TrackingOption | None, str]:
        options = [o for o in category.options.all() if o.status != DELETED]
        if raw.get("TrackingOptionID"):
            wanted = _uuid(raw.get("TrackingOptionID"))
            found = next((o for o in options if str(o.tracking_option_id) == wanted), None)
            named = f"ID '{text(raw.get('TrackingOptionID'))}'"
        else:
            wanted = text(raw.get("Option")).casefold()
            found = next((o for o in options if o.name.casefold() == wanted), None)
            named = f"name '{text(raw.get('Option'))}'"
        return (found if found is not None and found.status == ACTIVE else None), named

    def resolve(self, tracking: Any, errors: list[str]) -> list[TrackingOption]:
        """Return the options a line's `Tracking` names, appending refusals to `errors`."""
        if tracking is None:
            return []
        if not isinstance(tracking, list) or not all(isinstance(element, dict) for element in tracking):
            errors.append("Tracking must be a list of tracking categories, each with a Name and an Option.")
            return []
        if len(tracking) > MAX_PER_LINE:
            errors.append(f"A line item can have a maximum of {MAX_PER_LINE} tracking categories.")
            return []
        chosen: list[TrackingOption] = []
        for raw in tracking:
            option = self._element(raw, errors)
            if option is None:
                continue
            if any(other.category_id == option.category_id for other in chosen):
                errors.append(
                    f"A line item can have only one option of the tracking category '{option.category.name}'."
                )
                continue
            chosen.append(option)
        return chosen

    def _element(self, raw: dict[str, Any], errors: list[str]) -> TrackingOption | None:
        if not (raw.get("TrackingCategoryID") or raw.get("Name")):
            errors.append("A tracking category must be named by its Name or TrackingCategoryID.")
            return None
        category, named = self._category(raw)
        if category is None:
            errors.append(f"There is no ACTIVE tracking category with the {named}")
            return None
        if not (raw.get("TrackingOptionID") or raw.get("Option")):
            errors.append(
                f"A tracking Option or TrackingOptionID must be given for the tracking category '{category.name}'."
            )
            return None
        option, option_named = self._option(category, raw)
        if option is None:
            errors.append(
                f"There is no ACTIVE tracking option with the {option_named} in the tracking category '{category.name}'"
            )
            return None
        option.category = category
        return option
