"""The typed errors of a Xero call: every transport or HTTP failure becomes one of these.

The sync engine decides what to do from the class alone (retry, wait, give up, reconnect),
never from status codes or SDK exception types.
"""

from __future__ import annotations

from collections.abc import Mapping


class XeroError(Exception):
    """Base of every failure of a call to Xero."""

    retryable = False
    # True when the request may have reached Xero and changed something before failing.
    ambiguous = False

    def __init__(self, message: str, *, status: int | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = dict(headers or {})


class XeroUnauthorized(XeroError):
    """401: the access token is expired or revoked; one forced refresh may cure it."""


class XeroReconnectRequired(XeroError):
    """403 (AuthenticationUnsuccessful): the connection to this organisation is gone."""


class XeroRateLimited(XeroError):
    """429: a Xero limit is reached; nothing happened, try again after `retry_after` seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float, problem: str, **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after
        self.problem = problem


class XeroValidationError(XeroError):
    """400: Xero refused the request; `messages` are Xero's own words."""

    def __init__(self, message: str, *, messages: list[str], **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.messages = messages


class XeroNotFound(XeroError):
    """404: the resource does not exist."""


class XeroServerError(XeroError):
    """5xx: Xero failed; a write may or may not have happened."""

    retryable = True
    ambiguous = True


class XeroNetworkError(XeroError):
    """The connection failed or timed out; `ambiguous` when the request may have been sent."""

    retryable = True

    def __init__(self, message: str, *, ambiguous: bool, **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.ambiguous = ambiguous


class XeroBudgetExhausted(XeroError):
    """The portal's own limiter refused the call: no request was made; retry at `retry_at`."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after
