"""Drill 4 over real HTTP against the sandbox: every OAuth and `next` attack refused, nothing changed."""

from __future__ import annotations

import io

import pytest

from drills import oauth_attacks

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_every_oauth_attack_is_refused_and_changes_nothing(xero_sandbox, live_server):
    out = io.StringIO()
    outcome = oauth_attacks.run(base_url=live_server.url, out=out)
    assert outcome.failures == []
    assert outcome.by_kind == {
        "forged state": 1,
        "reused state": 1,
        "other-session state": 1,
        "expired state": 1,
        "code of another channel's app": 1,
        "callback for another organization's channel": 1,
        "open redirect: channel switch next": 7,
        "open redirect: log-in next": 7,
        "open redirect: log-out next": 7,
    }
    assert outcome.refused == outcome.attacks == 27
    assert "channel rows and Xero connections changed: 0" in out.getvalue()


def test_an_open_redirect_would_be_caught(xero_sandbox, live_server):
    """The judge of a `next` attack fails a redirect to another host (so the drill can fail)."""
    host = live_server.url.split("//")[1]
    assert oauth_attacks._local("/stores/", host) is True
    for evil in oauth_attacks.EVIL_NEXTS:
        assert oauth_attacks._local(evil, host) is False, evil
