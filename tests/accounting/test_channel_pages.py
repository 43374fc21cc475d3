"""The channel pages through Django's test client: tab, add, form, settings, Is Active rules, delete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounting.forms import SECRET_STORED_HELP
from accounting.models import AccountingChannel, ChannelEvent, ConnectionState
from tests.accounting.conftest import connect_locally, connect_to_sandbox
from tests.factories import AccountingChannelFactory, OrganizationFactory, StoreFactory

pytestmark = pytest.mark.django_db

FORM = {
    "name": "UK books",
    "account_nominal_code": "200",
    "client_id": "ABCDEF0123456789",
    "client_secret": "brand-new-secret-4321",
    "add_products": "on",
    "create_nonexistent_products": "on",
    "invoice_status": "AUTHORISED",
    "line_amount_type": "Exclusive",
    "invoice_number_prefix": "HS-",
}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_tab_lists_the_store_channels_with_organisation_state_and_actions(member_client, store, connected_channel):
    AccountingChannelFactory.create(store=store, name="Spare books")
    html = member_client.get(reverse("accounting:store-channels", args=[store.pk])).content.decode()
    assert "+ Add" in html
    assert "Main books" in html and "Spare books" in html
    assert "Demo Company (UK)" in html
    assert '<span class="badge badge-ok">Connected</span>' in html
    assert '<span class="badge badge-muted">Not connected</span>' in html
    assert 'aria-label="Is Active: Main books"' in html
    assert html.count(">Disconnect<") == 1  # only the connected one
    assert html.count(">Delete<") == 1  # only the unconnected one


def test_add_lists_xero_and_its_form_shows_the_labels_and_redirect_uri(member_client, store):
    html = member_client.get(reverse("accounting:channel-add", args=[store.pk])).content.decode()
    create_url = reverse("accounting:channel-create", args=[store.pk, "xero"])
    assert f'href="{create_url}"' in html and "<strong>Xero</strong>" in html
    html = member_client.get(create_url).content.decode()
    for label in (
        "Channel Name",
        "Account Nominal Code",
        "Client ID",
        "Client Secret",
        "Add Products to Xero",
        "Create Nonexistent Products",
    ):
        assert f"{label}</label>" in html or f"{label}:</label>" in html or f"</span> {label}</label>" in html, label
    assert ">Save</button>" in html
    assert '<code id="xero-redirect-uri">http://testserver/xero/callback/</code>' in html


def test_save_creates_a_switched_off_unconnected_channel(member_client, store, member):
    response = member_client.post(reverse("accounting:channel-create", args=[store.pk, "xero"]), FORM)
    channel = AccountingChannel.objects.get(store=store)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounting:channel-detail", args=[channel.pk])
    assert (channel.name, channel.account_nominal_code, channel.client_id) == ("UK books", "200", "ABCDEF0123456789")
    assert channel.client_secret == "brand-new-secret-4321"
    assert (channel.add_products, channel.create_nonexistent_products) == (True, True)
    assert (channel.invoice_status, channel.line_amount_type) == ("AUTHORISED", "Exclusive")
    assert channel.invoice_number_prefix == "HS-"
    assert (channel.is_active, channel.connection_state) == (False, ConnectionState.NOT_CONNECTED)
    assert list(ChannelEvent.objects.filter(channel=channel).values_list("kind", "user")) == [("created", member.pk)]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("client_secret", "", "This field is required."),
        ("name", "", "This field is required."),
        ("account_nominal_code", "4000 sales", "Use a Xero account code: up to 10 letters or digits."),
    ],
)
def test_bad_form_input_says_why_and_creates_nothing(member_client, store, field, value, error):
    response = member_client.post(reverse("accounting:channel-create", args=[store.pk, "xero"]), {**FORM, field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error]
    assert AccountingChannel.objects.count() == 0


def test_the_secret_is_write_only_on_the_channel_page(member_client, channel):
    html = member_client.get(reverse("accounting:channel-detail", args=[channel.pk])).content.decode()
    assert "s3cr3t-value-9876" not in html
    assert f'<span class="help">{SECRET_STORED_HELP}</span>' in html
    assert "9876" not in html
    assert 'name="client_secret" autocomplete="new-password"' in html
    assert 'type="password" name="client_secret"' in html and "value=" not in html.split('name="client_secret"')[1][:40]


def test_saving_settings_with_a_blank_secret_keeps_it(member_client, channel):
    data = {**FORM, "client_id": channel.client_id, "client_secret": "", "name": "Renamed"}
    response = member_client.post(reverse("accounting:channel-detail", args=[channel.pk]), data)
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.client_secret) == ("Renamed", "s3cr3t-value-9876")


def test_saving_a_new_secret_replaces_it(member_client, channel):
    data = {**FORM, "client_id": channel.client_id, "client_secret": "rotated-secret-1111"}
    member_client.post(reverse("accounting:channel-detail", args=[channel.pk]), data)
    channel.refresh_from_db()
    assert channel.client_secret == "rotated-secret-1111"


def test_a_new_client_id_makes_a_connected_channel_need_reconnect(member_client, connected_channel):
    data = {**FORM, "client_id": "OTHERAPP0000", "client_secret": ""}
    member_client.post(reverse("accounting:channel-detail", args=[connected_channel.pk]), data)
    connected_channel.refresh_from_db()
    assert connected_channel.connection_state == ConnectionState.NEEDS_RECONNECT
    assert connected_channel.state_reason == (
        "The Client ID changed: connect the channel again to authorise the new Xero app."
    )


def toggle(client, channel, on: bool, follow: bool = True):
    data = {"is_active": "on"} if on else {}
    return client.post(reverse("accounting:channel-active", args=[channel.pk]), data, follow=follow)


def test_is_active_cannot_be_switched_on_before_connecting(member_client, channel):
    response = toggle(member_client, channel, on=True)
    assert messages_of(response) == ["Connect “Main books” to Xero before switching it on."]
    channel.refresh_from_db()
    assert channel.is_active is False


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_is_active_switches_a_connected_channel_on_and_off(member_client, sandbox_channel_of_store):
    connected_channel = sandbox_channel_of_store  # its pre-flight asks the sandbox
    response = toggle(member_client, connected_channel, on=True)
    assert messages_of(response) == ["“Main books” is active: invoices and products are sent to Xero."]
    connected_channel.refresh_from_db()
    assert connected_channel.is_active is True
    html = response.content.decode()
    assert 'name="is_active" value="on" checked' in html
    response = toggle(member_client, connected_channel, on=False)
    assert messages_of(response) == ["“Main books” is switched off: nothing is sent to Xero."]
    connected_channel.refresh_from_db()
    assert connected_channel.is_active is False


def test_a_store_has_one_active_channel(member_client, store, connected_channel):
    connected_channel.is_active = True
    connected_channel.save()
    second = connect_locally(
        AccountingChannelFactory.create(store=store, name="Second books"), tenant_id="2222", tenant_name="Other Ltd"
    )
    response = toggle(member_client, second, on=True)
    assert messages_of(response) == [
        "“Main books” is already the active channel of this store. Switch it off first: "
        "a store sends to one accounting channel at a time."
    ]
    second.refresh_from_db()
    assert second.is_active is False


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_one_xero_organisation_takes_one_active_channel_per_invoice_prefix(
    member_client, organization, sandbox_channel_of_store
):
    from xero_sandbox import testing

    connected_channel = sandbox_channel_of_store
    connected_channel.is_active = True
    connected_channel.save()
    other_store = StoreFactory.create(organization=organization, name="Outlet")
    same_tenant = connect_to_sandbox(
        AccountingChannelFactory.create(store=other_store, name="Outlet books"),
        organisation=testing.organisation_get(organisation=connected_channel.tenant_id),
    )
    response = toggle(member_client, same_tenant, on=True)
    assert messages_of(response) == [
        "“Main books” of the store High Street already sends to the Xero organisation Demo Company (UK) with the same "
        "invoice number prefix. Give this channel a different Invoice number prefix or switch the other channel off."
    ]
    same_tenant.invoice_number_prefix = "OUT-"
    same_tenant.save()
    toggle(member_client, same_tenant, on=True)
    same_tenant.refresh_from_db()
    assert same_tenant.is_active is True


def test_the_tenant_rule_never_names_another_organizations_channel(member_client, connected_channel):
    foreign_store = StoreFactory.create(organization=OrganizationFactory.create(name="Rival"), name="Rival shop")
    foreign = connect_locally(
        AccountingChannelFactory.create(store=foreign_store, name="Rival secret books"),
        tenant_id=connected_channel.tenant_id,
        tenant_name="Demo Company (UK)",
        is_active=True,
    )
    response = toggle(member_client, connected_channel, on=True)
    assert messages_of(response) == [
        "Another channel already sends to the Xero organisation Demo Company (UK) with the same invoice number "
        "prefix. Give this channel a different Invoice number prefix."
    ]
    assert foreign.name not in response.content.decode()


def test_delete_asks_then_deletes_an_unconnected_channel(member_client, store, channel):
    url = reverse("accounting:channel-delete", args=[channel.pk])
    assert "<h2>Delete “Main books”?</h2>" in member_client.get(url).content.decode()
    response = member_client.post(url)
    assert response["Location"] == reverse("accounting:store-channels", args=[store.pk])
    assert not AccountingChannel.objects.filter(pk=channel.pk).exists()


@pytest.mark.parametrize("state", ["connected", "disconnected"])
def test_a_channel_that_was_ever_connected_is_kept(member_client, connected_channel, state):
    AccountingChannel.objects.filter(pk=connected_channel.pk).update(connection_state=state)
    url = reverse("accounting:channel-delete", args=[connected_channel.pk])
    assert "Disconnect it or switch it off instead of deleting it." in member_client.get(url).content.decode()
    response = member_client.post(url, follow=True)
    assert messages_of(response) == [
        "“Main books” has been connected to Xero, so its record of what was sent is kept. "
        "Disconnect it or switch it off instead of deleting it."
    ]
    assert AccountingChannel.objects.filter(pk=connected_channel.pk).exists()


def test_congratulations_page_only_for_a_connected_channel(member_client, channel, connected_channel):
    unconnected = AccountingChannelFactory.create(store=channel.store, name="Unconnected")
    response = member_client.get(reverse("accounting:channel-connected", args=[unconnected.pk]))
    assert response["Location"] == reverse("accounting:channel-detail", args=[unconnected.pk])
    html = member_client.get(reverse("accounting:channel-connected", args=[connected_channel.pk])).content.decode()
    assert "<h2>Congratulations! Your channel is now successfully connected.</h2>" in html
    assert f'href="{reverse("accounting:channel-detail", args=[connected_channel.pk])}">Continue</a>' in html


def test_disconnecting_a_channel_whose_grant_is_dead_still_disconnects_it_here(member_client, connected_channel):
    AccountingChannel.objects.filter(pk=connected_channel.pk).update(
        connection_state=ConnectionState.NEEDS_RECONNECT, state_reason="Revoked in Xero.", is_active=True
    )
    response = member_client.post(reverse("accounting:channel-disconnect", args=[connected_channel.pk]), follow=True)
    assert messages_of(response) == [
        "“Main books” is disconnected from Demo Company (UK). Xero could not be told (the connection was already "
        "broken): remove the app in Xero if it is listed."
    ]
    connected_channel.refresh_from_db()
    assert (connected_channel.connection_state, connected_channel.is_active, connected_channel.token_set) == (
        ConnectionState.DISCONNECTED,
        False,
        None,
    )


def test_disconnect_with_xero_unreachable_changes_nothing(member_client, connected_channel, settings):
    settings.XERO_API_URL = "http://127.0.0.1:9/api"  # connection refused
    before = AccountingChannel.objects.values().get(pk=connected_channel.pk)
    response = member_client.post(reverse("accounting:channel-disconnect", args=[connected_channel.pk]), follow=True)
    assert messages_of(response) == ["Xero could not be reached, so the channel is still connected. Try again later."]
    assert AccountingChannel.objects.values().get(pk=connected_channel.pk) == before


def test_no_character_of_the_stored_secret_is_shown(member_client, channel):
    AccountingChannel.objects.filter(pk=channel.pk).update(client_secret="abcdefgh<b>x")
    html = member_client.get(reverse("accounting:channel-detail", args=[channel.pk])).content.decode()
    assert f'<span class="help">{SECRET_STORED_HELP}</span>' in html
    assert "b>x" not in html and "b&gt;x" not in html
