"""`manage.py xero_sandbox` gives Xero users (users of the site) their organisations."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from stores.demo_data import DEMO_USERNAME
from tests.factories import UserFactory
from xero_sandbox.management.commands import xero_sandbox as command
from xero_sandbox.models import Organisation, OrganisationUser

pytestmark = pytest.mark.django_db
REDIRECT = "http://127.0.0.1:8000/xero/callback/"


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("xero_sandbox", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _access() -> list[tuple[str, str]]:
    rows = OrganisationUser.objects.values_list("organisation__name", "user__username")
    return sorted(rows)


def test_create_org_gives_the_named_users_access():
    UserFactory.create(username="ann"), UserFactory.create(username="bob")
    out, _ = _run("create-org", "--name", "Acme Ltd", "--user", "ann", "--user", "bob")
    assert out.strip() == str(Organisation.objects.get(name="Acme Ltd").tenant_id)
    assert _access() == [("Acme Ltd", "ann"), ("Acme Ltd", "bob")]


def test_create_org_with_an_unknown_user_creates_nothing():
    UserFactory.create(username="ann")
    with pytest.raises(CommandError, match=r"^No user named 'nobody' exists on this site\.$"):
        _run("create-org", "--name", "Acme Ltd", "--user", "ann", "--user", "nobody")
    assert Organisation.objects.count() == 0


def test_grant_access_gives_an_existing_organisation_to_users():
    UserFactory.create(username="ann")
    _run("create-org", "--name", "Acme Ltd")
    assert _access() == []
    out, _ = _run("grant-access", "--tenant", "Acme Ltd", "--user", "ann")
    assert out.strip() == "ann may connect Acme Ltd."
    _run("grant-access", "--tenant", "Acme Ltd", "--user", "ann")  # again: no second row
    assert _access() == [("Acme Ltd", "ann")]
    with pytest.raises(CommandError, match="No user named 'zed'"):
        _run("grant-access", "--tenant", "Acme Ltd", "--user", "zed")


def test_demo_gives_the_local_demo_user_the_demo_organisations():
    assert command.DEMO_USERNAME == DEMO_USERNAME == "demo"
    UserFactory.create(username="demo")
    first = json.loads(_run("demo", "--redirect-uri", REDIRECT)[0])
    second = json.loads(_run("demo", "--redirect-uri", REDIRECT)[0])
    assert first == second
    assert first["users"] == ["demo"]
    assert _access() == [("Demo Company (UK)", "demo"), ("Northwind Traders Ltd", "demo")]


def test_demo_before_the_demo_user_exists_says_so_and_gives_nobody_access():
    out, err = _run("demo", "--redirect-uri", REDIRECT)
    assert json.loads(out)["users"] == []
    assert err.strip() == (
        "No user 'demo' yet (load_demo_data creates it): nobody may pick the demo organisations on the consent "
        "page until `xero_sandbox grant-access --tenant T --user U`."
    )
    assert _access() == []


def test_demo_gives_the_organisations_to_the_users_named():
    UserFactory.create(username="harbour")
    assert json.loads(_run("demo", "--redirect-uri", REDIRECT, "--user", "harbour")[0])["users"] == ["harbour"]
    assert _access() == [("Demo Company (UK)", "harbour"), ("Northwind Traders Ltd", "harbour")]
