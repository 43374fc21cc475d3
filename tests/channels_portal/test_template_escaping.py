"""Templates escape what they show: no `|safe` on text that is not already known-safe HTML."""

from __future__ import annotations

import pytest
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import UserFactory


class _Form(forms.Form):
    name = forms.CharField(help_text='Shown as text: <img src=x onerror="alert(1)"> & co.')


def test_form_help_text_is_escaped():
    html = render_to_string("includes/form_fields.html", {"form": _Form()})
    assert '<span class="help">Shown as text: &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co.</span>' in html
    assert "<img" not in html


@pytest.mark.django_db
def test_the_password_rules_still_show_as_a_list(client):
    """Django marks its password help as safe HTML itself: it renders as a list without `|safe`."""
    client.force_login(UserFactory.create(username="pat"))
    html = client.get(reverse("password_change")).content.decode()
    assert (
        "<li>Your password can’t be too similar to your other personal information.</li>"
        "<li>Your password must contain at least 8 characters.</li>"
    ) in html
