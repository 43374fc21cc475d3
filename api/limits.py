"""Billing API limits: request rates per API key and per organization, failed authentications per
client address, body size and JSON nesting depth, invoice lines.

Rates are counted in the cache (Redis in production, shared by every web process) over a
sliding window; beyond them the API answers 429 with Retry-After. A body larger than the cap,
nested deeper than the cap, or an invoice with more lines than the cap, is refused with a 4xx
before anything is saved. The values come from settings (BILLING_API_*), read at each request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from io import BytesIO
from itertools import accumulate
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from organizations.authentication import ApiKeyPrincipal
from organizations.throttling import client_ip


class _BillingApiThrottle(SimpleRateThrottle):
    """A rate counted only when told (`count`), not by every request DRF checks against it."""

    cache_format = "billing-api-throttle:%(scope)s:%(ident)s"
    setting = ""
    key: str | None = None
    duration: int  # set from the rate by SimpleRateThrottle

    def throttle_success(self) -> bool:
        return True  # counted by count() once every limit has let the request through

    def count(self) -> None:
        """Add this request (after `allow_request` has read the window) to the count."""
        if self.key is not None:
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)

    def get_rate(self) -> str | None:
        return getattr(settings, self.setting) or None  # empty: no limit

    def _ident(self, principal: ApiKeyPrincipal) -> int:
        raise NotImplementedError

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        principal = request.user
        if not isinstance(principal, ApiKeyPrincipal):
            return None  # refused by the permission check anyway
        return self.cache_format % {"scope": self.scope, "ident": self._ident(principal)}


class ApiKeyThrottle(_BillingApiThrottle):
    """At most BILLING_API_KEY_RATE requests per API key."""

    scope = "key"
    setting = "BILLING_API_KEY_RATE"

    def _ident(self, principal: ApiKeyPrincipal) -> int:
        return principal.api_key.pk


class OrganizationThrottle(_BillingApiThrottle):
    """At most BILLING_API_ORGANIZATION_RATE requests per organization, whichever of its keys sends them."""

    scope = "organization"
    setting = "BILLING_API_ORGANIZATION_RATE"

    def _ident(self, principal: ApiKeyPrincipal) -> int:
        return principal.organization.pk


def check_throttles(*, throttles: list[Any], request: Request, view: Any) -> None:
    """Refuse (429 with Retry-After) a request over any limit; otherwise count it against each.

    DRF's own check counts a request against every limit that let it through even when another
    refused it, so a key retrying past its own limit would use up its organization's.
    """
    waits = [throttle.wait() for throttle in throttles if not throttle.allow_request(request, view)]
    if waits:
        view.throttled(request, max((wait for wait in waits if wait is not None), default=None))
    for throttle in throttles:
        throttle.count()


class FailedAuthenticationThrottle(_BillingApiThrottle):
    """At most BILLING_API_FAILED_AUTH_RATE failed API-key authentications per client address.

    A failure is a request refused 401: a wrong, revoked or malformed key, or no key at all.
    The address is the client's as django-axes sees it (`organizations.throttling.client_ip`,
    through TRUSTED_PROXY_COUNT proxies). Once an address has used up the rate, every request
    from it is refused 429 with Retry-After, before its key is even looked up, and also when it
    carries a valid key, until the window has moved past its failures: as django-axes locks an
    address for every username, so a locked-out guesser cannot tell a right key from a wrong one.
    A refused (429) request is not counted: the lock ends when the window has passed.
    """

    scope = "failed-auth"
    setting = "BILLING_API_FAILED_AUTH_RATE"
    message = "Too many requests with a wrong or missing API key from this address."

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        address = client_ip(request)
        return self.cache_format % {"scope": self.scope, "ident": address} if address else None

    def check(self, *, request: Request, view: Any) -> None:
        """Refuse (429 with Retry-After) a request from an address over the rate."""
        if not self.allow_request(request, view):
            raise exceptions.Throttled(wait=self.wait(), detail=self.message)

    def record_failure(self, *, request: Request, view: Any) -> None:
        """Count a failed authentication of `request` against its address."""
        self.allow_request(request, view)  # (re-)reads the address's window, as late as possible
        self.count()


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


# A JSON string (possessive: no backtracking), and a run of anything but the four brackets.
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]++")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """Return how deep arrays and objects nest in the JSON `text`, without parsing (or recursing).

    Strings are taken out first (a bracket inside one nests nothing); the depth is then the
    highest running count of the brackets left, opening +1 and closing -1. Where the text is not
    valid JSON the figure is still at least the depth a parser reaches before it gives up.
    """
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


class CappedJSONParser(JSONParser):
    """JSON bodies up to BILLING_API_MAX_BODY_BYTES (413 beyond, unread) and nested at most
    BILLING_API_MAX_JSON_DEPTH deep (400 beyond, before Python's recursive decoder sees it)."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        limit: int = settings.BILLING_API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        too_large = RequestTooLarge(f"The request body is larger than the {limit} bytes the Billing API accepts.")
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise too_large
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = body.decode(encoding)  # scanned as the parser will read it (UTF-16 too)
        except UnicodeDecodeError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        max_depth: int = settings.BILLING_API_MAX_JSON_DEPTH
        depth = json_depth(text)
        if depth > max_depth:
            raise exceptions.ParseError(
                f"The JSON body is nested {depth} levels deep; the Billing API accepts at most {max_depth}."
            )
        return super().parse(BytesIO(body), media_type, parser_context)


def check_invoice_lines(lines: list[Any]) -> None:
    """Refuse (400) an invoice with more lines than BILLING_API_MAX_INVOICE_LINES."""
    limit: int = settings.BILLING_API_MAX_INVOICE_LINES
    if len(lines) > limit:
        raise exceptions.ValidationError(f"An invoice has at most {limit} lines; this one has {len(lines)}.")
