"""`manage.py xero_sandbox <create-app|create-org|grant-access|issue-token|demo|…>`: stage the local Xero."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from xero_sandbox import demo_books
from xero_sandbox.api import ratelimit
from xero_sandbox.models import AppTier, DeveloperApp, Organisation
from xero_sandbox.services.apps import app_add_redirect_uri, app_as_json, app_create, app_set_tier
from xero_sandbox.services.identity import OAuthError, token_issue_direct
from xero_sandbox.services.organisation_settings import organisation_settings_set
from xero_sandbox.services.organisation_users import UnknownUser, organisation_user_grant, users_by_username
from xero_sandbox.services.organisations import (
    FAULT_FIELDS,
    currency_enable,
    organisation_clear_faults,
    organisation_create,
    organisation_get_or_create,
    organisation_revoke_connections,
    organisation_seed_demo_records,
    organisation_set_faults,
)
from xero_sandbox.services.payments import invoice_mark_paid
from xero_sandbox.services.webhooks import webhook_intent_check

DEMO_APP_NAME = "Channels Portal Demo"
# Starter, as a merchant's new Xero app is: the README's demo flow connects one organisation per
# consent and stays far below 1,000 calls a day.
DEMO_APP_TIER = AppTier.STARTER
# The local portal's demo user (stores.demo_data.DEMO_USERNAME; the sandbox imports nothing of the
# portal): `demo` gives it access to the demo organisations, so it can pick them on the consent page.
DEMO_USERNAME = "demo"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


def _organisation_by_tenant(tenant: str) -> Organisation:
    """Return the organisation named by a tenant id or by its name."""
    try:
        found = Organisation.objects.filter(tenant_id=uuid.UUID(tenant)).first()
    except ValueError:
        found = Organisation.objects.filter(name=tenant).first()
    if found is None:
        raise CommandError(f"No sandbox organisation with tenant id or name {tenant!r}.")
    return found


class Command(BaseCommand):
    help = "Stage the Xero sandbox: create apps and organisations, issue tokens, load the demo."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create_app = sub.add_parser("create-app", help="Create a developer app; print it as JSON.")
        create_app.add_argument("--name", required=True)
        create_app.add_argument("--redirect-uri", required=True, action="append", dest="redirect_uris")
        create_app.add_argument("--webhook-url", default="")
        create_app.add_argument("--tier", choices=AppTier.values, default=AppTier.STARTER)
        create_org = sub.add_parser("create-org", help="Create an organisation with demo books; print its tenant id.")
        create_org.add_argument("--name", required=True)
        create_org.add_argument("--country", default="GB", choices=["GB", "UK", "AU", "NZ", "US"], help="Region.")
        create_org.add_argument("--base-currency", default="", help="Default: the region's (GBP, AUD, NZD, USD).")
        create_org.add_argument("--currency", action="append", default=[], dest="currencies", help="Enable another.")
        create_org.add_argument("--high-volume", action="store_true", help="Refuse un-optimised filters.")
        create_org.add_argument("--lock-date", type=_date, help="Period lock date, YYYY-MM-DD.")
        create_org.add_argument(
            "--user", action="append", default=[], dest="users", help="Username who may connect it (repeatable)."
        )
        grant = sub.add_parser("grant-access", help="Let users pick an organisation on the consent page.")
        grant.add_argument("--tenant", required=True, help="Tenant id or organisation name.")
        grant.add_argument("--user", action="append", required=True, dest="users", help="Username (repeatable).")
        enable = sub.add_parser("enable-currency", help="Enable a currency in an organisation.")
        enable.add_argument("--tenant", required=True, help="Tenant id or organisation name.")
        enable.add_argument("--code", required=True)
        issue = sub.add_parser("issue-token", help="Connect an app to a tenant and print a token set as JSON.")
        issue.add_argument("--client-id", required=True)
        issue.add_argument("--tenant", required=True, help="Tenant id or organisation name.")
        issue.add_argument("--expires-in", type=int, default=1800)
        demo = sub.add_parser("demo", help="Create (idempotently) the demo app and organisations.")
        demo.add_argument("--redirect-uri", required=True)
        demo.add_argument("--webhook-url", default="")
        demo.add_argument("--tier", choices=AppTier.values, help=f"App tier (new demo app: {DEMO_APP_TIER}).")
        demo.add_argument(
            "--user", action="append", dest="users", help=f"Username given the demo organisations ({DEMO_USERNAME})."
        )
        self._add_drill_arguments(sub)

    def _add_drill_arguments(self, sub: Any) -> None:
        faults = sub.add_parser("faults", help="Set an organisation's faults (unset options keep their value).")
        faults.add_argument("--tenant", required=True, help="Tenant id or organisation name.")
        faults.add_argument("--latency-ms", type=int, dest="latency_ms")
        for share in ("500", "503", "drop"):
            faults.add_argument(f"--{share}-share", type=float, dest=f"{share}_share")
        for switch in ("ignore-idempotency", "429-storm"):
            faults.add_argument(f"--{switch}", choices=["on", "off"], dest=switch.replace("-", "_"))
        faults.add_argument("--clear", action="store_true", help="Turn every fault off first.")
        revoke = sub.add_parser("revoke", help="Remove every app's connection to an organisation.")
        revoke.add_argument("--tenant", required=True)
        paid = sub.add_parser("mark-paid", help="Pay a sales invoice in full and send the webhook event.")
        paid.add_argument("--tenant", required=True)
        paid.add_argument("--invoice-number", required=True)
        limits = sub.add_parser("reset-limits", help="Forget rate-limit counters (of one organisation or all).")
        limits.add_argument("--tenant", default="")
        intent = sub.add_parser("intent-check", help="Run the webhook intent-to-receive check of an app.")
        intent.add_argument("--client-id", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        handler = {
            "create-app": self._create_app,
            "create-org": self._create_org,
            "grant-access": self._grant_access,
            "enable-currency": self._enable_currency,
            "issue-token": self._issue_token,
            "demo": self._demo,
            "faults": self._faults,
            "revoke": self._revoke,
            "mark-paid": self._mark_paid,
            "reset-limits": self._reset_limits,
            "intent-check": self._intent_check,
        }[options["subcommand"]]
        try:
            handler(options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        except OAuthError as exc:
            raise CommandError(exc.description or exc.error) from None
        except UnknownUser as exc:
            raise CommandError(str(exc)) from None

    def _print_json(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, indent=2))

    def _create_app(self, options: dict[str, Any]) -> None:
        app = app_create(
            name=options["name"],
            redirect_uris=options["redirect_uris"],
            webhook_url=options["webhook_url"],
            tier=options["tier"],
        )
        self._print_json(app_as_json(app=app))

    def _create_org(self, options: dict[str, Any]) -> None:
        if Organisation.objects.filter(name=options["name"]).exists():
            raise CommandError(f"An organisation named {options['name']!r} already exists.")
        users = users_by_username(usernames=options["users"])  # an unknown one creates nothing
        with transaction.atomic():
            organisation = organisation_create(
                name=options["name"],
                country=options["country"],
                base_currency=options["base_currency"].upper(),
                currencies=[code.upper() for code in options["currencies"]],
            )
            organisation_settings_set(
                organisation=organisation, high_volume=options["high_volume"], lock_date=options["lock_date"]
            )
            for user in users:
                organisation_user_grant(organisation=organisation, user=user)
        self.stdout.write(str(organisation.tenant_id))

    def _grant_access(self, options: dict[str, Any]) -> None:
        organisation = _organisation_by_tenant(options["tenant"])
        for user in users_by_username(usernames=options["users"]):
            organisation_user_grant(organisation=organisation, user=user)
            self.stdout.write(f"{user.get_username()} may connect {organisation.name}.")

    def _enable_currency(self, options: dict[str, Any]) -> None:
        try:
            currency = currency_enable(organisation=_organisation_by_tenant(options["tenant"]), code=options["code"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{currency.code} enabled")

    def _issue_token(self, options: dict[str, Any]) -> None:
        app = DeveloperApp.objects.filter(client_id=options["client_id"]).first()
        if app is None:
            raise CommandError(f"No sandbox app with client id {options['client_id']!r}.")
        organisation = _organisation_by_tenant(options["tenant"])
        token_set = token_issue_direct(app=app, organisations=[organisation], expires_in=options["expires_in"])
        self._print_json(token_set.as_sdk_token())

    def _demo(self, options: dict[str, Any]) -> None:
        app = DeveloperApp.objects.filter(name=DEMO_APP_NAME).order_by("pk").first()
        if app is None:
            app = app_create(
                name=DEMO_APP_NAME,
                redirect_uris=[options["redirect_uri"]],
                webhook_url=options["webhook_url"],
                tier=options["tier"] or DEMO_APP_TIER,
            )
        else:
            if options["tier"] and options["tier"] != app.tier:
                app_set_tier(app=app, tier=options["tier"])
            app_add_redirect_uri(app=app, redirect_uri=options["redirect_uri"])
            if options["webhook_url"] and app.webhook_url != options["webhook_url"]:
                app.webhook_url = options["webhook_url"]
                app.save(update_fields=["webhook_url"])
        organisations = [organisation_get_or_create(name=name) for name in demo_books.DEMO_ORGANISATIONS]
        organisation_seed_demo_records(organisation=organisations[0])
        users = self._demo_users(options["users"])
        for organisation in organisations:
            for user in users:
                organisation_user_grant(organisation=organisation, user=user)
        answer = app_as_json(app=app)
        answer["organisations"] = [{"name": o.name, "tenant_id": str(o.tenant_id)} for o in organisations]
        answer["users"] = [user.get_username() for user in users]
        self._print_json(answer)

    def _demo_users(self, usernames: list[str] | None) -> list[Any]:
        """The users given the demo organisations: those named, else the demo user when it exists."""
        if usernames:
            return users_by_username(usernames=usernames)
        try:
            return users_by_username(usernames=[DEMO_USERNAME])
        except UnknownUser:
            self.stderr.write(
                f"No user {DEMO_USERNAME!r} yet (load_demo_data creates it): nobody may pick the demo organisations "
                f"on the consent page until `xero_sandbox grant-access --tenant T --user U`."
            )
            return []

    # Drills ----------------------------------------------------------------------------------

    @transaction.atomic
    def _faults(self, options: dict[str, Any]) -> None:
        organisation = _organisation_by_tenant(options["tenant"])
        if options["clear"]:
            organisation_clear_faults(organisation=organisation)
        names = ("latency_ms", "500_share", "503_share", "drop_share", "ignore_idempotency", "429_storm")
        chosen = {name: options[name] for name in names if options.get(name) is not None}
        chosen = {name: (value == "on") if value in ("on", "off") else value for name, value in chosen.items()}
        if chosen:  # a bad value raises before anything is saved (the transaction undoes --clear)
            organisation_set_faults(organisation=organisation, **chosen)
        organisation.refresh_from_db()
        self._print_json({field: getattr(organisation, field) for field in FAULT_FIELDS})

    def _revoke(self, options: dict[str, Any]) -> None:
        count = organisation_revoke_connections(organisation=_organisation_by_tenant(options["tenant"]))
        self.stdout.write(f"{count} connection(s) revoked.")

    def _mark_paid(self, options: dict[str, Any]) -> None:
        organisation = _organisation_by_tenant(options["tenant"])
        invoice = organisation.invoices.filter(invoice_number=options["invoice_number"]).first()
        if invoice is None:
            raise CommandError(f"No invoice {options['invoice_number']!r} in {organisation.name}.")
        try:
            with transaction.atomic():
                invoice_mark_paid(invoice=invoice)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Invoice {invoice.invoice_number} marked as paid.")

    def _reset_limits(self, options: dict[str, Any]) -> None:
        tenant = str(_organisation_by_tenant(options["tenant"]).tenant_id) if options["tenant"] else None
        ratelimit.reset(tenant=tenant)
        self.stdout.write("Rate-limit counters reset.")

    def _intent_check(self, options: dict[str, Any]) -> None:
        app = DeveloperApp.objects.filter(client_id=options["client_id"]).first()
        if app is None:
            raise CommandError(f"No sandbox app with client id {options['client_id']!r}.")
        result = webhook_intent_check(app=app)
        if not result.ok:
            raise CommandError(result.message)
        self.stdout.write(result.message)
