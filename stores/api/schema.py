"""OpenAPI description of the Billing API's error answers, shared by every operation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

DETAIL = inline_serializer("ErrorDetail", fields={"detail": serializers.CharField()})
FIELD_ERRORS = inline_serializer(
    "FieldErrors",
    fields={"field_name": serializers.ListField(child=serializers.CharField(), help_text="Messages of one field.")},
)

UNAUTHORIZED = OpenApiResponse(DETAIL, description="The API key is missing, wrong or revoked.")
NOT_FOUND = OpenApiResponse(
    DETAIL, description="No such object in the key's organization (another organization's ids answer the same)."
)
BAD_REQUEST = OpenApiResponse(
    FIELD_ERRORS,
    description="Refused input, nothing changed: messages by field (`non_field_errors` for the whole object; "
    "invoice `lines` errors are keyed by line index).",
)


class BillingApiSchema(AutoSchema):
    """Group operations by the view's `api_tag`; add the 400, 401 and 404 answers they can give."""

    def get_tags(self) -> list[str]:
        return [getattr(self.view, "api_tag", "Billing API")]

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        extra = {"401": UNAUTHORIZED}
        if "{" in self.path:
            extra["404"] = NOT_FOUND
        if self.method in ("POST", "PUT", "PATCH"):
            extra["400"] = BAD_REQUEST
        for code, response in extra.items():
            responses.setdefault(code, self._get_response_for_code(response, code, direction=direction))
        return responses
