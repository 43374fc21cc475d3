"""The registry of accounting systems a channel can push to (Xero now, others later)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    description: str


PROVIDERS: dict[str, Provider] = {
    "xero": Provider(key="xero", label="Xero", description="Send invoices and products to a Xero organisation."),
}


def provider_choices() -> list[tuple[str, str]]:
    return [(p.key, p.label) for p in PROVIDERS.values()]
