"""Forms of the sandbox's own pages."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import AppTier, Organisation
from .services.organisation_users import UnknownUser, users_by_username
from .services.organisations import FAULT_FIELDS


class AppForm(forms.Form):
    name = forms.CharField(label="App name", max_length=100)
    redirect_uris = forms.CharField(
        label="Redirect URIs", widget=forms.Textarea(attrs={"rows": 3}), help_text="One per line, matched exactly."
    )
    webhook_url = forms.URLField(label="Webhook delivery URL", required=False, max_length=500, assume_scheme="https")
    tier = forms.ChoiceField(
        label="App tier",
        choices=AppTier.choices,
        initial=AppTier.STARTER,
        help_text="Starter: 5 connections, 1,000 calls a day per organisation, one organisation per consent. "
        "Core 50, Plus 1,000, Advanced 10,000 connections, 5,000 calls a day; several organisations "
        "in one consent on Advanced only.",
    )

    def uri_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["redirect_uris"].splitlines() if line.strip()]


class WebhookForm(forms.Form):
    webhook_url = forms.URLField(label="Webhook delivery URL", required=False, max_length=500, assume_scheme="https")


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=200)
    base_currency = forms.ChoiceField(choices=[(c, c) for c in ("GBP", "EUR", "USD", "AUD", "NZD")], initial="GBP")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Organisation.objects.filter(name=name).exists():
            raise forms.ValidationError("An organisation with this name already exists.")
        return name


class UserAccessForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username", help_text="A user of this site (its Xero user).")

    def clean_username(self) -> Any:
        try:
            [user] = users_by_username(usernames=[self.cleaned_data["username"]])
        except UnknownUser as exc:
            raise forms.ValidationError(str(exc)) from None
        return user


class OrganisationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["high_volume", "lock_date"]
        widgets = {"lock_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "high_volume": "Refuse un-optimised Invoices/Contacts filters, as Xero does for its biggest organisations.",
            "lock_date": "Documents dated on or before this date are refused. Leave blank for none.",
        }


class FaultsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = list(FAULT_FIELDS)
