"""Tags of the channel page's own cards (live progress, connection health): each card's include
template loads what it shows, so the channel view and page need one `{% include %}` per card."""

from __future__ import annotations

from typing import Any

from django import template

from accounting.checks.health import channel_health
from accounting.models import AccountingChannel
from accounting.sync.ledger.page import channel_sync_progress, progress_summary

register = template.Library()

# Where "Test connection" leaves its results for the page it redirects to (read once).
TEST_RESULTS_KEY = "connection_test:{channel_id}"


@register.simple_tag
def sync_progress(channel: AccountingChannel) -> dict[str, Any]:
    progress = channel_sync_progress(channel=channel)
    progress["summary"] = progress_summary(progress)
    return progress


@register.simple_tag(takes_context=True)
def connection_health(context: template.Context, channel: AccountingChannel) -> dict[str, Any]:
    health = channel_health(channel=channel)
    request = context.get("request")
    session = getattr(request, "session", None)
    health["test"] = session.pop(TEST_RESULTS_KEY.format(channel_id=channel.pk), None) if session else None
    return health
