"""Waking the schedule when the ledger has work for a channel: signals the ledger sends, the
schedule's lanes receive.

The ledger sits below the schedule and never imports it: a write that makes rows due sends
`channel_has_work` (or `store_has_work`) once its transaction commits, and the lanes, connected
when the app starts (`accounting.sync.schedule.lanes`), start a lane for each sending channel.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `channel_id`: rows of the channel are due (a change, a retry, a choice made).
channel_has_work = Signal()
# Sent with `store_id`: records of the store changed; each of its sending channels has work.
store_has_work = Signal()


def sync_wake_channel(*, channel_id: int) -> None:
    """Make sure a lane runs for the channel (called on commit of a change)."""
    channel_has_work.send(sender=None, channel_id=channel_id)


def sync_wake_store(*, store_id: int) -> None:
    """Wake the sending channels of a store whose records just changed."""
    store_has_work.send(sender=None, store_id=store_id)
