"""The portal's Content-Security-Policy as tests check it: its fixed directives, a header parser,
and the browser console's violation reports."""

from __future__ import annotations

from typing import Any

# What every answer's policy says (form-action also names Xero's hosts: see the base settings).
STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    """Return {directive: its sources} of a Content-Security-Policy header (in any order)."""
    pairs = (part.strip().partition(" ") for part in header.split(";") if part.strip())
    return {name: sources for name, _, sources in pairs}


def watch_violations(page: Any) -> list[str]:
    """Return a list that collects every violation the Playwright `page` reports from now on.

    Chromium logs each blocked inline script, style, event handler or foreign asset to the
    console ("… violates the following Content Security Policy directive …").
    """
    violations: list[str] = []

    def note(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", note)
    return violations
