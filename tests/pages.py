"""What a portal page shows a user, read for exact assertions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.forms import AuthenticationForm

if TYPE_CHECKING:  # the test client's response type exists in django-stubs only
    from django.test.client import _MonkeyPatchedWSGIResponse


def messages_of(response: _MonkeyPatchedWSGIResponse) -> list[str]:
    """The messages (django.contrib.messages) the page shows, in order."""
    return [str(m) for m in response.context["messages"]]


# Django's own words for a wrong username or password on the log-in page.
INVALID_LOGIN = AuthenticationForm.error_messages["invalid_login"] % {"username": "username"}
