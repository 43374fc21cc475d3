"""Forms of the channel pages. The Client Secret is write-only: never rendered back."""

from __future__ import annotations

from typing import Any

from django import forms

from accounting.models import SENDING_SETTINGS, AccountingChannel

# The Client Secret field's help texts (not secrets: bandit's B105 reads "SECRET" in the names).
SECRET_NEW_HELP = "From your Xero app. It is stored encrypted and never shown again."  # nosec B105
SECRET_STORED_HELP = "A secret is stored. Leave blank to keep it; type a new one to replace it."  # nosec B105
SECRET_NONE_HELP = "No secret is stored. Type the one from your Xero app."  # nosec B105


class ChannelForm(forms.ModelForm):
    """The settings of a channel; the Client Secret is required when creating, optional when editing."""

    client_secret = forms.CharField(
        label="Client Secret",
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    field_order = ["name", "account_nominal_code", "client_id", "client_secret"]

    class Meta:
        model = AccountingChannel
        fields = [
            "name",
            "client_id",
            *SENDING_SETTINGS,
        ]
        help_texts = {
            "client_id": "From your Xero app at developer.xero.com → My Apps.",
            "add_products": "Create or update the store's products as Xero items.",
            "create_nonexistent_products": "When an invoice names a product Xero does not have, create the item first.",
            "invoice_status": "Draft, or Awaiting Payment (approved) in Xero.",
            "invoice_number_prefix": "Put before every invoice number, e.g. when several stores send to one Xero "
            "organisation.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = self.instance.pk is None
        secret = self.fields["client_secret"]
        secret.required = self.creating
        if self.creating:
            secret.help_text = SECRET_NEW_HELP
        elif self.instance.client_secret:
            # Write-only: say that a secret is stored, nothing of the secret itself.
            secret.help_text = SECRET_STORED_HELP
        else:
            secret.help_text = SECRET_NONE_HELP
        self.fields["client_id"].widget.attrs["autocomplete"] = "off"

    def clean_client_id(self) -> str:
        return self.cleaned_data["client_id"].strip()

    def settings_data(self) -> dict[str, Any]:
        """Return the cleaned values to hand to the channel services."""
        return {name: self.cleaned_data[name] for name in [*self.Meta.fields, "client_secret"]}
