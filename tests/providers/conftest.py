"""Fixtures of the provider's tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.providers.scripted_xero import ScriptedXero


@pytest.fixture
def xero(settings) -> Iterator[ScriptedXero]:
    """A scripted Xero on a loopback port, which the client under test reaches (XERO_API_URL)."""
    script = ScriptedXero()
    thread = threading.Thread(target=script.server.serve_forever, daemon=True)
    thread.start()
    settings.XERO_API_URL = script.url
    settings.XERO_REQUEST_TIMEOUT = 2.0
    yield script
    script.server.shutdown()
    script.server.server_close()
