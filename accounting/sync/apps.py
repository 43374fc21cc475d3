from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "accounting.sync"
    label = "accounting_sync"
    verbose_name = "Accounting sync"

    def ready(self) -> None:
        pass
