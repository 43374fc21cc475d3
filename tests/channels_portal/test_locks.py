import threading

import pytest
from django.db import connection

from channels_portal.locks import named_lock


def _try_elsewhere(name: str) -> bool:
    """Try the lock from another thread (its own database connection), without waiting."""
    result: list[bool] = []

    def attempt() -> None:
        try:
            with named_lock(name, wait=False) as taken:
                result.append(taken)
        finally:
            connection.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=10)
    return result[0]


@pytest.mark.django_db(transaction=True)
def test_a_held_lock_is_refused_elsewhere_without_waiting_and_free_after():
    with named_lock("xero-contacts:tenant-1") as taken:
        assert taken is True
        assert _try_elsewhere("xero-contacts:tenant-1") is False
        assert _try_elsewhere("xero-contacts:tenant-2") is True
    assert _try_elsewhere("xero-contacts:tenant-1") is True
