"""Who is calling: the bearer token's grant and the `xero-tenant-id` it may reach."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from xero_sandbox.models import DeveloperApp, Organisation
from xero_sandbox.models.identity import Connection
from xero_sandbox.services.tokens import TokenExpired, TokenInvalid, access_token_decode

from .responses import problem

# Which scopes open which resource (any one of them; `.read` only for GET).
RESOURCE_SCOPES = {
    "Invoices": ("accounting.invoices", "accounting.transactions"),
    # Granular scopes: payments are their own (XERO_NOTES "Scopes"); `accounting.invoices` does not open them.
    "Payments": ("accounting.payments", "accounting.transactions"),
    "CreditNotes": ("accounting.invoices", "accounting.transactions"),
    "Contacts": ("accounting.contacts",),
    "Items": ("accounting.settings",),
    "Accounts": ("accounting.settings",),
    "TaxRates": ("accounting.settings",),
    "Currencies": ("accounting.settings",),
    "Organisation": ("accounting.settings",),
    # The spec: GET needs accounting.settings or accounting.settings.read, writes accounting.settings.
    "TrackingCategories": ("accounting.settings",),
    # Granular scopes: spend/receive money and transfers are `accounting.banktransactions` (`.read` for
    # GET); the spec's security names the broad `accounting.transactions` they replaced.
    "BankTransactions": ("accounting.banktransactions", "accounting.transactions"),
    "BankTransfers": ("accounting.banktransactions", "accounting.transactions"),
}


class Refused(Exception):
    """The call is refused before reaching a resource; carries Xero's status and body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass(frozen=True)
class Caller:
    app: DeveloperApp
    organisation: Organisation
    scopes: tuple[str, ...]


def bearer_claims(request: HttpRequest) -> dict[str, Any]:
    """Return the access token's claims or raise Refused(401)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Refused(401, problem(401, "Unauthorized", "AuthenticationUnsuccessful"))
    try:
        return access_token_decode(header[len("Bearer ") :].strip())
    except TokenExpired as exc:
        stamp = dt.datetime.fromtimestamp(exc.expired_at, tz=dt.UTC).strftime("%m/%d/%Y %H:%M:%S")
        raise Refused(
            401,
            problem(401, "Unauthorized", f"TokenExpired: token expired at {stamp}"),
            {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="The token expired"'},
        ) from None
    except TokenInvalid:
        raise Refused(401, problem(401, "Unauthorized", "AuthenticationUnsuccessful")) from None


def caller_for(request: HttpRequest) -> Caller:
    """Return the app and organisation of an Accounting API call, or raise Refused (401/403)."""
    claims = bearer_claims(request)
    try:
        tenant_id = uuid.UUID(request.headers.get("xero-tenant-id", "").strip())
    except ValueError:
        raise Refused(403, problem(403, "Forbidden", "AuthenticationUnsuccessful")) from None
    connection = (
        Connection.objects.select_related("organisation", "app")
        .filter(
            app__client_id=str(claims.get("client_id", "")),
            user_id=str(claims.get("xero_userid", "")),
            organisation__tenant_id=tenant_id,
        )
        .first()
    )
    if connection is None:
        raise Refused(403, problem(403, "Forbidden", "AuthenticationUnsuccessful"))
    return Caller(app=connection.app, organisation=connection.organisation, scopes=tuple(claims.get("scope", [])))


def scope_check(caller: Caller, *, resource: str, write: bool) -> None:
    """Raise Refused(401 AuthorizationUnsuccessful) when the token lacks the resource's scope."""
    needed = RESOURCE_SCOPES.get(resource, ())
    accepted = set(needed) if write else set(needed) | {f"{scope}.read" for scope in needed}
    if not accepted & set(caller.scopes):
        raise Refused(401, problem(401, "Unauthorized", "AuthorizationUnsuccessful"))
