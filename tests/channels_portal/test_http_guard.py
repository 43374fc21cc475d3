"""Invariant 9: no outgoing HTTP (or e-mail) while a database transaction is open.

The guard is on in every test (and in every worker and server a test starts): a Xero call, a
token refresh or an e-mail sent inside `transaction.atomic` fails the test that caused it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.core import mail
from django.db import transaction

from channels_portal.http_guard import HttpInTransaction, in_transaction_message


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/probe"
    server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_a_request_with_no_transaction_open_goes_out(local_url):
    assert requests.get(local_url, timeout=5).text == "ok"


@pytest.mark.django_db(transaction=True)
def test_a_request_inside_a_transaction_is_refused_before_it_leaves(local_url):
    with pytest.raises(HttpInTransaction) as refused, transaction.atomic():
        requests.get(local_url, timeout=5)
    assert str(refused.value) == in_transaction_message(f"HTTP GET {local_url}")


@pytest.mark.django_db
def test_the_transaction_a_test_case_wraps_the_test_in_does_not_count(local_url):
    assert requests.get(local_url, timeout=5).text == "ok"
    with pytest.raises(HttpInTransaction), transaction.atomic():
        requests.get(local_url, timeout=5)


@pytest.mark.django_db(transaction=True)
def test_the_xero_sdk_is_guarded_too(local_url):
    from xero_python.api_client import ApiClient, Configuration
    from xero_python.api_client.oauth2 import OAuth2Token

    client = ApiClient(Configuration(oauth2_token=OAuth2Token()), pool_threads=1)
    with pytest.raises(HttpInTransaction), transaction.atomic():
        client.rest_client.GET(local_url, _request_timeout=5)


@pytest.mark.django_db(transaction=True)
def test_an_email_inside_a_transaction_is_refused_and_not_sent():
    with pytest.raises(HttpInTransaction) as refused, transaction.atomic():
        mail.send_mail("Subject", "Body", None, ["owner@example.com"])
    assert str(refused.value) == in_transaction_message("Sending e-mail")
    assert mail.outbox == []
    mail.send_mail("Subject", "Body", None, ["owner@example.com"])
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]
