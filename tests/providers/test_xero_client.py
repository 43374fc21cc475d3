"""The Xero client's error family, for answers and network failures the sandbox cannot stage.

Everything goes over real loopback sockets: a tiny HTTP server that plays back scripted answers
(the SDK speaks urllib3 directly, so request-mocking libraries would not even see it), a closed
port, and a server that never answers.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from xero_python.accounting.models import Contact

from accounting.providers.xero import errors
from accounting.providers.xero.answers import scope_missing_message
from accounting.providers.xero.client import XeroClient

TENANT = "11111111-2222-3333-4444-555555555555"


def client() -> XeroClient:
    return XeroClient(access_token="an-access-token", tenant_id=TENANT)


def test_429_carries_the_wait_and_the_problem(xero):
    xero.answers.append((429, {"Retry-After": "17", "X-Rate-Limit-Problem": "Minute"}, {"Title": "Too Many"}))

    with pytest.raises(errors.XeroRateLimited) as raised:
        client().accounts_where(where='Class=="REVENUE"')

    assert (raised.value.retry_after, raised.value.problem, raised.value.retryable) == (17.0, "minute", True)
    assert xero.requests[0]["headers"]["xero-tenant-id"] == TENANT


def test_429_without_retry_after_waits_a_minute(xero):
    xero.answers.append((429, {}, {"Title": "Too Many"}))

    with pytest.raises(errors.XeroRateLimited) as raised:
        client().accounts_where(where="")

    assert raised.value.retry_after == 60.0


def test_400_keeps_xeros_own_messages(xero):
    taken = "The contact name Bo is already assigned to another contact."
    body = {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
            "Elements": [{"ValidationErrors": [{"Message": taken}]}]}  # fmt: skip
    xero.answers.append((400, {}, body))

    with pytest.raises(errors.XeroValidationError) as raised:
        client().contacts_create(contacts=[Contact(name="Bo")], idempotency_key="k1")

    assert raised.value.messages == [taken]
    assert raised.value.retryable is False
    assert xero.requests[0]["headers"]["Idempotency-Key"] == "k1"


def test_401_is_refreshed_once_then_the_call_is_repeated_with_the_new_token(xero):
    xero.answers.append((401, {}, {"Title": "Unauthorized", "Detail": "TokenExpired"}))
    xero.answers.append((200, {}, {"Accounts": [{"Code": "200", "Class": "REVENUE"}]}))
    refreshed = []

    def reauth() -> str:
        refreshed.append(True)
        return "a-new-access-token"

    accounts = XeroClient(access_token="old", tenant_id=TENANT, reauth=reauth).accounts_where(where="")

    assert [a.code for a in accounts] == ["200"]
    assert refreshed == [True]
    assert [r["headers"]["Authorization"] for r in xero.requests] == ["Bearer old", "Bearer a-new-access-token"]


def test_a_second_401_after_the_refresh_is_raised(xero):
    xero.answers += [(401, {}, {"Detail": "TokenExpired"}), (401, {}, {"Detail": "TokenExpired"})]

    with pytest.raises(errors.XeroUnauthorized):
        XeroClient(access_token="old", tenant_id=TENANT, reauth=lambda: "new").accounts_where(where="")

    assert len(xero.requests) == 2


def test_403_means_reconnect(xero):
    xero.answers.append((403, {}, {"Title": "Forbidden", "Detail": "AuthenticationUnsuccessful"}))

    with pytest.raises(errors.XeroReconnectRequired, match="AuthenticationUnsuccessful"):
        client().accounts_where(where="")


def test_5xx_is_retryable_and_ambiguous(xero):
    xero.answers.append((503, {}, "Service Unavailable"))

    with pytest.raises(errors.XeroServerError) as raised:
        client().contacts_create(contacts=[Contact(name="Bo")], idempotency_key="k2")

    assert (raised.value.status, raised.value.retryable, raised.value.ambiguous) == (503, True, True)
    assert len(xero.requests) == 1  # the pool did not retry it


def test_a_refused_connection_sent_nothing(settings):
    with socket.socket() as probe:  # find a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.XERO_API_URL = f"http://127.0.0.1:{port}"

    with pytest.raises(errors.XeroNetworkError) as raised:
        client().accounts_where(where="")

    assert (raised.value.retryable, raised.value.ambiguous) == (True, False)


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(timeout=2)
    for conn in accepted:
        conn.close()
    server.close()


def test_a_read_timeout_is_ambiguous_and_is_not_retried_by_the_pool(settings, silent_server):
    port, accepted = silent_server
    settings.XERO_API_URL = f"http://127.0.0.1:{port}"
    settings.XERO_REQUEST_TIMEOUT = 0.5

    with pytest.raises(errors.XeroNetworkError) as raised:
        client().contacts_create(contacts=[Contact(name="Bo")], idempotency_key="k3")

    assert (raised.value.retryable, raised.value.ambiguous) == (True, True)
    assert len(accepted) == 1  # the PUT was sent once: no silent re-send by urllib3


# Look-ups within the URL budget, and what Xero's refusals mean ------------------------------

LONG = "customer.with.a.rather.long.address.number.{:03d}@accounts.example-merchant-domain.co.uk"


def test_fifty_long_emails_are_looked_up_in_urls_within_the_budget(xero):
    from accounting.providers.xero.client import URL_BUDGET

    emails = [LONG.format(n) for n in range(50)]
    xero.answers += [(200, {}, {"Contacts": [{"ContactID": TENANT, "Name": "A", "EmailAddress": emails[7]}]})]
    xero.answers += [(200, {}, {"Contacts": []})] * 9

    found = client().contacts_matching(field="EmailAddress", values=emails)

    assert [c.email_address for c in found] == [emails[7]]
    urls = [xero.url + r["path"] for r in xero.requests]
    assert 2 < len(urls) < 10  # split by length, packed: about 2,000 characters each
    assert max(len(u) for u in urls) <= URL_BUDGET
    asked = [e for r in xero.requests for e in emails if f"{e.replace('@', '%40')}%22" in r["path"]]
    assert sorted(asked) == sorted(emails)  # every address asked, once


def test_invoice_numbers_are_asked_with_the_dedicated_parameter_and_a_comma_alone(xero):
    xero.answers += [(200, {}, {"Invoices": []}), (200, {}, {"Invoices": []})]

    client().invoices_by_number(numbers=["INV-1", "INV-2", "A,B"])

    assert [r["path"].split("?")[1] for r in xero.requests] == [
        "InvoiceNumbers=INV-1%2CINV-2&summaryOnly=True",
        "where=InvoiceNumber%3D%3D%22A%2CB%22&summaryOnly=True",
    ]


def test_a_404_on_a_look_up_is_a_refused_request_not_an_empty_answer(xero):
    xero.answers.append((404, {}, "The resource you're looking for cannot be found"))

    with pytest.raises(errors.XeroLookupRefused) as raised:
        client().contacts_matching(field="Name", values=["Bo"])

    assert (raised.value.decision, raised.value.retryable) == (errors.Decision.FINAL, False)


@pytest.mark.parametrize("status", [404, 409, 422])
def test_an_unknown_4xx_on_a_write_is_final(xero, status):
    xero.answers.append((status, {}, {"Title": "Conflict", "Detail": "Something Xero did not like"}))

    with pytest.raises(errors.XeroError) as raised:
        client().contacts_create(contacts=[Contact(name="Bo")], idempotency_key="k4")

    assert (raised.value.status, raised.value.decision, raised.value.retryable) == (
        status,
        errors.Decision.FINAL,
        False,
    )
    assert len(xero.requests) == 1


def test_authorization_unsuccessful_names_the_missing_scope_and_is_not_refreshed(xero):
    xero.answers.append((401, {}, {"Title": "Unauthorized", "Status": 401, "Detail": "AuthorizationUnsuccessful"}))
    refreshed: list[int] = []

    def reauth() -> str:
        refreshed.append(1)
        return "b"

    with pytest.raises(errors.XeroScopeMissing) as raised:
        XeroClient(access_token="a", tenant_id=TENANT, reauth=reauth).contacts_matching(field="Name", values=["Bo"])

    assert (raised.value.scope, raised.value.decision) == ("accounting.contacts", errors.Decision.RECONNECT)
    assert raised.value.message == scope_missing_message("accounting.contacts")
    assert refreshed == [] and len(xero.requests) == 1


def test_a_high_volume_refusal_is_typed_for_narrowing(xero):
    message = (
        "Your request is not filtering Contacts efficiently, given the extremely high volume for this organisation."
    )
    xero.answers.append((400, {}, {"ErrorNumber": 51, "Type": "HighVolumeException", "Message": message}))

    with pytest.raises(errors.XeroHighVolume) as raised:
        client().contacts_matching(field="EmailAddress", values=["a@example.com", "b@example.com"])

    assert (raised.value.resource, raised.value.decision) == ("Contacts", errors.Decision.NARROW)


def test_refused_elements_are_read_into_typed_fields():
    from accounting.providers.xero.answers import refusal_of

    refusal = refusal_of([
        "Item code 'TEA-01' is not valid",
        "The TaxType code 'OUTPUT9' does not exist or cannot be used with this type of transaction.",
        "Account code '999' is not a valid code for this document.",
        "This invoice number must be unique.",
    ])  # fmt: skip
    assert (refusal.item_codes, refusal.tax_type_refused, refusal.account_code_refused, refusal.number_taken) == (
        {"TEA-01"}, True, True, True,
    )  # fmt: skip
    assert (refusal.contact_refused, refusal.name_taken) == (False, False)
    taken = refusal_of(["The contact name Bo is already assigned to another contact."])
    assert (taken.name_taken, taken.contact_refused) == (True, False)
    assert refusal_of(["Contact ID '0b7e' is not valid"]).contact_refused is True
    assert refusal_of(["Invoice # must be unique."]).number_taken is True


def test_a_lock_date_refusal_names_the_fix():
    from accounting.providers.xero.answers import refusal_of

    refusal = refusal_of(["The document date cannot be before the end of year lock date, currently set at 31-Jul-2026"])

    assert refusal.lock_date == "31-Jul-2026"
    assert refusal.fix == (
        "The invoice is dated within the period Xero has locked (31-Jul-2026): change the invoice date in the "
        "store, or ask the organisation's adviser to move the lock date in Xero (Settings → Advanced → "
        "Financial settings), then retry."
    )
    assert refusal_of(["Item code 'X' is not valid"]).fix == ""


def test_identity_failures_belong_to_the_same_family_with_their_retry_decision():
    cases = {"invalid_grant": "reconnect", "http_403": "reconnect", "unreachable": "backoff", "http_503": "backoff",
             "invalid_scope": "final"}  # fmt: skip
    for code, decision in cases.items():
        error = errors.XeroOAuthError(code, "described")
        assert isinstance(error, errors.XeroError)
        assert (error.error, error.decision.value, error.message) == (code, decision, f"{code}: described")


def test_a_413_asks_for_a_smaller_request(xero):
    xero.answers.append((413, {}, {"Title": "RequestEntityTooLarge", "Detail": "PayloadTooLarge"}))

    with pytest.raises(errors.XeroRequestTooLarge) as raised:
        client().contacts_create(contacts=[Contact(name="Bo")], idempotency_key="k5")

    assert (raised.value.status, raised.value.decision) == (413, errors.Decision.NARROW)
