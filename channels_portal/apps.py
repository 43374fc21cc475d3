"""The project package as an app, for what every process must set up when Django starts."""

from django.apps import AppConfig
from django.conf import settings


class ChannelsPortalConfig(AppConfig):
    name = "channels_portal"
    verbose_name = "Channels Portal"

    def ready(self) -> None:
        if getattr(settings, "HTTP_IN_TRANSACTION_GUARD", False):
            from . import http_guard

            http_guard.install()
