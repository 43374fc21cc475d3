"""Register developer apps (what developer.xero.com does)."""

from __future__ import annotations

from urllib.parse import urlparse

from django.core.exceptions import ValidationError

from xero_sandbox.models import DeveloperApp
from xero_sandbox.models.identity import new_secret


def _validate_redirect_uri(uri: str) -> None:
    parsed = urlparse(uri)
    local = parsed.hostname in {"localhost", "127.0.0.1", "::1"}
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ValidationError(f"Redirect URI {uri!r} must be an absolute http(s) URL.")
    if parsed.scheme == "http" and not local:
        raise ValidationError(f"Redirect URI {uri!r} must use https (http only for localhost).")
    if "*" in uri or parsed.fragment:
        raise ValidationError(f"Redirect URI {uri!r} must not hold wildcards or a fragment.")


def app_create(*, name: str, redirect_uris: list[str], webhook_url: str = "") -> DeveloperApp:
    """Create a web app with a generated client id, secret and webhook key."""
    name = name.strip()
    if not name:
        raise ValidationError("App name is required.")
    uris = [uri.strip() for uri in redirect_uris if uri.strip()]
    if not uris:
        raise ValidationError("At least one redirect URI is required.")
    for uri in uris:
        _validate_redirect_uri(uri)
    app = DeveloperApp(name=name, redirect_uris="\n".join(uris), webhook_url=webhook_url.strip())
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
    }
