"""Channels connected to the Xero sandbox with real token sets: the one helper the tests, the drills
and the benchmarks share.

`sandbox_org` registers an app and an organisation (of a region's books) in the sandbox and issues
a token set for them, as a finished consent would; `sandbox_channel` gives a store a channel
connected to it (active unless told otherwise), sending to a sales account, with the operator's tax
choices. Nothing here calls the portal's code over HTTP: the sandbox is staged directly, and the
portal then reaches it only over HTTP, as it would reach Xero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# The tax mapping an operator of a UK organisation (the sandbox's default region) would choose.
UK_TAX_MAPPING = {"0": "ZERORATEDOUTPUT", "5": "RROUTPUT", "20": "OUTPUT2"}


@dataclass(frozen=True)
class SandboxOrg:
    name: str
    tenant_id: str
    client_id: str
    client_secret: str
    token_set: dict[str, Any]


def sandbox_org(
    name: str, *, expires_in: int = 1800, country: str = "GB", app: Any = None, scopes: list[str] | None = None
) -> SandboxOrg:
    """Create a sandbox organisation (with its country's books) and an app (unless given) connected
    to it; return the ids and a real token set."""
    from xero_sandbox import testing

    app = app or testing.app_create(name=f"App for {name}")
    organisation = testing.organisation_create(name=name, country=country)
    extra = {"scopes": scopes} if scopes is not None else {}
    token_set = testing.token_issue(app=app, organisations=[organisation], expires_in=expires_in, **extra)
    return SandboxOrg(name, str(organisation.tenant_id), app.client_id, app.client_secret, token_set)


def sandbox_channel(*, org: SandboxOrg, store: Any, tax_mapping: dict[str, str] | None = None, **fields: Any) -> Any:
    """Return `store`'s channel connected to `org`, active unless told otherwise.

    Its tax mapping is `tax_mapping` ({rate: Xero tax type} of goods lines), by default the
    operator's choice for a UK organisation; `{}` leaves it unmapped. `fields` set any other
    setting of the channel (name, account_nominal_code, scopes, is_active…).
    """
    from django.utils import timezone

    from accounting.models import AccountingChannel, ChannelTaxMapping, ConnectionState, TaxMappingOrigin

    fields.setdefault("is_active", True)
    fields.setdefault("name", f"Xero books of {store.name}")
    channel = AccountingChannel(
        store=store,
        client_id=org.client_id,
        client_secret=org.client_secret,
        token_expires_at=dt.datetime.fromtimestamp(org.token_set["expires_at"], tz=dt.UTC),
        tenant_id=org.tenant_id,
        tenant_name=org.name,
        connection_state=ConnectionState.CONNECTED,
        connected_at=timezone.now(),
        last_token_refresh_at=timezone.now(),
        **fields,
    )
    channel.token_set = org.token_set  # an encrypted JSON field
    channel.save()
    for rate, tax_type in (UK_TAX_MAPPING if tax_mapping is None else tax_mapping).items():
        ChannelTaxMapping.objects.create(
            channel=channel, rate=Decimal(rate), tax_type=tax_type, origin=TaxMappingOrigin.CHOSEN
        )
    return channel
