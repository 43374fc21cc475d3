from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "accounting.sync"
    label = "accounting_sync"
    verbose_name = "Accounting sync"

    def ready(self) -> None:
        # Connect the ledger to the stores models, and the schedule's lanes to the ledger's wake-ups.
        from accounting.sync.ledger import signals  # noqa: F401
        from accounting.sync.schedule import lanes  # noqa: F401
