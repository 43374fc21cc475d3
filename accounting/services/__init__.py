"""Writes of accounting channels (settings, Is Active, connection)."""

from accounting.services.channels import (
    EDITABLE_FIELDS,
    channel_activate,
    channel_active_rules_check,
    channel_client_id_changed,
    channel_create,
    channel_deactivate,
    channel_delete,
    channel_update,
)
from accounting.services.connection import (
    CallbackResult,
    ConnectError,
    InvalidAuthorizationState,
    authorization_choose,
    authorization_claim,
    authorization_complete,
    authorization_start,
    channel_connect_record,
    channel_disconnect,
)

__all__ = [
    "EDITABLE_FIELDS",
    "CallbackResult",
    "ConnectError",
    "InvalidAuthorizationState",
    "authorization_choose",
    "authorization_claim",
    "authorization_complete",
    "authorization_start",
    "channel_activate",
    "channel_active_rules_check",
    "channel_client_id_changed",
    "channel_connect_record",
    "channel_create",
    "channel_deactivate",
    "channel_delete",
    "channel_disconnect",
    "channel_update",
]
