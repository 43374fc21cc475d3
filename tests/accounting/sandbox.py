"""Test helpers that stage things in the Xero sandbox (tests may import it; the portal never does).

The consent page is driven over real HTTP with `requests`, as a browser without JavaScript would,
signed in on the site as the Xero user who consents (login.xero.com signs its users in first).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from html import unescape
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from xero_sandbox.models import RequestLog

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
# Radio buttons for apps that connect one organisation per consent, checkboxes on the Advanced tier.
ORGANISATION = re.compile(r'<input type="(?:checkbox|radio)" name="tenant" value="([^"]+)"[^>]*>\s*([^<]+?)\s*</label>')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


def sandbox_app(*, redirect_uri: str, name: str = "Portal test app", tier: str = "starter") -> dict:
    """Register a Xero "Web app" in the sandbox (Starter unless told); return its credentials."""
    out = io.StringIO()
    call_command(
        "xero_sandbox", "create-app", "--name", name, "--redirect-uri", redirect_uri, "--tier", tier, stdout=out
    )
    return json.loads(out.getvalue())


def sandbox_app_tier_set(*, client_id: str, tier: str) -> None:
    """Move a sandbox app to another tier (several organisations in one consent need "advanced")."""
    from xero_sandbox import testing
    from xero_sandbox.models import DeveloperApp

    testing.app_tier_set(app=DeveloperApp.objects.get(client_id=client_id), tier=tier)


def sandbox_org(name: str, *, users: Sequence = ()) -> str:
    """Create a sandbox organisation that `users` (the Xero users who will consent) may connect;
    return its tenant id."""
    out = io.StringIO()
    granted = [arg for user in users for arg in ("--user", user.get_username())]
    call_command("xero_sandbox", "create-org", "--name", name, *granted, stdout=out)
    return out.getvalue().strip()


def signed_in_browser(user) -> requests.Session:
    """A browser session signed in on the site as `user`: the sandbox's Xero user."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    browser = requests.Session()
    browser.cookies.set(cookie.key, cookie.value)
    return browser


def sandbox_token_set(*, client_id: str, tenant_id: str) -> dict:
    """Return a real token set of the sandbox for an app connected to one organisation."""
    out = io.StringIO()
    call_command("xero_sandbox", "issue-token", "--client-id", client_id, "--tenant", tenant_id, stdout=out)
    return json.loads(out.getvalue())


def consent(authorize_url: str, *, user, allow: bool = True, organisations: list[str] | None = None) -> str:
    """Answer Xero's consent page signed in as the Xero user `user`; return the URL Xero sends the
    browser back to.

    `organisations` names the organisations to tick (default: the page's default choice).
    """
    session = signed_in_browser(user)
    page = session.get(authorize_url, timeout=10)
    page.raise_for_status()
    html = page.text
    data: list[tuple[str, str]] = [(name, unescape(value)) for name, value in HIDDEN.findall(html)]
    offered = {unescape(label): value for value, label in ORGANISATION.findall(html)}
    if organisations is None:
        data += [("tenant", next(iter(offered.values())))]
    else:
        data += [("tenant", offered[name]) for name in organisations]
    data.append(("action", "allow" if allow else "cancel"))
    form_action = FORM_ACTION.search(html)
    assert form_action is not None, html[:500]
    action = urljoin(page.url, unescape(form_action.group(1)))
    answer = session.post(action, data=data, allow_redirects=False, timeout=10, headers={"Referer": page.url})
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def token_requests(grant_type: str) -> list[RequestLog]:
    """Return the sandbox's log of token-endpoint calls of one grant type."""
    rows = RequestLog.objects.filter(path__endswith="/identity/connect/token").order_by("pk")
    return [row for row in rows if f"grant_type={grant_type}" in row.request_body]
