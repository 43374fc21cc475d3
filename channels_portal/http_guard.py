"""No outgoing HTTP inside a database transaction (DESIGN invariant 9), enforced where it is on.

A Xero call, a token refresh, a webhook delivery or an e-mail must run with no transaction open
on the default database: on SQLite (`make run`'s default) a transaction held across a call to the
Xero sandbox served by the same server is a deadlock ("database is locked"); on PostgreSQL it is
a connection and its row locks held for the length of the call. The rule: read, call with no
transaction open, then write the outcome in a short transaction of its own.

`install()` wraps the two doors every outgoing request of the portal goes through: urllib3's
connection pool (under the xero-python SDK, requests and Authlib) and Django's e-mail sending.
When a transaction is open on the default database at that moment, `HttpInTransaction` is raised
before anything leaves the process. It is installed when `settings.HTTP_IN_TRANSACTION_GUARD` is
true: in the tests (every test, every worker and server a test starts) and on a development
machine (`make run`); production does not pay for the check.

Transactions that do not count (the only exceptions, each with its reason):
- the ones a test case opens around each test (Django marks them `_from_testcase`): they stand
  for "no transaction" of the code under test, which runs as it would in a request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


class HttpInTransaction(RuntimeError):
    """An outgoing request was about to start while a database transaction was open."""


def open_transaction() -> bool:
    """Return True when the current thread has a transaction open on the default database
    (other than the ones a test case wraps each test in)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        return False
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def in_transaction_message(what: str) -> str:
    return (
        f"{what} started inside a database transaction. Make the call with no transaction open, "
        "then write its outcome in a short transaction of its own (see channels_portal/http_guard.py)."
    )


def check(what: str) -> None:
    """Raise HttpInTransaction when a transaction is open; `what` names the request."""
    if open_transaction():
        raise HttpInTransaction(in_transaction_message(what))


def _guarded(original: Callable[..., Any], describe: Callable[..., str]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check(describe(*args, **kwargs))
        return original(*args, **kwargs)

    wrapper.__http_guard__ = True  # type: ignore[attr-defined]
    return wrapper


def _describe_http(pool: Any, method: str, url: str, *args: Any, **kwargs: Any) -> str:
    return f"HTTP {method} {pool.scheme}://{pool.host}:{pool.port}{url.split('?')[0]}"


def _describe_mail(*args: Any, **kwargs: Any) -> str:
    return "Sending e-mail"


def install() -> None:
    """Wrap urllib3's connection pool and Django's e-mail backends (once per process)."""
    from django.core.mail import message
    from urllib3 import connectionpool

    pool = connectionpool.HTTPConnectionPool
    if not getattr(pool.urlopen, "__http_guard__", False):
        pool.urlopen = _guarded(pool.urlopen, _describe_http)  # type: ignore[method-assign]
    email = message.EmailMessage
    if not getattr(email.send, "__http_guard__", False):
        email.send = _guarded(email.send, _describe_mail)  # type: ignore[method-assign]
