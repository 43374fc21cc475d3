"""Alerts to the people who can fix a channel: once per episode, not per record.

An episode of a kind (needs reconnect, failures past the threshold, Xero's daily limit reached)
opens where the state changes (the connection is marked, a turn's outcomes, the limiter's day
refusal) and e-mails the organization's owners and admins once; the portal shows it as a banner
until it is resolved (reconnected, failures back under the threshold, a call went through
again). The same problem after that is a new episode, and e-mails again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounting.alerts.emails import notify_needs_reconnect, organization_admin_emails
from accounting.models import AccountingChannel, AlertEpisode, AlertKind
from accounting.sync.models import SyncRecord, SyncState
from organizations.models import Organization

logger = logging.getLogger(__name__)

DEFAULT_FAILURES_THRESHOLD = 10


def failures_threshold() -> int:
    """Failed records of a channel from which its owners are alerted (`ALERT_FAILURES_THRESHOLD`)."""
    return int(getattr(settings, "ALERT_FAILURES_THRESHOLD", DEFAULT_FAILURES_THRESHOLD))


def alert_open(*, channel_id: int, kind: str, detail: str = "") -> AlertEpisode | None:
    """Open an episode of `kind` for the channel unless one is open; return it when new.

    A new episode e-mails the owners and admins once the transaction commits.
    """
    if AlertEpisode.objects.filter(channel_id=channel_id, kind=kind, resolved_at__isnull=True).exists():
        return None
    try:
        with transaction.atomic():
            episode = AlertEpisode.objects.create(channel_id=channel_id, kind=kind, detail=detail[:500])
    except IntegrityError:  # another process opened it at the same moment
        return None
    episode_id = episode.pk
    # robust: a mail server that is down must not undo the state change that opened the episode.
    transaction.on_commit(lambda: alert_email(episode_id=episode_id), robust=True)
    return episode


def alert_resolve(*, channel_id: int, kind: str) -> int:
    """End the channel's open episode of `kind` (if any); return how many were ended."""
    return AlertEpisode.objects.filter(channel_id=channel_id, kind=kind, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )


def alert_email(*, episode_id: int) -> int:
    """E-mail the episode to the organization's owners and admins; return the number of recipients."""
    episode = AlertEpisode.objects.select_related("channel__store__organization").get(pk=episode_id)
    channel = episode.channel
    if episode.kind == AlertKind.NEEDS_RECONNECT:
        sent = notify_needs_reconnect(channel_id=channel.pk)
    else:
        sent = _email(episode=episode, channel=channel)
    AlertEpisode.objects.filter(pk=episode.pk).update(emailed_to=sent)
    return sent


SUBJECTS = {
    AlertKind.FAILURES: "Records of the Xero channel “{channel}” of {store} are failing",
    AlertKind.DAY_LIMIT: "The Xero channel “{channel}” of {store} reached Xero's daily limit",
}


def _email(*, episode: AlertEpisode, channel: AccountingChannel) -> int:
    recipients = organization_admin_emails(organization_id=channel.store.organization_id)
    if not recipients:
        logger.warning("Alert %s of channel %s: the organization has no owner or admin e-mail.", episode.pk, channel.pk)
        return 0
    context = {
        "episode": episode,
        "channel": channel,
        "store": channel.store,
        "channel_url": settings.SITE_URL + reverse("accounting:channel-detail", args=[channel.pk]),
    }
    subject = SUBJECTS[AlertKind(episode.kind)].format(channel=channel.name, store=channel.store.name)
    send_mail(
        subject=" ".join(subject.split()),  # names are user input: no line breaks in a header
        message=render_to_string("accounting/email/alert.txt", context),
        from_email=None,
        recipient_list=recipients,
    )
    return len(recipients)


# Where the state changes ---------------------------------------------------------------------


def alerts_after_turn(*, channel_id: int) -> None:
    """After a turn sent to Xero: the day budget let a call through; then the failures."""
    alert_resolve(channel_id=channel_id, kind=AlertKind.DAY_LIMIT)
    alerts_failures_evaluate(channel_id=channel_id)


def alerts_failures_evaluate(*, channel_id: int) -> None:
    """Failures past the threshold open an episode; back under it (sent, retried, skipped) end it."""
    threshold = failures_threshold()
    failed = SyncRecord.objects.filter(channel_id=channel_id, state=SyncState.FAILED)[:threshold].count()
    if failed >= threshold:
        alert_open(
            channel_id=channel_id,
            kind=AlertKind.FAILURES,
            detail=f"{threshold} or more records failed to reach Xero: see the channel's failures.",
        )
    else:
        alert_resolve(channel_id=channel_id, kind=AlertKind.FAILURES)


def alert_day_limit(*, channel_id: int, wait_seconds: float) -> None:
    """The limiter refused a call for the organisation's day budget."""
    hours = max(wait_seconds / 3600.0, 0.0)
    alert_open(
        channel_id=channel_id,
        kind=AlertKind.DAY_LIMIT,
        detail=f"Xero's daily call limit for the organisation is reached: sending resumes in about {hours:.1f} h.",
    )


# Reads (the banner, the staff page) ----------------------------------------------------------


def open_alerts_of(*, organization: Organization | None) -> QuerySet[AlertEpisode]:
    """Return the organization's open episodes, newest first (channel and store selected)."""
    if organization is None:
        return AlertEpisode.objects.none()
    return AlertEpisode.objects.filter(
        channel__store__organization=organization, resolved_at__isnull=True
    ).select_related("channel__store")
