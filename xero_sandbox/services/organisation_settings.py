"""An organisation's settings that make the sandbox stricter: the high-volume flag and the period lock date.

The lock-date rule itself (documents dated on or before it are refused) lives with the invoice rules;
this module only stores the settings.
"""

from __future__ import annotations

import datetime as dt

from xero_sandbox.models import Organisation

UNCHANGED = object()


def organisation_settings_set(
    *, organisation: Organisation, high_volume: bool | None = None, lock_date: dt.date | object | None = UNCHANGED
) -> Organisation:
    """Set the high-volume flag and/or the period lock date (None clears it); unset arguments keep their value."""
    changed = []
    if high_volume is not None:
        organisation.high_volume = bool(high_volume)
        changed.append("high_volume")
    if lock_date is not UNCHANGED:
        organisation.lock_date = lock_date  # type: ignore[assignment]
        changed.append("lock_date")
    if changed:
        organisation.full_clean(exclude=["name"])
        organisation.save(update_fields=changed)
    return organisation
