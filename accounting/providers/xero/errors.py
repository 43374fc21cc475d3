"""The typed errors of a Xero call: every transport or HTTP failure becomes one of these.

The retry decision is made here, once, as each error's `decision`; the sync engine acts on it
(retry later, wait, give up, reconnect, narrow the query) and on the typed fields, never on
status codes, SDK exception types or Xero's English text.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Decision(StrEnum):
    """What may cure a failed call."""

    FINAL = "final"  # nothing will: the request must change (or an operator retries)
    BACKOFF = "backoff"  # a later try may work: wait with exponential backoff
    WAIT = "wait"  # a limit: try again after `retry_after` seconds, not an attempt's fault
    RECONNECT = "reconnect"  # the user must connect the channel again
    NARROW = "narrow"  # the organisation refuses this query's shape: ask with a narrower one


class XeroError(Exception):
    """Base of every failure of a call to Xero; an unknown answer is final (Saleor's rule: never retry a 4xx)."""

    decision = Decision.FINAL
    # False when no request left the portal (its own limiter refused it): not an attempt.
    sent = True
    # True when the request may have reached Xero and changed something before failing.
    ambiguous = False

    def __init__(self, message: str, *, status: int | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = dict(headers or {})

    @property
    def retryable(self) -> bool:
        return self.decision in (Decision.BACKOFF, Decision.WAIT)

    @property
    def messages(self) -> list[str]:
        return [self.message]


class XeroUnauthorized(XeroError):
    """401 (TokenExpired, or a token Xero no longer accepts): one forced refresh may cure it."""

    decision = Decision.BACKOFF


class XeroReconnectRequired(XeroError):
    """403 (AuthenticationUnsuccessful): the connection to this organisation is gone."""

    decision = Decision.RECONNECT


class XeroScopeMissing(XeroReconnectRequired):
    """401 AuthorizationUnsuccessful: the consent lacks `scope`; refreshing cannot add it, a reconnect can."""

    def __init__(self, message: str, *, scope: str, **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.scope = scope


class XeroRateLimited(XeroError):
    """429: a Xero limit is reached; nothing happened, try again after `retry_after` seconds."""

    decision = Decision.WAIT

    def __init__(self, message: str, *, retry_after: float, problem: str, **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after
        self.problem = problem


class XeroDayLimit(XeroError):
    """Of a limit: the organisation's day budget is spent (the portal's count, or Xero's 429)."""


class XeroAppLimit(XeroError):
    """Of a limit: the app's budget across every organisation is spent (the portal's count, or
    Xero's 429): every organisation of the app waits."""


class XeroDayRateLimited(XeroRateLimited, XeroDayLimit):
    """429 for the organisation's day limit."""


class XeroAppRateLimited(XeroRateLimited, XeroAppLimit):
    """429 for the app's limit (every organisation of the app)."""


class XeroValidationError(XeroError):
    """400: Xero refused the request; `messages` are Xero's own words."""

    def __init__(self, message: str, *, messages: list[str], **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self._messages = messages

    @property
    def messages(self) -> list[str]:
        return self._messages


class XeroHighVolume(XeroValidationError):
    """400 from a high-volume organisation: the filter is not one Xero serves efficiently there
    (an OR-joined `where`, a field it does not index); ask with single-value indexed filters."""

    decision = Decision.NARROW

    def __init__(self, message: str, *, resource: str, **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.resource = resource


class XeroRequestTooLarge(XeroError):
    """413: the request body is over Xero's 3.5 MB; send fewer records per request."""

    decision = Decision.NARROW


class XeroNotFound(XeroError):
    """404 on a resource asked by its id: it does not exist."""


class XeroLookupRefused(XeroError):
    """404 (or 414) on a look-up: Xero refused the request itself (its URL was too long), which
    says nothing about whether the records exist."""


class XeroServerError(XeroError):
    """5xx: Xero failed; a write may or may not have happened."""

    decision = Decision.BACKOFF
    ambiguous = True


class XeroNetworkError(XeroError):
    """The connection failed or timed out; `ambiguous` when the request may have been sent."""

    decision = Decision.BACKOFF

    def __init__(self, message: str, *, ambiguous: bool, **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.ambiguous = ambiguous


class XeroBudgetExhausted(XeroError):
    """The portal's own limiter refused the call: no request was made; retry at `retry_at`."""

    decision = Decision.WAIT
    sent = False

    def __init__(self, message: str, *, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class XeroDayLimitReached(XeroBudgetExhausted, XeroDayLimit):
    """The portal's own limiter refused the call: the organisation's day budget is spent."""


class XeroAppLimitReached(XeroBudgetExhausted, XeroAppLimit):
    """The portal's own limiter refused the call: the app's budget (or its pause) holds every
    organisation of the app."""


# Error codes of XeroOAuthError that are not OAuth2 error codes.
UNREACHABLE = "unreachable"
BAD_RESPONSE = "bad_response"
# Answers of the identity service that mean the grant is gone: only a new consent helps.
GRANT_GONE = ("invalid_grant", "invalid_client", "http_401", "http_403")


class XeroOAuthError(XeroError):
    """Raise when Xero's identity service (token, revocation, connections) refuses a request or
    cannot be reached.

    `error` is the OAuth2 error code Xero answered (`invalid_grant`, `invalid_client`, …),
    `http_<status>` for a refused connections call, or UNREACHABLE / BAD_RESPONSE. The message
    never contains a secret or a token.
    """

    def __init__(self, error: str, description: str = "", *, status: int | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error, status=status)
        self.error = error
        self.description = description
        self.decision = _identity_decision(error)


def _identity_decision(error: str) -> Decision:
    if error == UNREACHABLE or error.startswith("http_5"):
        return Decision.BACKOFF
    if error in GRANT_GONE:
        return Decision.RECONNECT
    return Decision.FINAL
