"""Log-in, log-out, password rules and the throttling of repeated wrong passwords."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user(organization):
    return MembershipFactory(organization=organization, user=UserFactory(username="carol")).user


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
    assert "Please enter a correct username and password." in response.content.decode()


def test_after_five_wrong_passwords_even_the_right_one_is_locked_out(client, user):
    for _ in range(4):
        assert _login(client, "wrong password").status_code == 200
    assert _login(client, "wrong password").status_code == 429  # the 5th failure locks (AXES_FAILURE_LIMIT)
    response = _login(client, PASSWORD)  # the 6th attempt, right password: still locked
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
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


def test_behind_a_proxy_the_lock_out_counts_the_client_not_the_proxy(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(5):
        client.post(
            reverse("login"), {"username": "carol", "password": "wrong"}, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy
        )
    # Another client through the same proxy is not locked out; a forged left-hand entry changes nothing.
    other = client.post(
        reverse("login"),
        {"username": "carol", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7",
        **proxy,
    )
    assert other.status_code == 302
    client.logout()
    same = client.post(
        reverse("login"), {"username": "carol", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy
    )
    assert same.status_code == 429
