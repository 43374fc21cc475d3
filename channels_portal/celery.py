"""The Celery app: configuration lives in Django settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_portal.settings.base")

app = Celery("channels_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Redis serves a queue's priority steps in order (kombu's priority_steps 0, 3, 6, 9: a message of
# step 0 first); the file broker of `make run` keeps one order for all.
PRIORITY_BACKLOG = 9


def task_send(name: str, *, args: tuple[object, ...], countdown: float = 0.0, priority: int | None = None) -> None:
    """Queue the task called `name` (by its registered name, without importing its module).

    `priority` PRIORITY_BACKLOG: served only when nothing of the default step waits.
    """
    if priority is None:
        app.send_task(name, args=args, countdown=max(countdown, 0.0), retry=False)
    else:
        app.send_task(name, args=args, countdown=max(countdown, 0.0), retry=False, priority=priority)
