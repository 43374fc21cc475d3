#!/usr/bin/env python
"""Drill 3, isolation matrix: every URL of the portal, the Billing API and the admin, asked for
another organization's objects by a member, an admin and an API key of a second organization.

Over real HTTP (logged in through the login form, CSRF token sent), each URL pattern of the
root URLconf is filled with the victim organization's ids and requested with GET and POST (the
API also with PUT, PATCH, DELETE). Refused means: 403, 404 or 405 (at least one 403/404) for a
logged-in caller; 404/405 for the API key on the API; a redirect to the log-in page for a caller
the page does not authenticate (the API key on a portal page, anyone but staff on the admin).
Pages that take no id are asked with GET and must not show the victim's marker. The victim's
rows are compared before and after: no side effect. A URL pattern that has no case (an id the
drill cannot fill, or an id-less page not listed) is reported as uncovered and fails the drill.

    .venv/bin/python drills/isolation.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MARKER = "Victimcorp"
PASSWORD = "drill-Pa55word-not-secret"  # nosec B105  # a throw-away password of a drill's own database
# The Xero stand-in is not part of the portal: it is reached by the portal as Xero would be.
NOT_PORTAL = ("xero-sandbox/",)
# Id-less pages (but the admin's, which must all send a non-staff caller to log in): asked with GET,
# they must not show the victim's marker. A new id-less page must be added here, or the drill fails.
UNSCOPED = {
    "login", "logout", "password_change", "password_change_done",
    "organizations:switch", "organizations:members", "organizations:invitations",
    "organizations:invitation-accept", "organizations:api-keys",
    "route:", "stores:list", "stores:create", "accounting:xero-callback",
    "api-stores", "api-schema", "api-docs",
}  # fmt: skip
# The admin's own log-in and log-out pages are public by design (log-out would end the caller's session).
ADMIN_PUBLIC = {"admin:login", "admin:logout"}
REFUSED = {403, 404, 405}
# Routes that authenticate each request by a signature over its body (Xero's webhook deliveries):
# refused means 401 for anyone without the channel's webhook key.
SIGNED = ("xero/webhooks/",)


@dataclass
class Victim:
    organization_id: int
    ids: dict[str, int | str]
    marker: str = MARKER


@dataclass
class Outcome:
    requests: int = 0
    refused: int = 0
    failures: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)


def _walk(patterns: list, prefix: str = "", namespace: str = ""):
    from django.urls import URLResolver

    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        else:
            yield prefix + str(entry.pattern), (namespace + entry.name) if entry.name else "", entry


def url_patterns() -> list[tuple[str, str, Any]]:
    """Every URL pattern of the site but the Xero stand-in: (route, name, pattern)."""
    from django.urls import get_resolver

    return [row for row in _walk(get_resolver().url_patterns) if not row[0].startswith(NOT_PORTAL)]


def victim_create() -> Victim:
    """The organization under attack, with one object of every kind a URL can name."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from accounting.inbound.webhooks import feed_of
    from accounting.models import AccountingChannel, ChannelAuthorization, ConnectionState
    from accounting.sync.models import DailySummary, Reconciliation, SyncRecord
    from organizations.api_keys import api_key_create
    from organizations.invitations import invitation_create
    from organizations.models import Membership, Organization
    from stores.models import Invoice, Payout, Product, Store

    org = Organization.objects.create(name=f"{MARKER} Ltd", slug="victimcorp")
    owner = get_user_model().objects.create_user(username="victim-owner", email="owner@victim.example")
    owner_membership = Membership.objects.create(organization=org, user=owner, role="owner")
    store = Store.objects.create(organization=org, name=f"{MARKER} store", currency="GBP")
    product = Product.objects.create(store=store, sku="VICTIM-1", name=f"{MARKER} product", unit_price=Decimal("9"))
    today = dt.date.today()
    invoice = Invoice.objects.create(store=store, number="VICTIM-INV-1", customer_name=f"{MARKER} customer",
                                     currency="GBP", issue_date=today, due_date=today)  # fmt: skip
    channel = AccountingChannel(
        store=store, name=f"{MARKER} books", client_id="VICTIMCLIENT", client_secret="victim-secret",  # nosec B106  # a throw-away value of a drill's own database
        tenant_id="victim-tenant",
        tenant_name=f"{MARKER} (UK)", connection_state=ConnectionState.CONNECTED, connected_at=timezone.now(),
    )  # fmt: skip
    channel.token_set = {"access_token": "a", "refresh_token": "r", "expires_at": 0}  # nosec B105  # fake tokens of a drill's own database
    channel.save()
    record, _ = SyncRecord.objects.get_or_create(channel=channel, kind="invoice", object_id=invoice.pk)
    summary = DailySummary.objects.create(
        channel=channel, day=today, currency="GBP", tax_mode="exclusive", number="VICTIM-DAY-1"
    )
    payout = Payout.objects.create(
        store=store, reference="VICTIM-PO-1", method="card", currency="GBP", date=today, gross=Decimal("9"),
        fees=Decimal("0"), net=Decimal("9"),
    )  # fmt: skip
    reconciliation = Reconciliation.objects.create(
        channel=channel, date_from=today, date_to=today, state="done",
        differences=[{"kind": "missing_in_xero", "record": {"type": "invoice", "id": invoice.pk,
                      "number": "VICTIM-INV-1", "date": today.isoformat()}, "store": {}, "xero": {},
                      "message": "Not in Xero", "actions": ["send"], "xero_url": ""}],
    )  # fmt: skip
    # The channel's webhook URL, with a key set: only a delivery signed with that key is taken.
    feed = feed_of(channel=channel)
    feed.webhook_key = "victim-webhook-key"  # nosec B105  # a throw-away value of a drill's own database
    feed.save()
    authorization = ChannelAuthorization.objects.create(
        channel=channel, user=owner, state_digest="0" * 64, code_verifier="v",
        redirect_uri="http://127.0.0.1/xero/callback/", outcome="choosing",
        connections=[{"id": "c1", "tenant_id": "t1", "tenant_name": "One"}],
    )  # fmt: skip
    invitation = invitation_create(organization=org, actor=owner_membership, email="new@victim.example", role="admin")
    key, _raw = api_key_create(organization=org, name=f"{MARKER} key", created_by=owner)
    ids: dict[str, int | str] = {
        "store_id": store.pk, "product_id": product.pk, "invoice_id": invoice.pk, "channel_id": channel.pk,
        "record_id": record.pk, "summary_id": summary.pk, "payout_id": payout.pk,
        "reconciliation_id": reconciliation.pk,
        "authorization_id": authorization.pk, "membership_id": owner_membership.pk,
        "invitation_id": invitation.pk, "key_id": key.pk, "provider": "xero", "token": feed.url_token,
        # The admin: the victim's store (any object: a non-staff caller never reaches the lookup).
        "object_id": store.pk, "app_label": "stores", "url": "stores/store/", "id": owner.pk,
        "content_type_id": ContentType.objects.get_for_model(Store).pk,
    }  # fmt: skip
    return Victim(organization_id=org.pk, ids=ids)


def victim_rows(victim: Victim) -> dict[str, list[dict[str, Any]]]:
    """Every row of the victim organization, to compare before and after the attack."""
    from accounting.models import AccountingChannel, ChannelAuthorization
    from accounting.sync.models import ChannelXeroFeed, DailySummary, Reconciliation, SyncRecord, XeroWebhookEvent
    from organizations.models import ApiKey, Invitation, Membership, Organization
    from stores.models import Invoice, Payout, Product, Store

    org = victim.organization_id
    querysets = {
        "organization": Organization.objects.filter(pk=org),
        "memberships": Membership.objects.filter(organization_id=org),
        "stores": Store.objects.filter(organization_id=org),
        "products": Product.objects.filter(store__organization_id=org),
        "invoices": Invoice.objects.filter(store__organization_id=org),
        "channels": AccountingChannel.objects.filter(store__organization_id=org),
        "sync records": SyncRecord.objects.filter(channel__store__organization_id=org),
        "authorizations": ChannelAuthorization.objects.filter(channel__store__organization_id=org),
        "invitations": Invitation.objects.filter(organization_id=org),
        "api keys": ApiKey.objects.filter(organization_id=org),
        "webhook feeds": ChannelXeroFeed.objects.filter(channel__store__organization_id=org),
        "webhook events": XeroWebhookEvent.objects.filter(channel__store__organization_id=org),
        "daily summaries": DailySummary.objects.filter(channel__store__organization_id=org),
        "payouts": Payout.objects.filter(store__organization_id=org),
        "reconciliations": Reconciliation.objects.filter(channel__store__organization_id=org),
    }
    return {name: list(qs.order_by("pk").values()) for name, qs in querysets.items()}


def attackers_create() -> dict[str, str]:
    """A second organization with a member (operator), an admin and an API key; return the raw key."""
    from django.contrib.auth import get_user_model

    from organizations.api_keys import api_key_create
    from organizations.models import Membership, Organization
    from stores.models import Store

    org = Organization.objects.create(name="Attacker Ltd", slug="attacker")
    Store.objects.create(organization=org, name="Attacker store", currency="GBP")
    users = {}
    for username, role in (("attacker-member", "operator"), ("attacker-admin", "admin")):
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        Membership.objects.create(organization=org, user=user, role=role)
        users[username] = user
    _key, raw = api_key_create(organization=org, name="Attacker key", created_by=users["attacker-admin"])
    return {"api_key": raw}


def _session(base_url: str, *, username: str | None = None, api_key: str | None = None) -> Any:
    """A requests session: logged in through the log-in form, or carrying the API key."""
    import requests

    session = requests.Session()
    if api_key:
        session.headers["Authorization"] = f"Bearer {api_key}"
        return session
    page = session.get(f"{base_url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the log-in page"
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    answer = session.post(f"{base_url}/accounts/login/", data=form, timeout=30, allow_redirects=False)
    assert answer.status_code == 302, f"log-in of {username} answered {answer.status_code}"
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def _case_url(name: str, pattern: Any, route: str, victim: Victim) -> str | None:
    """The URL of a pattern filled with the victim's ids, or None when the drill cannot fill it."""
    from django.urls import reverse

    names = list(pattern.pattern.regex.groupindex) or list(pattern.pattern.converters)
    if any(n not in victim.ids for n in names):
        return None
    kwargs = {n: victim.ids[n] for n in names}
    if name:
        return reverse(name, kwargs=kwargs)
    # Unnamed (the admin's redirects and catch-all): fill the route's converters and groups by hand.
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(victim.ids[m.group(1)]), route)
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)\$?", lambda m: str(victim.ids[m.group(1)]), url)
    return "/" + url.lstrip("^")


def _methods(route: str) -> list[str]:
    return ["get", "post", "put", "patch", "delete"] if route.startswith("api/") else ["get", "post"]


BODY = {"name": "Hijacked", "is_active": "on", "role": "owner", "sku": "HIJACK", "number": "HIJACK",
        "customer_name": "Hijacked", "unit_price": "1", "organization": "", "tenant": "t1"}  # fmt: skip


def _judge(*, caller: str, route: str, statuses: dict[str, tuple[int, str]]) -> str | None:
    """Return why the answers are not a refusal, or None when they are."""
    codes = {code for code, _location in statuses.values()}
    if route.startswith(SIGNED) and codes <= {401, 405} and 401 in codes:
        return None  # Xero's webhook deliveries: no session or key opens them, only the signature
    if route.startswith("admin/") or (caller == "api key" and not route.startswith("api/")):
        # Not authenticated for this part of the site: sent to log in, nothing else.
        login = "/admin/login/" if route.startswith("admin/") else "/accounts/login/"
        # (A POST without the session's CSRF token is refused 403 before any view runs.)
        ok = all(code == 403 or (code == 302 and location.startswith(login)) for code, location in statuses.values())
        return None if ok else f"expected a redirect to {login}"
    if codes <= REFUSED and codes & {403, 404}:
        return None
    if route.startswith("api/") and codes <= {401, 403, 405} and caller != "api key":
        return None  # the Billing API takes no session: unauthenticated
    return "not refused"


def _request(session: Any, method: str, url: str) -> Any:
    """Send one request; once more on a kept-alive connection the server had closed meanwhile."""
    import requests

    body = {"json": BODY} if "/api/" in url else {"data": BODY}  # the Billing API reads JSON
    try:
        return session.request(method, url, timeout=30, allow_redirects=False, **body)
    except requests.ConnectionError:
        return session.request(method, url, timeout=30, allow_redirects=False, **body)


def attack(*, base_url: str, victim: Victim, callers: dict[str, Any]) -> Outcome:
    """Ask every URL pattern with the victim's ids as each caller; return the tally."""
    outcome = Outcome()
    for route, name, pattern in url_patterns():
        if name in ADMIN_PUBLIC:
            continue
        if (name or f"route:{route}") in UNSCOPED:
            _attack_unscoped(base_url=base_url, route=route, name=name, victim=victim, callers=callers, outcome=outcome)
            continue
        url = _case_url(name, pattern, route, victim)
        takes_ids = "<" in route or "(?P" in route
        if url is None or not (takes_ids or route.startswith("admin/")):
            outcome.uncovered.append(f"{route} ({name or 'no name'})")
            continue
        for caller, session in callers.items():
            statuses = {}
            for method in _methods(route):
                answer = _request(session, method, base_url + url)
                statuses[method] = (answer.status_code, answer.headers.get("Location", ""))
                outcome.requests += 1
            why = _judge(caller=caller, route=route, statuses=statuses)
            if why:
                outcome.failures.append(f"{caller}: {url} {why}: {statuses}")
            else:
                outcome.refused += len(statuses)
    return outcome


def _attack_unscoped(*, base_url: str, route: str, name: str, victim: Victim, callers: dict, outcome: Outcome) -> None:
    from django.urls import reverse

    url = "/" + route
    for caller, session in callers.items():
        if name == "logout":
            continue  # would end the caller's session; it names no object
        if name == "organizations:switch":
            # The one id-less page that takes an organization id: switching to the victim is refused.
            session.post(base_url + url, data={"organization": victim.organization_id}, timeout=30)
            outcome.requests += 1
            outcome.refused += 1  # judged by the page that follows
            url = reverse("stores:list")
        answer = session.get(base_url + url, timeout=30, allow_redirects=False)
        outcome.requests += 1
        if victim.marker in answer.text:
            outcome.failures.append(f"{caller}: {route} shows the victim's data ({answer.status_code})")
        else:
            outcome.refused += 1
        url = "/" + route


def run(*, base_url: str, out: Any = sys.stdout) -> Outcome:
    """Set up the victim and the attackers, attack, compare the victim's rows; print the figures."""
    victim = victim_create()
    secrets = attackers_create()
    before = victim_rows(victim)
    callers = {
        "member": _session(base_url, username="attacker-member"),
        "admin": _session(base_url, username="attacker-admin"),
        "api key": _session(base_url, api_key=secrets["api_key"]),
    }
    from django.test.utils import override_settings

    # The member and admin send the Billing API no key, hundreds of times from one address: the
    # failed-authentication lock-out (its own tests) would answer 429 and hide what is judged here.
    with override_settings(BILLING_API_FAILED_AUTH_RATE=""):
        outcome = attack(base_url=base_url, victim=victim, callers=callers)
    changed = [name for name, rows in victim_rows(victim).items() if rows != before[name]]
    if changed:
        outcome.failures.append(f"the victim's rows changed: {', '.join(changed)}")
    patterns = len(url_patterns()) - len(ADMIN_PUBLIC)
    print(f"isolation matrix: {patterns} URL patterns × {len(callers)} callers (member, admin, API key)", file=out)
    print(f"requests: {outcome.requests}; refused or showing nothing of the victim: {outcome.refused}", file=out)
    print(f"failures: {len(outcome.failures)}; uncovered patterns: {len(outcome.uncovered)}; "
          f"victim rows changed: {len(changed)}", file=out)  # fmt: skip
    for line in [*(f"uncovered: {u}" for u in outcome.uncovered), *outcome.failures][:60]:
        print("  " + line, file=out)
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="drill_isolation")
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--port", type=int, default=8772)
    args = parser.parse_args()
    from drills.harness import sandbox

    os.environ["BILLING_API_FAILED_AUTH_RATE"] = ""  # the served portal too (see run)
    with sandbox(database=args.database, redis_db=args.redis_db, port=args.port) as base_url:
        outcome = run(base_url=base_url)
    sys.exit(1 if outcome.failures or outcome.uncovered else 0)


if __name__ == "__main__":
    main()
