from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stores.demo_data import demo_data_load


class Command(BaseCommand):
    help = "Create the demo organizations, users, stores, products and invoices (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo users have published passwords: never create them on a real portal.
        if not (settings.DEBUG or settings.DEMO_MODE):
            raise CommandError(
                "load_demo_data creates users with published passwords, so it runs only on a development "
                "machine (DJANGO_DEBUG=true) or a demo server (DEMO_MODE=true). Nothing was changed."
            )
        summary = demo_data_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {summary.stores} stores, {summary.products} products, "
                f"{summary.invoices} invoices in “{summary.organization.name}” and “Harbour Goods Co”."
            )
        )
        self.stdout.write(f"Log in at {settings.SITE_URL}/accounts/login/")
        self.stdout.write(f"  username: {summary.username}")
        self.stdout.write(f"  password: {summary.password}")
