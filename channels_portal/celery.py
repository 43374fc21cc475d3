"""The Celery app: configuration lives in Django settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_portal.settings.base")

app = Celery("channels_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_send(name: str, *, args: tuple[object, ...], countdown: float = 0.0) -> None:
    """Queue the task called `name` (by its registered name, without importing its module)."""
    app.send_task(name, args=args, countdown=max(countdown, 0.0), retry=False)
