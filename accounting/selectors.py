"""Tenant-scoped reads of accounting channels (the only way views reach them)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from channels_portal.tenancy import get_in_organization
from organizations.models import Organization
from stores.models import Store

from .models import (
    AccountingChannel,
    AuthorizationOutcome,
    ChannelAuthorization,
    ChannelEvent,
    ConnectionState,
)


def channels_of_store(*, store: Store) -> QuerySet[AccountingChannel]:
    return AccountingChannel.objects.filter(store=store).select_related("store")


def channel_for_member(*, organization: Organization | None, channel_id: object) -> AccountingChannel:
    """Return the channel `channel_id` of one of `organization`'s stores; raise Http404 for any other."""
    return get_in_organization(
        AccountingChannel.objects.select_related("store"),
        organization=organization,
        path="store__organization",
        pk=channel_id,
    )


def authorization_for_member(
    *,
    organization: Organization | None,
    user: User,
    channel: AccountingChannel,
    authorization_id: object,
) -> ChannelAuthorization:
    """Return the user's own authorization of `channel` that is waiting for an organisation choice."""
    return get_in_organization(
        ChannelAuthorization.objects.filter(user=user, channel=channel, outcome=AuthorizationOutcome.CHOOSING),
        organization=organization,
        path="channel__store__organization",
        pk=authorization_id,
    )


def channel_events(*, channel: AccountingChannel, limit: int = 10) -> list[ChannelEvent]:
    return list(ChannelEvent.objects.filter(channel=channel).select_related("user")[:limit])


def active_channel_conflicts(*, channel: AccountingChannel) -> QuerySet[AccountingChannel]:
    """Return the other active channels that `channel` may not be active beside.

    A store has at most one active channel, and a Xero organisation receives from one active
    channel per invoice number prefix (so that two stores never post the same number).
    """
    rule = Q(store_id=channel.store_id)
    if channel.tenant_id:
        rule |= Q(tenant_id=channel.tenant_id, invoice_number_prefix=channel.invoice_number_prefix)
    return AccountingChannel.objects.filter(rule, is_active=True).exclude(pk=channel.pk).select_related("store")


def idle_channel_ids(*, idle_for: dt.timedelta) -> list[int]:
    """Return the connected channels whose token set has not been refreshed for `idle_for`."""
    before = timezone.now() - idle_for
    return list(
        AccountingChannel.objects.filter(connection_state=ConnectionState.CONNECTED)
        .filter(Q(last_token_refresh_at__lte=before) | Q(last_token_refresh_at__isnull=True, connected_at__lte=before))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
