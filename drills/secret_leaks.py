#!/usr/bin/env python
"""Drill 6, secrets: none in clear in the database, the logs or any page; key rotation; a wrong key.

A representative run over real HTTP with the Xero sandbox: the owner logs in, creates a channel
through the channel form (client secret typed in), connects it through Xero's consent page,
an API key creates a product and an invoice, the sync sends them to Xero (the access token is
used, refreshed once). Then every secret the portal holds is gathered generically — every value
of every EncryptedTextField / EncryptedJSONField column (client secrets, OAuth token sets, and any
webhook key stored the same way), the raw API key and the owner's password — and searched for in:

- a pg_dump of the database (the Xero sandbox's own tables excluded: they are Xero's side);
- the logs captured: the drill process's log records (INFO and up, as in production) and the
  served portal's own log (gunicorn and Django);
- every page of the portal the channel's owner can reach (a crawl of every link from the home
  page), and every Billing API answer the API key can GET.

Then keys: rotation (new key first, old kept, `rotate_encryption_keys`, old key removed: every
secret still reads the same, and a ciphertext taken before the rotation is refused), and a wrong
key: reading a channel raises DecryptionError with a clear message, the rotate command stops with
a clear error, and nothing is handed out as empty or as ciphertext.

    .venv/bin/python drills/secret_leaks.py

(Not drills/secrets.py: a script's folder comes first on sys.path, and a secrets.py there would
shadow the standard library's `secrets` module for every drill run as a script.)
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import subprocess  # nosec B404  # starts the project's own gunicorn / pg_dump with fixed arguments
import sys
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urljoin, urlsplit

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drills.oauth_attacks import PASSWORD, callback_url, login

LINK = re.compile(r'href="([^"#]+)"')
TAX_SELECT = re.compile(r'<select name="(tax-[^"]+)"[^>]*>(.*?)</select>', re.S)
TAX_OPTION = re.compile(r'<option value="([^"]+)"')
MIN_SECRET_LENGTH = 12  # shorter leaves of a token set ("Bearer", scopes' words) are not secrets
NOT_SECRETS = {"token_type", "scope", "expires_in", "expires_at", "id_token_claims"}


@dataclass
class Figures:
    secrets: int = 0
    dump_bytes: int = 0
    dump_tables: int = 0
    log_records: int = 0
    log_bytes: int = 0
    pages: int = 0
    api_answers: int = 0
    synced: int = 0
    sync_states: set[str] = field(default_factory=set)
    leaks: list[str] = field(default_factory=list)
    rotation: dict[str, Any] = field(default_factory=dict)
    wrong_key: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


class Capture(logging.Handler):
    """Keep every formatted log record of this process (INFO and up)."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.records.append(self.format(record))
        except Exception:  # a record that cannot be formatted is kept as its raw parts
            self.records.append(f"{record.msg!r} {record.args!r}")


def _leaves(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [leaf for name, item in value.items() if name not in NOT_SECRETS for leaf in _leaves(item, name)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, key)]
    if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
        return [value]
    return []


def stored_secrets() -> dict[str, str]:
    """Every clear value of every encrypted column, by "model.field#id[:leaf]" (found generically)."""
    from channels_portal.encryption import encrypted_columns

    found: dict[str, str] = {}
    for model, column in encrypted_columns():
        for pk, value in model._default_manager.values_list("pk", column.name):
            for index, leaf in enumerate(_leaves(value)):
                found[f"{model._meta.label}.{column.name}#{pk}:{index}"] = leaf
    return found


def scene_create(*, base_url: str) -> dict[str, Any]:
    """The owner of an organization with a store, a Xero app in the sandbox, and an API key."""
    from django.contrib.auth import get_user_model

    from organizations.api_keys import api_key_create
    from organizations.models import Membership, Organization, Role
    from stores.models import Store
    from xero_sandbox import testing

    owner = get_user_model().objects.create_user(username="secrets-owner", password=PASSWORD)
    organization = Organization.objects.create(name="Secrets Drill", slug="secrets-drill")
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    store = Store.objects.create(organization=organization, name="Secrets store", currency="GBP")
    app = testing.app_create(name="Secrets drill app", redirect_uri=f"{base_url}/xero/callback/")
    testing.organisation_create(name="Secrets drill books (UK)", users=[owner])  # the Xero user who consents
    _, raw_key = api_key_create(organization=organization, name="Secrets drill key", created_by=None)
    return {"store": store, "client_id": app.client_id, "client_secret": app.client_secret, "raw_key": raw_key}


def representative_run(*, base_url: str, scene: dict[str, Any], figures: Figures) -> Any:
    """Create and connect a channel over HTTP, send a product and an invoice to Xero; return the session."""
    import requests

    from accounting.access.tokens import channel_access_grant
    from accounting.models import AccountingChannel
    from accounting.sync.models import SyncRecord
    from accounting.sync.schedule.turn import channel_push_turn

    session = login(base_url, "secrets-owner")
    store = scene["store"]
    form = {
        "name": "Secrets books",
        "client_id": scene["client_id"],
        "client_secret": scene["client_secret"],
        "account_nominal_code": "200",
        "add_products": "on",
        "create_nonexistent_products": "on",
        "invoice_status": "AUTHORISED",
        "invoice_number_prefix": "",
    }
    answer = session.post(f"{base_url}/stores/{store.pk}/channels/add/xero/", data=form, timeout=30)
    channel = AccountingChannel.objects.filter(store=store).first()
    if channel is None:
        raise RuntimeError(f"the channel form refused the channel: {answer.status_code} {answer.text[:500]}")
    callback = urlsplit(callback_url(session, base_url, channel.pk))
    answer = session.get(f"{base_url}{callback.path}?{callback.query}", timeout=30)
    channel.refresh_from_db()
    if channel.connection_state != "connected":
        raise RuntimeError(f"the channel did not connect: {channel.connection_state} {answer.url}")
    session.post(f"{base_url}/channels/{channel.pk}/active/", data={"is_active": "on"}, timeout=30)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {scene['raw_key']}"
    product = api.post(f"{base_url}/api/v1/stores/{store.pk}/products/", timeout=30,
                       json={"sku": "SECRET-1", "name": "Widget", "unit_price": "12.50"}).json()  # fmt: skip
    api.post(f"{base_url}/api/v1/stores/{store.pk}/invoices/", timeout=30, json={
        "number": "S-1001", "customer_name": "Ada", "issue_date": "2026-11-30", "due_date": "2026-12-30",
        "lines": [{"product": product["id"], "quantity": "2"}]})  # fmt: skip
    channel_access_grant(channel_id=channel.pk, force_refresh=True)  # one refresh: a rotated token pair stored
    channel_push_turn(channel_id=channel.pk)
    # The operator maps the store's 0% rate to one of Xero's tax types on the channel page (its first).
    session.post(f"{base_url}/channels/{channel.pk}/tax-mapping/", data={"refresh": "1"}, timeout=30)
    page = session.get(f"{base_url}/channels/{channel.pk}/", timeout=30).text
    choices = {name: options[0] for name, body in TAX_SELECT.findall(page) if (options := TAX_OPTION.findall(body))}
    if not choices:
        raise RuntimeError("the channel page offers no tax type for the store's rate")
    session.post(f"{base_url}/channels/{channel.pk}/tax-mapping/", data=choices, timeout=30)
    for _ in range(10):
        channel_push_turn(channel_id=channel.pk)
    figures.synced = SyncRecord.objects.filter(channel=channel).exclude(xero_id="").count()
    records = SyncRecord.objects.filter(channel=channel).values_list("kind", "state", "last_error")
    figures.sync_states = {f"{kind} {state}: {error[:120]}" for kind, state, error in records}
    return session


def database_dump(*, database: str) -> str:
    """The text of pg_dump of `database`, without the Xero sandbox's own tables (Xero's side)."""
    command = [
        "pg_dump",
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "--data-only",
        "--exclude-table=xero_sandbox_*",
        database,
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=300).stdout  # nosec B603  # fixed argument list, no shell, no user input


def crawl(*, base_url: str, session: Any, limit: int = 400) -> dict[str, str]:
    """GET every portal page reachable by links from the home page (never log-out, nor the sandbox)."""
    host = urlsplit(base_url).netloc
    seen: dict[str, str] = {}
    queue = ["/"]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        answer = session.get(f"{base_url}{path}", timeout=30)
        seen[path] = answer.text
        if "html" not in answer.headers.get("Content-Type", ""):
            continue
        for href in LINK.findall(answer.text):
            url = urlsplit(urljoin(f"{base_url}{path}", unescape(href)))
            target = url.path + (f"?{url.query}" if url.query else "")
            if url.netloc != host or target in seen or target in queue:
                continue
            if url.path.startswith(("/accounts/logout", "/xero-sandbox/", "/static/")):
                continue
            queue.append(target)
    return seen


def api_answers(*, base_url: str, raw_key: str, store_id: int) -> dict[str, str]:
    import requests

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {raw_key}"
    paths = ["/api/v1/stores/", *(f"/api/v1/stores/{store_id}/{name}/" for name in
             ("products", "invoices", "accounting-channels")), "/api/schema/"]  # fmt: skip
    return {path: api.get(f"{base_url}{path}", timeout=30).text for path in paths}


def search(*, secrets: dict[str, str], where: str, text: str, figures: Figures) -> None:
    for name, secret in secrets.items():
        if secret in text:
            figures.leaks.append(f"{name} in clear in {where}")


def key_drills(*, figures: Figures, secrets_before: dict[str, str]) -> None:
    """Rotation round trip and a wrong key, on the drill's own database, in this process."""
    from cryptography.fernet import Fernet
    from django.core.management import CommandError, call_command
    from django.db import connection
    from django.test.utils import override_settings

    from accounting.models import AccountingChannel
    from channels_portal.encryption import DecryptionError, decrypt_text, encrypted_columns

    old_keys = list(_current_keys())
    new_key = Fernet.generate_key().decode()
    model, column = next((m, c) for m, c in encrypted_columns() if m is AccountingChannel and c.name == "client_secret")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column.column} FROM {model._meta.db_table} WHERE {column.column} <> '' LIMIT 1")  # nosec B608  # identifiers from model metadata quoted by quote_name; values are parameters
        old_ciphertext = cursor.fetchone()[0]
    out = io.StringIO()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *old_keys]):
        call_command("rotate_encryption_keys", stdout=out)
    rotated = int(re.search(r"Re-encrypted (\d+) secret", out.getvalue()).group(1))  # type: ignore[union-attr]
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        after = stored_secrets()
        try:
            decrypt_text(old_ciphertext)
            old_refused = False
        except DecryptionError:
            old_refused = True
    figures.rotation = {
        "re-encrypted": rotated,
        "read back the same with the new key alone": after == secrets_before,
        "a ciphertext from before refused once the old key is gone": old_refused,
    }
    if after != secrets_before or not old_refused or rotated == 0:
        figures.failures.append(f"rotation: {figures.rotation}")
    # A wrong key: every read fails loudly, with the configuration named; nothing reads as empty.
    wrong = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[wrong]):
        try:
            AccountingChannel.objects.exclude(client_secret="").first()  # nosec B106  # a filter on "no secret stored", not a password
            read_error = "read without an error"
        except DecryptionError as exc:
            read_error = str(exc)
        try:
            call_command("rotate_encryption_keys", stdout=io.StringIO())
            command_error = "rotated without an error"
        except CommandError as exc:
            command_error = str(exc)
    figures.wrong_key = {"read": read_error, "rotate_encryption_keys": command_error}
    if "FIELD_ENCRYPTION_KEYS" not in read_error or "Add the old key" not in command_error:
        figures.failures.append(f"wrong key: {figures.wrong_key}")
    # Put the drill's database back under its own key (the served portal still uses it).
    with override_settings(FIELD_ENCRYPTION_KEYS=[*old_keys, new_key]):
        call_command("rotate_encryption_keys", stdout=io.StringIO())


def _current_keys() -> list[str]:
    from django.conf import settings

    from channels_portal.encryption import fernet

    fernet()  # a local portal without keys gets its generated one
    return list(settings.FIELD_ENCRYPTION_KEYS) or [settings.FIELD_ENCRYPTION_KEY_FILE.read_text().strip()]


def run(*, base_url: str, database: str, out: TextIO, server_log: Path | None = None) -> Figures:
    """Run the drill against the served portal at `base_url` and its `database`; print the figures."""
    figures = Figures()
    capture = Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        scene = scene_create(base_url=base_url)
        session = representative_run(base_url=base_url, scene=scene, figures=figures)
        secrets = stored_secrets()
        secrets.update(
            {"raw API key": scene["raw_key"], "owner's password": PASSWORD, "client secret": scene["client_secret"]}
        )
        figures.secrets = len(secrets)
        kinds = {name.split("#")[0] for name in secrets}
        for wanted in ("accounting.AccountingChannel.client_secret", "accounting.AccountingChannel.token_set"):
            if wanted not in kinds:
                figures.failures.append(f"the run stored no {wanted}: nothing to search for")
        dump = database_dump(database=database)
        figures.dump_bytes, figures.dump_tables = len(dump), dump.count("COPY public.")
        search(secrets=secrets, where="the database dump", text=dump, figures=figures)
        pages = crawl(base_url=base_url, session=session)
        figures.pages = len(pages)
        for path, text in pages.items():
            search(secrets=secrets, where=f"page {path}", text=text, figures=figures)
        answers = api_answers(base_url=base_url, raw_key=scene["raw_key"], store_id=scene["store"].pk)
        figures.api_answers = len(answers)
        for path, text in answers.items():
            search(secrets=secrets, where=f"API answer {path}", text=text, figures=figures)
        stored = {name: value for name, value in secrets.items() if "#" in name}
        key_drills(figures=figures, secrets_before=stored)
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    logs = "\n".join(capture.records)
    if server_log is not None and server_log.exists():
        logs += "\n" + server_log.read_text(errors="replace")
    figures.log_records, figures.log_bytes = len(capture.records), len(logs)
    search(secrets=secrets, where="the logs", text=logs, figures=figures)
    print(f"secrets drill: {figures.secrets} secrets searched for ({len(stored)} stored encrypted, "
          f"the raw API key, the owner's password, the client secret as typed); synced to Xero: {figures.synced} "
          f"{sorted(figures.sync_states)}",
          file=out)  # fmt: skip
    print(f"database dump: {figures.dump_bytes:,} bytes, {figures.dump_tables} tables; "
          f"logs: {figures.log_bytes:,} bytes (the portal's log and access log, {figures.log_records} records "
          "of the drill process); "
          f"pages crawled as the owner: {figures.pages}; API answers: {figures.api_answers}", file=out)  # fmt: skip
    print(f"secrets found in clear: {len(figures.leaks)}", file=out)
    for leak in figures.leaks[:20]:
        print(f"  {leak}", file=out)
    print(f"key rotation: {figures.rotation}", file=out)
    print(f"wrong key: {figures.wrong_key}", file=out)
    print(f"failures: {len(figures.failures)}", file=out)
    for failure in figures.failures:
        print(f"  {failure}", file=out)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="drill_secrets")
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--port", type=int, default=8776)
    args = parser.parse_args()
    from drills.harness import sandbox, server_log

    with sandbox(database=args.database, redis_db=args.redis_db, port=args.port, log_level="INFO") as base_url:
        figures = run(base_url=base_url, database=args.database, out=sys.stdout,
                      server_log=server_log(args.database))  # fmt: skip
    sys.exit(1 if figures.leaks or figures.failures else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
