from __future__ import annotations

from django import forms

from .models import Role


class MemberAddForm(forms.Form):
    identifier = forms.CharField(label="Username or e-mail", max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OPERATOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
