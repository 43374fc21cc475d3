"""The Xero sandbox over real HTTP: a live server, an app, an organisation, an SDK client."""

from __future__ import annotations

import pytest
import requests
import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.identity import IdentityApi

from xero_sandbox import testing

TIMEOUT = 20


class Sdk:
    """An xero-python client aimed at the sandbox, with urllib3 retries off (as the portal must)."""

    def __init__(self, *, base: str, app, token: dict) -> None:
        # Configuration() is a copy of the FIRST instance ever made (its arguments are then ignored):
        # set the token holder on the copy.
        config = Configuration()
        config.oauth2_token = OAuth2Token(client_id=app.client_id, client_secret=app.client_secret)
        self.client = ApiClient(config, pool_threads=1)
        self.client.rest_client.pool_manager = urllib3.PoolManager(num_pools=2, maxsize=4, retries=False)
        self.token = dict(token)
        self.client.oauth2_token_getter(lambda: self.token)
        self.client.oauth2_token_saver(lambda new: self.token.update(new))
        self.client.set_oauth2_token(self.token)
        self.accounting = AccountingApi(self.client, base_url=f"{base}/api/api.xro/2.0")
        self.identity = IdentityApi(self.client, base_url=f"{base}/api")


@pytest.fixture
def sandbox_app(db):
    return testing.app_create(name="Channels Portal Test", redirect_uri="http://localhost:9999/xero/callback/")


@pytest.fixture
def xero_user(db):
    """The Xero user who signs in on the consent page (a Django user of the same site)."""
    from tests.factories import UserFactory

    return UserFactory.create(username="xero-user")


@pytest.fixture
def sandbox_org(db, xero_user):
    """The demo organisation, which `xero_user` may connect."""
    return testing.organisation_create(name="Demo Company (UK)", users=[xero_user])


def session_cookie(user) -> tuple[str, str]:
    """Return the name and value of a session cookie of `user`, signed in on the site."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return cookie.key, cookie.value


def signed_in_session(user) -> requests.Session:
    """A `requests` session (a browser without JavaScript) signed in on the site as `user`."""
    session = requests.Session()
    session.cookies.set(*session_cookie(user))
    return session


@pytest.fixture
def xero_user_session(xero_user) -> requests.Session:
    """A browser session signed in as `xero_user`, as login.xero.com remembers its sign-in."""
    return signed_in_session(xero_user)


@pytest.fixture
def tenant(sandbox_org) -> str:
    return str(sandbox_org.tenant_id)


@pytest.fixture
def sdk(xero_sandbox, sandbox_app, sandbox_org):
    testing.limits_reset()
    token = testing.token_issue(app=sandbox_app, organisations=[sandbox_org])
    yield Sdk(base=xero_sandbox, app=sandbox_app, token=token)
    testing.limits_reset()


@pytest.fixture
def staff_cookie(db, live_server) -> dict:
    """A session cookie of a logged-in staff user (the sandbox's own pages are for staff only)."""
    from tests.factories import UserFactory

    name, value = session_cookie(UserFactory.create(username="sandbox-staff", is_staff=True))
    return {"name": name, "value": value, "url": live_server.url}


@pytest.fixture
def staff_page(page, staff_cookie):
    """A browser page signed in as a staff user."""
    page.context.add_cookies([staff_cookie])
    return page


@pytest.fixture
def staff_session(staff_cookie) -> requests.Session:
    """A `requests` session signed in as a staff user."""
    session = requests.Session()
    session.cookies.set(staff_cookie["name"], staff_cookie["value"])
    return session
