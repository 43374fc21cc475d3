"""The ledger page's filter form (GET): bad values are shown as errors and filter nothing."""

from __future__ import annotations

from django import forms

from accounting.sync.ledger.page import LedgerFilters
from accounting.sync.models import CAUSE_LENGTH, RecordKind, SyncState

END_BEFORE_START = "The end date is before the start date."


class LedgerFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any state"), *SyncState.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *RecordKind.choices], required=False)
    date_from = forms.DateField(label="Changed from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="Changed to", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"placeholder": "Invoice number, SKU or error text", "type": "search"}),
    )
    cause = forms.CharField(max_length=CAUSE_LENGTH, required=False, strip=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", END_BEFORE_START)
        return data

    def filters(self) -> LedgerFilters:
        """Return the filters of a valid form (none of an invalid one)."""
        if not self.is_valid():
            return LedgerFilters()
        data = self.cleaned_data
        return LedgerFilters(
            state=data["state"], kind=data["kind"], date_from=data["date_from"], date_to=data["date_to"],
            text=data["q"], cause=data["cause"],
        )  # fmt: skip
