"""Log-in, log-out, password rules and the throttling of repeated wrong passwords."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory
from tests.pages import INVALID_LOGIN

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LOCKED_OUT = (
    "<p>After repeated wrong passwords, log-ins for this account, or from this address, are paused for a while. "
    "Try again later.</p>"
)


@pytest.fixture
def user(organization):
    return MembershipFactory.create(organization=organization, user=UserFactory.create(username="carol")).user


def _login(client, password):
    return client.post(reverse("login"), {"username": "carol", "password": password})


def test_login_page_is_styled_and_local(client):
    html = client.get(reverse("login")).content.decode()
    assert '<link rel="stylesheet" href="/static/css/portal.css">' in html
    assert "http" not in html.split("<body>")[0].replace("http-equiv", "")  # no external asset in the head


def test_right_password_logs_in_and_lands_on_the_store_list(client, user):
    response = _login(client, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("stores:list")


def test_wrong_password_is_refused_with_a_message(client, user):
    response = _login(client, "nope")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [INVALID_LOGIN]


def test_after_five_wrong_passwords_even_the_right_one_is_locked_out(client, user):
    for _ in range(4):
        assert _login(client, "wrong password").status_code == 200
    assert _login(client, "wrong password").status_code == 429  # the 5th failure locks (AXES_FAILURE_LIMIT)
    response = _login(client, PASSWORD)  # the 6th attempt, right password: still locked
    assert response.status_code == 429
    assert "<h1>Too many failed log-ins</h1>" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_then_the_right_one_still_logs_in(client, user):
    for _ in range(4):
        _login(client, "wrong password")
    assert _login(client, PASSWORD).status_code == 302


def test_log_out_ends_the_session(client, user):
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client.get(reverse("stores:list")).status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("83749201734", "This password is entirely numeric."),
    ],
)
def test_weak_passwords_are_refused(password, message):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert message in error.value.messages


def test_change_password_applies_the_password_rules(client, user):
    client.force_login(user)
    url = reverse("password_change")
    weak = {"old_password": PASSWORD, "new_password1": "carol123", "new_password2": "carol123"}
    response = client.post(url, weak)
    assert response.context["form"].errors["new_password2"] == [
        "The password is too similar to the username.",
        "This password is too common.",
    ]
    strong = {
        "old_password": PASSWORD,
        "new_password1": "plum-tractor-88-lantern",
        "new_password2": "plum-tractor-88-lantern",
    }
    assert client.post(url, strong)["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("plum-tractor-88-lantern")


def _attempt(client, username, password, *, forwarded_for):
    """Post the log-in form as a client reaching the portal through one reverse proxy."""
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        HTTP_X_FORWARDED_FOR=forwarded_for,
        REMOTE_ADDR="10.0.0.1",
    )


def test_a_username_is_locked_whatever_address_the_guesses_come_from(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        # A client that forges its own X-Forwarded-For, or hops between addresses, each time.
        _attempt(client, "carol", "wrong", forwarded_for=f"198.51.100.{n}, 203.0.113.{n}")
    response = _attempt(client, "carol", PASSWORD, forwarded_for="192.0.2.77")
    assert response.status_code == 429
    assert LOCKED_OUT in response.content.decode()


def test_an_address_is_locked_whatever_usernames_it_tries(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory.create(username="dave")
    for n in range(5):
        _attempt(client, f"guess{n}", "wrong", forwarded_for="203.0.113.9")
    # From that address even a right password of another account is refused ...
    assert _attempt(client, "dave", PASSWORD, forwarded_for="203.0.113.9").status_code == 429
    # ... and a forged left-hand entry does not make it another address.
    assert _attempt(client, "dave", PASSWORD, forwarded_for="192.0.2.1, 203.0.113.9").status_code == 429
    assert "_auth_user_id" not in client.session
    # Another client through the same proxy is not locked out.
    assert _attempt(client, "dave", PASSWORD, forwarded_for="203.0.113.10").status_code == 302


def test_the_published_port_answers_on_localhost_only():
    """The proxy in front is the only way in: a client reaching gunicorn directly could forge the header."""
    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    published = {name: service.get("ports", []) for name, service in compose["services"].items()}
    assert published == {
        "db": [],
        "redis": [],
        "migrate": [],
        "web": ["127.0.0.1:8000:8000"],
        "worker": [],
        "beat": [],
    }
