"""Tracking categories and their options, as an organisation holds them (Settings › Tracking in Xero)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower

from xero_sandbox.models.accounting import Organisation

# Statuses of categories and options alike (the spec's TrackingCategory/TrackingOption Status enum).
ACTIVE, ARCHIVED, DELETED = "ACTIVE", "ARCHIVED", "DELETED"
STATUSES = [(ACTIVE, ACTIVE), (ARCHIVED, ARCHIVED), (DELETED, DELETED)]


class TrackingCategory(models.Model):
    """A tracking category ("Region"): at most two ACTIVE, four ACTIVE or ARCHIVED, per organisation.

    A DELETED category is kept (the API still answers it by id) but no longer counts or lists.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tracking_categories")
    tracking_category_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Names are unique, whatever their case, among the organisation's categories not deleted.
            models.UniqueConstraint(
                models.F("organisation"),
                Lower("name"),
                condition=~models.Q(status=DELETED),
                name="xs_tracking_category_name_unique",
            ),
        ]
        ordering = ["created_at", "pk"]
        verbose_name_plural = "tracking categories"

    def __str__(self) -> str:
        return self.name


class TrackingOption(models.Model):
    """An option of a tracking category ("North"); invoice and credit note lines name one per category."""

    category = models.ForeignKey(TrackingCategory, on_delete=models.CASCADE, related_name="options")
    tracking_option_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Names are unique, whatever their case, within the category (deleted options aside).
            models.UniqueConstraint(
                models.F("category"),
                Lower("name"),
                condition=~models.Q(status=DELETED),
                name="xs_tracking_option_name_unique",
            ),
        ]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name
