"""xero-python's Configuration() returns shallow copies of one process-wide default, so a token
object set through its constructor is shared by every client in the process. Each SDK client the
portal builds must own its token object, or two threads (web requests, worker threads) could send
one channel's access token with another channel's tenant id."""

from accounting.providers.xero.identity import sdk_api_client


def _auth_header(client) -> str:
    headers: dict[str, str] = {}
    client.update_params_for_auth(headers, [], ["OAuth2"])
    return headers["Authorization"]


def test_identity_clients_do_not_share_their_token():
    first = sdk_api_client(access_token="token-of-channel-a")
    second = sdk_api_client(access_token="token-of-channel-b")

    assert first.configuration.oauth2_token is not second.configuration.oauth2_token
    # Building the second header must not change what the first client holds.
    assert _auth_header(second) == "Bearer token-of-channel-b"
    assert first.configuration.oauth2_token.access_token != "token-of-channel-b"
    assert _auth_header(first) == "Bearer token-of-channel-a"


def test_accounting_clients_do_not_share_their_token():
    from accounting.providers.xero.client import XeroClient

    first = XeroClient(access_token="token-of-channel-a", tenant_id="tenant-a")
    second = XeroClient(access_token="token-of-channel-b", tenant_id="tenant-b")
    first_sdk, second_sdk = first._api.api_client, second._api.api_client

    assert first_sdk.configuration.oauth2_token is not second_sdk.configuration.oauth2_token
    assert _auth_header(second_sdk) == "Bearer token-of-channel-b"
    assert _auth_header(first_sdk) == "Bearer token-of-channel-a"
