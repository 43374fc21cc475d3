"""Helpers shared by the store pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.forms import BaseForm
from django.http import HttpRequest

PAGE_SIZE = 25


def paginate(request: HttpRequest, queryset: Any, *, per_page: int = PAGE_SIZE) -> Page:
    """Return the page of `queryset` asked for by `?page=` (the last page when out of range)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def add_service_errors(form: BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on `form` (field errors where they belong)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
