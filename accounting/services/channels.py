"""Writes of accounting channels: create, change, delete, switch on and off."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from accounting.books.currency import channel_currency_problem
from accounting.models import SENDING_SETTINGS, AccountingChannel, ChannelEvent, ChannelEventKind, ConnectionState
from accounting.selectors import active_channel_conflicts
from stores.models import Store

# Fields a user may set through the channel form (the connection fields are set by connecting).
EDITABLE_FIELDS = ("name", "client_id", "client_secret", *SENDING_SETTINGS)


def kept_once_connected_message(*, name: str) -> str:
    return (
        f"“{name}” has been connected to Xero, so its record of what was sent is kept. "
        "Disconnect it or switch it off instead of deleting it."
    )


def store_has_active_channel_message(*, other_name: str) -> str:
    return (
        f"“{other_name}” is already the active channel of this store. Switch it off first: "
        "a store sends to one accounting channel at a time."
    )


def prefix_taken_message(*, other_name: str, other_store: str, tenant_name: str) -> str:
    return (
        f"“{other_name}” of the store {other_store} already sends to the Xero organisation "
        f"{tenant_name} with the same invoice number prefix. Give this channel a different "
        "Invoice number prefix or switch the other channel off."
    )


def prefix_taken_elsewhere_message(*, tenant_name: str) -> str:
    """The same, for another organization's channel: never named."""
    return (
        f"Another channel already sends to the Xero organisation {tenant_name} with the same invoice "
        "number prefix. Give this channel a different Invoice number prefix."
    )


def _event(*, channel: AccountingChannel, kind: str, user: User | None, message: str = "") -> None:
    ChannelEvent.objects.create(channel=channel, kind=kind, message=message[:500], user=user)


@transaction.atomic
@sensitive_variables("fields")
def channel_create(
    *, store: Store, user: User | None = None, provider: str = "xero", **fields: Any
) -> AccountingChannel:
    """Create a channel of `store` (switched off and not connected)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not channel settings: {', '.join(sorted(unknown))}")
    if not fields.get("client_secret"):
        raise ValidationError({"client_secret": "Enter the Client Secret of your Xero app."})  # nosec B105  # an error message naming the field, not a password
    channel = AccountingChannel(store=store, provider=provider, **fields)
    channel.full_clean()
    channel.save()
    _event(channel=channel, kind=ChannelEventKind.CREATED, user=user)
    return channel


@sensitive_variables("fields")
def channel_update(*, channel: AccountingChannel, user: User | None = None, **fields: Any) -> AccountingChannel:
    """Change the channel's settings; a blank `client_secret` keeps the stored one.

    A new Client ID means another Xero app, whose consent the stored tokens do not carry: the
    channel then needs to be connected again. An active channel's organisation must have the
    store's currency enabled (asked of Xero before the row is locked).
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not channel settings: {', '.join(sorted(unknown))}")
    if channel.is_active:
        problem = channel_currency_problem(channel=channel)
        if problem:
            raise ValidationError(problem)
    return _channel_update(channel=channel, user=user, **fields)


@transaction.atomic
@sensitive_variables("fields")
def _channel_update(*, channel: AccountingChannel, user: User | None = None, **fields: Any) -> AccountingChannel:
    if not fields.get("client_secret"):
        fields.pop("client_secret", None)
    channel = AccountingChannel.objects.select_for_update().get(pk=channel.pk)
    client_id_changed = "client_id" in fields and fields["client_id"] != channel.client_id
    for name, value in fields.items():
        setattr(channel, name, value)
    channel.full_clean()
    if channel.is_active:
        channel_active_rules_check(channel=channel)
    if client_id_changed:
        channel_client_id_changed(channel=channel)
    _save_checked(channel)
    return channel


def channel_client_id_changed(*, channel: AccountingChannel) -> None:
    """Ask for a reconnect: the stored tokens belong to the previous Xero app (the caller saves)."""
    if channel.connection_state == ConnectionState.CONNECTED:
        channel.connection_state = ConnectionState.NEEDS_RECONNECT
        channel.state_reason = "The Client ID changed: connect the channel again to authorise the new Xero app."


@transaction.atomic
def channel_delete(*, channel: AccountingChannel) -> None:
    """Delete a channel that was never connected.

    A channel that has been connected may have sent records to Xero; its record of them is what
    prevents sending them twice, so it is kept: such a channel is disconnected and switched off.
    """
    channel = AccountingChannel.objects.select_for_update().get(pk=channel.pk)
    if channel.connected_at is not None:
        raise ValidationError(kept_once_connected_message(name=channel.name))
    channel.delete()


def channel_active_rules_check(*, channel: AccountingChannel) -> None:
    """Raise ValidationError when `channel`, active, would break a one-active-channel rule."""
    other = active_channel_conflicts(channel=channel).first()
    if other is None:
        return
    if other.store_id == channel.store_id:
        raise ValidationError(store_has_active_channel_message(other_name=other.name))
    if other.store.organization_id == channel.store.organization_id:
        raise ValidationError(
            prefix_taken_message(other_name=other.name, other_store=other.store.name, tenant_name=channel.tenant_name)
        )
    # Never name another organization's channel.
    raise ValidationError(prefix_taken_elsewhere_message(tenant_name=channel.tenant_name))


def _save_checked(channel: AccountingChannel) -> None:
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError:
        # A concurrent activation won the race the checks above could not see.
        raise ValidationError("Another channel was switched on at the same moment. Reload the page.") from None


def channel_activate(*, channel: AccountingChannel, user: User | None = None) -> AccountingChannel:
    """Switch the channel on; only a connected channel that breaks no one-active rule, and whose
    organisation has the store's currency enabled, can be.

    The currency is asked of Xero before the channel's row is locked (no lock held across a call)."""
    if not channel.is_active:
        problem = channel_currency_problem(channel=channel)
        if problem:
            raise ValidationError(problem)
    return _channel_activate(channel=channel, user=user)


@transaction.atomic
def _channel_activate(*, channel: AccountingChannel, user: User | None = None) -> AccountingChannel:
    channel = AccountingChannel.objects.select_for_update().select_related("store").get(pk=channel.pk)
    if channel.is_active:
        return channel
    if channel.connection_state != ConnectionState.CONNECTED:
        raise ValidationError(f"Connect “{channel.name}” to Xero before switching it on.")
    channel.is_active = True
    channel_active_rules_check(channel=channel)
    _save_checked(channel)
    _event(channel=channel, kind=ChannelEventKind.ACTIVATED, user=user)
    return channel


@transaction.atomic
def channel_deactivate(*, channel: AccountingChannel, user: User | None = None) -> AccountingChannel:
    """Switch the channel off: nothing more is sent until it is switched on again."""
    channel = AccountingChannel.objects.select_for_update().get(pk=channel.pk)
    if not channel.is_active:
        return channel
    channel.is_active = False
    channel.save(update_fields=["is_active", "updated_at"])
    _event(channel=channel, kind=ChannelEventKind.DEACTIVATED, user=user)
    return channel
