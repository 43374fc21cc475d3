"""Register developer apps (what developer.xero.com does), and what each app tier allows.

Tiers (Xero's 2026 pricing, developer.xero.com/pricing and its FAQ "Pricing and Policy Updates";
day limits: accountingtoday.com on the tiers; bulk connections on Advanced only: chift.eu's guide):
Starter 5 connections and 1,000 calls a day per organisation, Core 50, Plus 1,000, Advanced 10,000
(5,000 calls a day each); several organisations in one consent only on Advanced.
"""

from __future__ import annotations

from urllib.parse import urlparse

from django.core.exceptions import ValidationError

from xero_sandbox.models import AppTier, DeveloperApp
from xero_sandbox.models.identity import new_secret

CONNECTION_CAPS = {AppTier.STARTER: 5, AppTier.CORE: 50, AppTier.PLUS: 1_000, AppTier.ADVANCED: 10_000}
DAY_LIMITS = {AppTier.STARTER: 1_000, AppTier.CORE: 5_000, AppTier.PLUS: 5_000, AppTier.ADVANCED: 5_000}
BULK_CONNECTION_TIERS = {AppTier.ADVANCED}


def app_day_limit(*, app: DeveloperApp) -> int:
    """Return the calls a day the app may make to each organisation."""
    return DAY_LIMITS[AppTier(app.tier)]


def app_connection_cap(*, app: DeveloperApp) -> int:
    """Return how many organisations the app may be connected to."""
    return CONNECTION_CAPS[AppTier(app.tier)]


def app_bulk_connections(*, app: DeveloperApp) -> bool:
    """Return True when one consent may connect several organisations to the app."""
    return AppTier(app.tier) in BULK_CONNECTION_TIERS


def _tier_check(tier: str) -> str:
    if tier not in AppTier.values:
        raise ValidationError(f"Unknown app tier {tier!r}; choose one of {', '.join(AppTier.values)}.")
    return tier


def _validate_redirect_uri(uri: str) -> None:
    parsed = urlparse(uri)
    local = parsed.hostname in {"localhost", "127.0.0.1", "::1"}
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ValidationError(f"Redirect URI {uri!r} must be an absolute http(s) URL.")
    if parsed.scheme == "http" and not local:
        raise ValidationError(f"Redirect URI {uri!r} must use https (http only for localhost).")
    if "*" in uri or parsed.fragment:
        raise ValidationError(f"Redirect URI {uri!r} must not hold wildcards or a fragment.")


def app_create(
    *, name: str, redirect_uris: list[str], webhook_url: str = "", tier: str = AppTier.STARTER
) -> DeveloperApp:
    """Create a web app with a generated client id, secret and webhook key (Starter unless told)."""
    name = name.strip()
    if not name:
        raise ValidationError("App name is required.")
    uris = [uri.strip() for uri in redirect_uris if uri.strip()]
    if not uris:
        raise ValidationError("At least one redirect URI is required.")
    for uri in uris:
        _validate_redirect_uri(uri)
    app = DeveloperApp(
        name=name, redirect_uris="\n".join(uris), webhook_url=webhook_url.strip(), tier=_tier_check(tier)
    )
    app.full_clean()
    app.save()
    return app


def app_add_redirect_uri(*, app: DeveloperApp, redirect_uri: str) -> DeveloperApp:
    """Register one more redirect URI on `app` (no-op when already there)."""
    _validate_redirect_uri(redirect_uri)
    if redirect_uri not in app.redirect_uri_list:
        app.redirect_uris = "\n".join([*app.redirect_uri_list, redirect_uri])
        app.save(update_fields=["redirect_uris"])
    return app


def app_set_webhook_url(*, app: DeveloperApp, webhook_url: str) -> DeveloperApp:
    """Set the webhook URL and forget any earlier intent-to-receive result."""
    app.webhook_url = webhook_url.strip()
    app.webhook_intent_verified = False
    app.full_clean()
    app.save(update_fields=["webhook_url", "webhook_intent_verified"])
    return app


def app_set_tier(*, app: DeveloperApp, tier: str) -> DeveloperApp:
    """Move the app to another tier (existing connections stay, as Xero keeps them)."""
    app.tier = _tier_check(tier)
    app.save(update_fields=["tier"])
    return app


def app_regenerate_secret(*, app: DeveloperApp) -> DeveloperApp:
    """Replace the client secret (the old one stops working at once)."""
    app.client_secret = new_secret()
    app.save(update_fields=["client_secret"])
    return app


def app_as_json(*, app: DeveloperApp) -> dict[str, object]:
    """Return the app's credentials as the management commands print them."""
    return {
        "name": app.name,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uris": app.redirect_uri_list,
        "webhook_url": app.webhook_url,
        "webhook_key": app.webhook_key,
        "tier": app.tier,
    }
