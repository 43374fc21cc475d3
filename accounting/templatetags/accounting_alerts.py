"""`{% open_alerts as alerts %}`: the current organization's open alert episodes (the banner)."""

from __future__ import annotations

from typing import Any

from django import template

from accounting.alerts.episodes import open_alerts_of

register = template.Library()


@register.simple_tag(takes_context=True)
def open_alerts(context: dict[str, Any]) -> list[Any]:
    request = context.get("request")
    organization = getattr(request, "organization", None) if request is not None else None
    return list(open_alerts_of(organization=organization)[:5])
