#!/usr/bin/env python
"""Drill 4, OAuth attacks on the Xero callback and on every `next`, over real HTTP with the sandbox.

Attacks: a forged state, a reused state (the callback of a finished connection replayed), an
expired state (started 11 minutes ago), another session's state (a colleague's callback opened
in another browser), a code from another channel's app, a callback for another organization's
channel (the user switched organization mid-consent), and open redirects in every `next` the
portal reads (log-in, log-out, a channel's on/off switch). Each must be refused, and no channel
row and no Xero connection may change.

    .venv/bin/python drills/oauth_attacks.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "drill-Pa55word-not-secret"  # nosec B105  # a throw-away password of a drill's own database
EVIL_NEXTS = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example",
              "javascript:alert(1)", "\\\\evil.example", " //evil.example/"]  # fmt: skip
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
ORGANISATION = re.compile(r'<input type="(?:checkbox|radio)" name="tenant" value="([^"]+)"')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


@dataclass
class Outcome:
    attacks: int = 0
    refused: int = 0
    failures: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)

    def judge(self, kind: str, ok: bool, detail: str) -> None:
        self.attacks += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if ok:
            self.refused += 1
        else:
            self.failures.append(f"{kind}: {detail}")


class Browser(requests.Session):
    """A browser of one of the drill's users (who is also a Xero user of the sandbox)."""

    def __init__(self, username: str) -> None:
        super().__init__()
        self.username = username


def login(base_url: str, username: str) -> Browser:
    """A browser session logged in through the log-in form; the CSRF token sent as a header."""
    session = Browser(username)
    page = session.get(f"{base_url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the log-in page"
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    answer = session.post(f"{base_url}/accounts/login/", data=form, timeout=30, allow_redirects=False)
    assert answer.status_code == 302, f"log-in of {username} answered {answer.status_code}"
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def _sign_in_to_xero(browser: Any, login_page: Any) -> Any:
    """Sign in on Xero's log-in page the consent page sent `browser` to (the sandbox on its own host:
    cookies of the portal's host do not go there), as login.xero.com asks; return the page it leads to."""
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)
    assert token, "no CSRF token on Xero's log-in page"
    form = {"username": browser.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    answer = browser.post(login_page.url, data=form, timeout=30, headers={"Referer": login_page.url, "X-CSRFToken": ""})
    answer.raise_for_status()
    return answer


def consent(browser: Any, authorize_url: str) -> str:
    """Allow access on the sandbox's consent page in `browser` (a session signed in on the site: the
    sandbox's Xero user, as login.xero.com remembers its sign-in); return the callback URL Xero sends
    the browser to."""
    page = browser.get(authorize_url, timeout=30)
    page.raise_for_status()
    if urlsplit(page.url).path.endswith("/accounts/login/"):
        page = _sign_in_to_xero(browser, page)
    data = [(name, unescape(value)) for name, value in HIDDEN.findall(page.text)]
    data += [("tenant", ORGANISATION.findall(page.text)[0]), ("action", "allow")]
    action = urljoin(page.url, unescape(FORM_ACTION.search(page.text).group(1)))  # type: ignore[union-attr]
    answer = browser.post(action, data=data, allow_redirects=False, timeout=30, headers={"Referer": page.url})
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["Location"]


def press_connect(session: Any, base_url: str, channel_id: int) -> str:
    answer = session.post(f"{base_url}/channels/{channel_id}/connect/", timeout=30, allow_redirects=False)
    assert answer.status_code == 302, f"connect answered {answer.status_code}"
    return answer.headers["Location"]


def callback_url(session: Any, base_url: str, channel_id: int) -> str:
    """Press Connect, allow on Xero's consent page; return the callback URL (not yet opened)."""
    return consent(session, press_connect(session, base_url, channel_id))


def scene_create(*, base_url: str) -> dict[str, Any]:
    """Organization A (channels C1, C2, each its own Xero app) and B (channel CB); a member of both."""
    from django.contrib.auth import get_user_model

    from accounting.models import AccountingChannel
    from organizations.models import Membership, Organization
    from stores.models import Store
    from xero_sandbox import testing

    users = {name: get_user_model().objects.create_user(username=name, password=PASSWORD)
             for name in ("alice", "colleague")}  # fmt: skip
    channels = {}
    for org_name, channel_names in (("Org A", ["C1", "C2"]), ("Org B", ["CB"])):
        org = Organization.objects.create(name=org_name, slug=org_name.lower().replace(" ", "-"))
        store = Store.objects.create(organization=org, name=f"{org_name} store", currency="GBP")
        for user in users.values():
            Membership.objects.create(organization=org, user=user, role="admin")
        for name in channel_names:
            app = testing.app_create(name=f"App {name}", redirect_uri=f"{base_url}/xero/callback/")
            # Both users are Xero users of the organisation: its consent page offers it to them.
            testing.organisation_create(name=f"Books {name}", users=list(users.values()))
            channels[name] = AccountingChannel.objects.create(
                store=store, name=name, client_id=app.client_id, client_secret=app.client_secret
            ).pk
    return {"channels": channels, "org_b": Organization.objects.get(name="Org B").pk}


def rows() -> dict[str, Any]:
    """What an attack must not change: every channel row, and the Xero connections the portal holds.

    (Xero's consent page itself creates a connection before the portal sees the callback; only
    the portal's own token exchanges and disconnects are counted.)
    """
    from accounting.models import AccountingChannel
    from xero_sandbox.models import Connection, RequestLog

    exchanges = RequestLog.objects.filter(
        path__endswith="/identity/connect/token", request_body__contains="authorization_code", status=200
    )
    return {
        "channels": list(AccountingChannel.objects.order_by("pk").values()),
        "codes exchanged": exchanges.count(),
        "portal's connections in Xero": Connection.objects.filter(
            connection_id__in=[c for c in AccountingChannel.objects.values_list("connection_id", flat=True) if c]
        ).count(),
    }


def _open(session: Any, base_url: str, url: str) -> Any:
    """Open a callback URL (Xero's redirect) in a browser session, without following the answer."""
    parts = urlsplit(url)
    return session.get(f"{base_url}{parts.path}?{parts.query}", timeout=30, allow_redirects=False)


def _refused(answer: Any, *, channel_id: int) -> bool:
    """400/404, or sent back to the channel's page with an error (never to "connected" or a pick)."""
    if answer.status_code in (400, 403, 404):
        return True
    return answer.status_code == 302 and answer.headers["Location"] == f"/channels/{channel_id}/"


def state_attacks(*, base_url: str, scene: dict, alice: Any, colleague: Any, outcome: Outcome) -> None:
    from accounting.models import ChannelAuthorization

    c1, c2 = scene["channels"]["C1"], scene["channels"]["C2"]
    answer = alice.get(f"{base_url}/xero/callback/", params={"code": "forged", "state": "f" * 40}, timeout=30)
    outcome.judge("forged state", answer.status_code == 400, f"answered {answer.status_code}")
    replay = scene["finished_callback"]
    answer = _open(alice, base_url, replay)
    outcome.judge("reused state", answer.status_code == 400, f"answered {answer.status_code}")
    # Another session: the colleague opens alice's (fresh) callback in their own browser.
    stolen = callback_url(alice, base_url, c1)
    answer = _open(colleague, base_url, stolen)
    outcome.judge("other-session state", answer.status_code == 400, f"answered {answer.status_code}")
    # Expired: alice's own callback, 11 minutes after she pressed Connect.
    late = callback_url(alice, base_url, c1)
    ChannelAuthorization.objects.filter(channel_id=c1, completed_at__isnull=True).update(
        created_at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=11)
    )
    answer = _open(alice, base_url, late)
    outcome.judge("expired state", answer.status_code == 400, f"answered {answer.status_code}")
    # A code from another channel's app, with a state of C1: exchanged with C1's app, Xero refuses it.
    their_code = re.search(r"code=([^&]+)", callback_url(alice, base_url, c2)).group(1)  # type: ignore[union-attr]
    mine = re.search(r"state=([^&]+)", press_connect(alice, base_url, c1)).group(1)  # type: ignore[union-attr]
    answer = alice.get(f"{base_url}/xero/callback/?code={their_code}&state={mine}", timeout=30, allow_redirects=False)
    outcome.judge("code of another channel's app", _refused(answer, channel_id=c1),
                  f"answered {answer.status_code} {answer.headers.get('Location', '')}")  # fmt: skip


def other_organization_attack(*, base_url: str, scene: dict, alice: Any, outcome: Outcome) -> None:
    """Alice starts a consent for organization B's channel, switches to A, then Xero's answer comes."""
    cb = scene["channels"]["CB"]
    alice.post(f"{base_url}/organizations/switch/", data={"organization": scene["org_b"]}, timeout=30)
    url = callback_url(alice, base_url, cb)
    org_a = scene["org_a"]
    alice.post(f"{base_url}/organizations/switch/", data={"organization": org_a}, timeout=30)
    answer = _open(alice, base_url, url)
    outcome.judge("callback for another organization's channel", answer.status_code == 404,
                  f"answered {answer.status_code} {answer.headers.get('Location', '')}")  # fmt: skip


def _local(location: str, host: str) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    return url_has_allowed_host_and_scheme(location, allowed_hosts={host}) and not location.lstrip().startswith("//")


def next_attacks(*, base_url: str, scene: dict, alice: Any, outcome: Outcome) -> None:
    host = urlsplit(base_url).netloc
    c1 = scene["channels"]["C1"]
    for evil in EVIL_NEXTS:
        answer = alice.post(f"{base_url}/channels/{c1}/active/", data={"next": evil}, timeout=30,
                            allow_redirects=False)  # fmt: skip
        location = answer.headers.get("Location", "")
        outcome.judge("open redirect: channel switch next", answer.status_code == 302 and _local(location, host),
                      f"{evil!r} → {answer.status_code} {location!r}")  # fmt: skip
        browser = requests.Session()
        page = browser.get(f"{base_url}/accounts/login/", params={"next": evil}, timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        form = {"username": "colleague", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": evil}
        answer = browser.post(f"{base_url}/accounts/login/", data=form, timeout=30, allow_redirects=False)
        location = answer.headers.get("Location", "")
        outcome.judge("open redirect: log-in next", answer.status_code == 302 and _local(location, host),
                      f"{evil!r} → {answer.status_code} {location!r}")  # fmt: skip
        answer = browser.post(f"{base_url}/accounts/logout/", data={"next": evil}, timeout=30, allow_redirects=False,
                              headers={"X-CSRFToken": browser.cookies["csrftoken"]})  # fmt: skip
        location = answer.headers.get("Location", "")
        ok = (answer.status_code == 200 or answer.status_code == 302) and (not location or _local(location, host))
        outcome.judge("open redirect: log-out next", ok, f"{evil!r} → {answer.status_code} {location!r}")


def run(*, base_url: str, out: Any = sys.stdout) -> Outcome:
    """Set the scene (C1 connected for real first), attack, compare the rows; print the figures."""
    from organizations.models import Organization

    scene = scene_create(base_url=base_url)
    scene["org_a"] = Organization.objects.get(name="Org A").pk
    alice, colleague = login(base_url, "alice"), login(base_url, "colleague")
    # A real, finished connection of C1 (in organization A, alice's first): its callback is replayed later.
    alice.post(f"{base_url}/organizations/switch/", data={"organization": scene["org_a"]}, timeout=30)
    scene["finished_callback"] = callback_url(alice, base_url, scene["channels"]["C1"])
    finished = _open(alice, base_url, scene["finished_callback"])
    assert finished.headers.get("Location") == f"/channels/{scene['channels']['C1']}/connected/", finished.status_code
    before = rows()
    outcome = Outcome()
    state_attacks(base_url=base_url, scene=scene, alice=alice, colleague=colleague, outcome=outcome)
    other_organization_attack(base_url=base_url, scene=scene, alice=alice, outcome=outcome)
    next_attacks(base_url=base_url, scene=scene, alice=alice, outcome=outcome)
    after = rows()
    # The channel switch's own effect (is_active) is the one change a `next` attack is allowed to make.
    for channel in [*before["channels"], *after["channels"]]:
        channel.pop("is_active"), channel.pop("updated_at")
    changed = [name for name in before if before[name] != after[name]]
    if changed:
        outcome.failures.append(f"changed by the attacks: {', '.join(changed)}")
    print(f"OAuth attacks: {outcome.attacks}; refused: {outcome.refused}; failures: {len(outcome.failures)}", file=out)
    for kind, count in outcome.by_kind.items():
        print(f"  {kind}: {count}", file=out)
    print(f"channel rows and Xero connections changed: {len(changed)}", file=out)
    for line in outcome.failures[:20]:
        print("  FAILED " + line, file=out)
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="drill_oauth")
    parser.add_argument("--redis-db", type=int, default=8)
    parser.add_argument("--port", type=int, default=8773)
    args = parser.parse_args()
    from drills.harness import sandbox

    with sandbox(database=args.database, redis_db=args.redis_db, port=args.port):
        # Xero takes http redirect URIs for localhost only: the browser talks to localhost.
        outcome = run(base_url=f"http://localhost:{args.port}")
    sys.exit(1 if outcome.failures else 0)


if __name__ == "__main__":
    main()
