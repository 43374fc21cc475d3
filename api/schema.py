"""OpenAPI description of the Billing API's error answers, shared by every operation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

DETAIL = inline_serializer("ErrorDetail", fields={"detail": serializers.CharField()})
# A refusal names each field with its messages; an invoice's `lines` carry one object of field
# errors per line (a list, or an object keyed by line index), and a body that is not JSON at all
# answers `{"detail": "..."}`. A raw schema: DRF's error keys are the input's own field names.
FIELD_ERRORS: dict[str, Any] = {
    "type": "object",
    "description": "Messages by field name (`non_field_errors` for the whole object, `detail` for the body).",
    "additionalProperties": {
        "anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
}

UNAUTHORIZED = OpenApiResponse(DETAIL, description="The API key is missing, wrong or revoked.")
NOT_FOUND = OpenApiResponse(
    DETAIL, description="No such object in the key's organization (another organization's ids answer the same)."
)
PAGE_NOT_FOUND = OpenApiResponse(DETAIL, description="No such page of the list (`page` beyond the last one).")
BAD_REQUEST = OpenApiResponse(
    FIELD_ERRORS,
    description="Refused input, nothing changed: messages by field (`non_field_errors` for the whole object; "
    "invoice `lines` errors are keyed by line index).",
)
BAD_FILTER = OpenApiResponse(FIELD_ERRORS, description="A query parameter is not valid: messages by parameter.")
TOO_LARGE = OpenApiResponse(DETAIL, description="The body is larger than the Billing API accepts; nothing changed.")
UNSUPPORTED = OpenApiResponse(DETAIL, description="The body is not JSON (`Content-Type: application/json`).")
THROTTLED = OpenApiResponse(
    DETAIL, description="Over the API key's or the organization's request rate: retry after `Retry-After` seconds."
)


class BillingApiSchema(AutoSchema):
    """Group operations by the view's `api_tag`; add the error answers they can give.

    Every operation: 401 and 429. An object URL: 404. A list: 400 (query filters) and 404 (a page
    past the end). A write: 400 (field errors), 413 (body cap) and 415 (not JSON).
    """

    def get_tags(self) -> list[str]:
        return [getattr(self.view, "api_tag", "Billing API")]

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        extra = {"401": UNAUTHORIZED, "429": THROTTLED}
        if "{" in self.path:
            extra["404"] = NOT_FOUND
        if self.method == "GET" and self._is_list_view():
            extra["400"] = BAD_FILTER
            extra.setdefault("404", PAGE_NOT_FOUND)
        if self.method in ("POST", "PUT", "PATCH"):
            extra.update({"400": BAD_REQUEST, "413": TOO_LARGE, "415": UNSUPPORTED})
        for code, response in extra.items():
            responses.setdefault(code, self._get_response_for_code(response, code, direction=direction))
        return responses
