"""Input fields and checks of the Billing API that keep requests to the shapes its schema documents."""

from __future__ import annotations

from typing import Any

from django.core.validators import validate_email
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def _email_address(value: str) -> None:
    validate_email(value)  # a plain function: drf-spectacular would document an EmailValidator as `format: email`


@extend_schema_field({"type": "string", "anyOf": [{"format": "email"}, {"maxLength": 0}]})
class EmailOrBlankField(serializers.CharField):
    """An e-mail address or "" (no address): documented as such, where `format: email` alone refuses ""."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)
        self.validators.append(_email_address)


class StrictStrings(serializers.Serializer):
    """Refuse (400) a number, boolean, list or object sent where the schema says a string.

    DRF's CharField turns `5` into "5": a client sending a number for a name or an invoice
    number has a bug the API should report, not hide.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors = {
                name: ["Not a valid string."]
                for name, field in self.fields.items()
                if isinstance(field, serializers.CharField)
                and not field.read_only
                and name in data
                and data[name] is not None
                and not isinstance(data[name], str)
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def decimals_accept_numbers(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: an input decimal is a string or a JSON number.

    DRF reads both (`"2.50"` and `2.5`), and clients send both; the schema says so, so that a
    number is not documented as invalid input.
    """
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, prop in list(component.get("properties", {}).items()):
            if prop.get("format") == "decimal" and not prop.get("readOnly"):
                text = {key: prop.pop(key) for key in ("type", "format", "pattern") if key in prop}
                component["properties"][name] = {**prop, "anyOf": [text, {"type": "number"}]}
    return result
