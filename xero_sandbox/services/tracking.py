"""Tracking categories and options: create, rename, archive or restore, delete, with Xero's rules.

Sources (xero_sandbox/README.md "Tracking categories"): Xero's Tracking Categories and Types pages
("A Xero organisation can have a maximum of two ACTIVE tracking categories and four tracking
categories total"), Xero's help "Rename, delete, or restore tracking categories" (only what was never
used can be deleted; what was used is archived), the spec's `maxLength: 100` on both names, and the
refusals integrations quote ("For each specified tracking option the name must be unique",
xero-php#920; "Tracking Option cannot be archived because it is not in use.", Bill.com's help).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from xero_sandbox.models import (
    BankTransactionLine,
    BankTransfer,
    CreditNoteLine,
    LineItem,
    Organisation,
    TrackingCategory,
    TrackingOption,
)
from xero_sandbox.models.tracking import ACTIVE, ARCHIVED, DELETED
from xero_sandbox.parse import text

MAX_NAME = 100
MAX_ACTIVE = 2
MAX_KEPT = 4  # ACTIVE and ARCHIVED together
# Xero's wording (xero-php#920, Bill.com's help); the category ones are the same sentences, assumed.
OPTION_NOT_UNIQUE = "For each specified tracking option the name must be unique."
CATEGORY_NOT_UNIQUE = "For each specified tracking category the name must be unique."
OPTION_UNUSED = "Tracking Option cannot be archived because it is not in use."
CATEGORY_UNUSED = "Tracking Category cannot be archived because it is not in use."
# The sandbox's wording, from Xero's documented limits and rules.
TOO_MANY_ACTIVE = "A Xero organisation can have a maximum of two ACTIVE tracking categories."
TOO_MANY = "A Xero organisation can have a maximum of four tracking categories total (ACTIVE and ARCHIVED)."
CATEGORY_USED = "Tracking Category cannot be deleted because it is in use. Archive it instead."
OPTION_USED = "Tracking Option cannot be deleted because it is in use. Archive it instead."


@dataclass
class TrackingResult:
    """One element of a write: the saved category or option, or the submitted data with its errors."""

    submitted: dict[str, Any]
    record: Any | None = None
    errors: list[str] = field(default_factory=list)


def _name_errors(name: str, *, noun: str) -> list[str]:
    if not name:
        return [f"Tracking {noun} Name is required."]
    if len(name) > MAX_NAME:
        return [f"Tracking {noun} Name must not be more than {MAX_NAME} characters long."]
    return []


def _status_errors(status: str, *, noun: str) -> list[str]:
    if status not in {ACTIVE, ARCHIVED}:
        return [f"Tracking {noun} Status must be ACTIVE or ARCHIVED (use DELETE to delete it)."]
    return []


TRANSFER_SLOTS = ("from_tracking_1", "from_tracking_2", "to_tracking_1", "to_tracking_2")


def _used(line_condition: Q, transfer_condition: Q) -> bool:
    return (
        any(model.objects.filter(line_condition).exists() for model in (LineItem, CreditNoteLine, BankTransactionLine))
        or BankTransfer.objects.filter(transfer_condition).exists()
    )


def _any_slot(slots: tuple[str, ...], suffix: str, value: object) -> Q:
    condition = Q()
    for slot in slots:
        condition |= Q(**{f"{slot}{suffix}": value})
    return condition


def option_in_use(option: TrackingOption) -> bool:
    """Whether any invoice, credit note or bank transaction line, or a bank transfer (of any status)
    carries the option."""
    lines = ("tracking_option_1", "tracking_option_2")
    return _used(_any_slot(lines, "", option), _any_slot(TRANSFER_SLOTS, "", option))


def category_in_use(category: TrackingCategory) -> bool:
    """Whether anything (as for `option_in_use`) carries one of the category's options."""
    lines = ("tracking_option_1", "tracking_option_2")
    return _used(_any_slot(lines, "__category", category), _any_slot(TRANSFER_SLOTS, "__category", category))


def _lock(organisation: Organisation) -> list[TrackingCategory]:
    """Lock the organisation (tracking writes are serialised per organisation, so the counts hold
    under concurrent requests) and return its categories not deleted."""
    Organisation.objects.select_for_update().only("pk").get(pk=organisation.pk)
    return list(TrackingCategory.objects.filter(organisation=organisation).exclude(status=DELETED))


def _taken(names: list[str], name: str) -> bool:
    return name.casefold() in {other.casefold() for other in names}


def categories_create(*, organisation: Organisation, payloads: list[Any]) -> list[TrackingResult]:
    """Create categories (PUT /TrackingCategories), each ACTIVE; one result per element. In a transaction."""
    kept = _lock(organisation)
    results = []
    for raw in (p if isinstance(p, dict) else {} for p in payloads):
        name = text(raw.get("Name"))
        errors = _name_errors(name, noun="Category")
        if not errors and _taken([c.name for c in kept], name):
            errors = [CATEGORY_NOT_UNIQUE]
        if not errors and sum(c.status == ACTIVE for c in kept) >= MAX_ACTIVE:
            errors = [TOO_MANY_ACTIVE]
        if not errors and len(kept) >= MAX_KEPT:
            errors = [TOO_MANY]
        if errors:
            results.append(TrackingResult(raw, errors=errors))
            continue
        category = TrackingCategory.objects.create(organisation=organisation, name=name)
        kept.append(category)
        results.append(TrackingResult(raw, category))
    return results


def category_update(*, category: TrackingCategory, raw: dict[str, Any]) -> TrackingResult:
    """Rename a category and/or archive or restore it (POST /TrackingCategories/{id}). In a transaction."""
    others = [c for c in _lock(category.organisation) if c.pk != category.pk]
    name = text(raw.get("Name")) if "Name" in raw else category.name
    status = text(raw.get("Status")).upper() if raw.get("Status") else category.status
    errors = _name_errors(name, noun="Category") or _status_errors(status, noun="Category")
    if not errors and _taken([c.name for c in others], name):
        errors = [CATEGORY_NOT_UNIQUE]
    if not errors and status == ACTIVE != category.status and sum(c.status == ACTIVE for c in others) >= MAX_ACTIVE:
        errors = [TOO_MANY_ACTIVE]
    if not errors and status == ARCHIVED != category.status and not category_in_use(category):
        errors = [CATEGORY_UNUSED]
    if errors:
        return TrackingResult(raw, errors=errors)
    category.name, category.status = name, status
    category.save(update_fields=["name", "status", "updated_at"])
    return TrackingResult(raw, category)


def category_delete(*, category: TrackingCategory) -> TrackingResult:
    """Delete a category never used on a line (its options go with it); a used one must be archived."""
    submitted = {"TrackingCategoryID": str(category.tracking_category_id)}
    _lock(category.organisation)
    if category_in_use(category):
        return TrackingResult(submitted, errors=[CATEGORY_USED])
    category.options.exclude(status=DELETED).update(status=DELETED)
    category.status = DELETED
    category.save(update_fields=["status", "updated_at"])
    return TrackingResult(submitted, category)


def options_create(*, category: TrackingCategory, payloads: list[Any]) -> list[TrackingResult]:
    """Create options in a category (PUT /TrackingCategories/{id}/Options); one result per element.

    Xero recommends a soft limit of 100 options per category: a recommendation, not refused.
    """
    _lock(category.organisation)
    names = list(category.options.exclude(status=DELETED).values_list("name", flat=True))
    results = []
    for raw in (p if isinstance(p, dict) else {} for p in payloads):
        name = text(raw.get("Name"))
        errors = _name_errors(name, noun="Option")
        if not errors and _taken(names, name):
            errors = [OPTION_NOT_UNIQUE]
        if not errors:
            try:
                with transaction.atomic():
                    option = TrackingOption.objects.create(category=category, name=name)
            except IntegrityError:
                errors = [OPTION_NOT_UNIQUE]
        if errors:
            results.append(TrackingResult(raw, errors=errors))
            continue
        names.append(name)
        results.append(TrackingResult(raw, option))
    return results


def option_update(*, option: TrackingOption, raw: dict[str, Any]) -> TrackingResult:
    """Rename an option and/or archive or restore it (POST …/Options/{id}). In a transaction."""
    _lock(option.category.organisation)
    others = option.category.options.exclude(status=DELETED).exclude(pk=option.pk).values_list("name", flat=True)
    name = text(raw.get("Name")) if "Name" in raw else option.name
    status = text(raw.get("Status")).upper() if raw.get("Status") else option.status
    errors = _name_errors(name, noun="Option") or _status_errors(status, noun="Option")
    if not errors and _taken(list(others), name):
        errors = [OPTION_NOT_UNIQUE]
    if not errors and status == ARCHIVED != option.status and not option_in_use(option):
        errors = [OPTION_UNUSED]
    if errors:
        return TrackingResult(raw, errors=errors)
    option.name, option.status = name, status
    option.save(update_fields=["name", "status", "updated_at"])
    return TrackingResult(raw, option)


def option_delete(*, option: TrackingOption) -> TrackingResult:
    """Delete an option never used on a line; a used one must be archived."""
    submitted = {"TrackingOptionID": str(option.tracking_option_id)}
    _lock(option.category.organisation)
    if option_in_use(option):
        return TrackingResult(submitted, errors=[OPTION_USED])
    option.status = DELETED
    option.save(update_fields=["status", "updated_at"])
    return TrackingResult(submitted, option)


def tracking_seed(*, organisation: Organisation, name: str, options: list[str]) -> TrackingCategory:
    """Give the organisation the category `name` with `options` (idempotent: existing ones are kept)."""
    category = (
        TrackingCategory.objects.filter(organisation=organisation, name__iexact=name).exclude(status=DELETED).first()
    )
    if category is None:
        category = TrackingCategory.objects.create(organisation=organisation, name=name)
    present = {n.casefold() for n in category.options.exclude(status=DELETED).values_list("name", flat=True)}
    TrackingOption.objects.bulk_create(
        TrackingOption(category=category, name=option) for option in options if option.casefold() not in present
    )
    return category
