"""Faults a tester can switch on per organisation: latency, 500/503 answers, dropped answers."""

from __future__ import annotations

import logging
import random
import socket
import struct
import time
from typing import Any

from django.http import HttpRequest

from xero_sandbox.models import Organisation

logger = logging.getLogger(__name__)


def latency_apply(organisation: Organisation) -> None:
    if organisation.fault_latency_ms:
        time.sleep(organisation.fault_latency_ms / 1000)


def server_error_pick(organisation: Organisation) -> int | None:
    """Return 500 or 503 when this call should fail by the organisation's shares, else None."""
    roll = random.random()  # nosec B311  # the sandbox's simulated fault rolls, not security
    if roll < organisation.fault_500_share:
        return 500
    if roll < organisation.fault_500_share + organisation.fault_503_share:
        return 503
    return None


def drop_pick(organisation: Organisation) -> bool:
    return random.random() < organisation.fault_drop_share  # nosec B311  # the sandbox's simulated fault rolls, not security


def _client_socket(request: HttpRequest) -> socket.socket | None:
    """Find the client's socket under Django's dev/live server or gunicorn."""
    meta: Any = request.META
    if isinstance(meta.get("gunicorn.socket"), socket.socket):
        return meta["gunicorn.socket"]
    stream = meta.get("wsgi.input")
    for _ in range(6):
        if stream is None:
            return None
        if isinstance(stream, socket.socket):
            return stream
        reader = getattr(stream, "_read", None)  # Django's LimitedStream keeps only the bound read method
        stream = (
            getattr(reader, "__self__", None)
            or getattr(stream, "stream", None)
            or getattr(stream, "raw", None)
            or getattr(stream, "_sock", None)
        )
    return None


def connection_drop(request: HttpRequest) -> bool:
    """Reset the client's connection so it never gets the (already committed) answer.

    Return False when the server gives no access to the socket.
    """
    sock = _client_socket(request)
    if sock is None:
        logger.warning("Xero sandbox: cannot reach the client socket to drop the answer")
        return False
    try:
        # Linger 0 makes close() send a reset instead of a clean end of stream.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True
