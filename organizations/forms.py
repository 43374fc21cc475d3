from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import Role


class MemberInviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OPERATOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class InvitationSignUpForm(UserCreationForm):
    """A new account (username, password twice) for the invited address, which the view sets on `instance`."""
