"""E-mails about a channel to the people who can fix it: the organization's owners and admins."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from accounting.models import AccountingChannel
from organizations.models import Membership, Role

logger = logging.getLogger(__name__)


def organization_admin_emails(*, organization_id: int) -> list[str]:
    """Return the e-mail addresses of the organization's owners and admins (those that have one)."""
    emails = (
        Membership.objects.filter(organization_id=organization_id, role__in=[Role.OWNER, Role.ADMIN])
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    return list(dict.fromkeys(emails))


def needs_reconnect_subject(*, channel: str, store: str) -> str:
    return f"Reconnect the Xero channel “{channel}” of {store}"


def notify_needs_reconnect(*, channel_id: int) -> int:
    """E-mail the owners and admins that the channel must be connected again; return the number of recipients."""
    channel = AccountingChannel.objects.select_related("store__organization").get(pk=channel_id)
    recipients = organization_admin_emails(organization_id=channel.store.organization_id)
    if not recipients:
        logger.warning("Channel %s needs reconnect and its organization has no owner or admin e-mail.", channel_id)
        return 0
    context = {
        "channel": channel,
        "store": channel.store,
        "channel_url": settings.SITE_URL + reverse("accounting:channel-detail", args=[channel.pk]),
    }
    subject = needs_reconnect_subject(channel=channel.name, store=channel.store.name)
    send_mail(
        subject=" ".join(subject.split()),  # names are user input: no line breaks in a header
        message=render_to_string("accounting/email/needs_reconnect.txt", context),
        from_email=None,
        recipient_list=recipients,
    )
    return len(recipients)
