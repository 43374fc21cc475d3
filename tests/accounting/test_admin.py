"""The Django admin of accounting channels: filters, masked secrets, Activate / Deactivate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounting.models import AccountingChannel
from accounting.services.channels import prefix_taken_message
from accounting.sync.models import Reconciliation
from tests.accounting.conftest import connect_locally
from tests.factories import AccountingChannelFactory, OrganizationFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_changelist_shows_channels_of_every_organization_with_filters_and_only_whether_a_secret_is_stored(
    admin_client, connected_channel
):
    other = AccountingChannelFactory.create(
        store=StoreFactory.create(organization=OrganizationFactory.create(name="Beta Org"), name="Beta shop"),
        name="Beta books",
        client_secret="other-secret-5555",
    )
    html = admin_client.get(reverse("admin:accounting_accountingchannel_changelist")).content.decode()
    assert "Main books" in html and other.name in html
    assert "Acme Retail" in html and "Beta Org" in html
    store_url = reverse("admin:stores_store_change", args=[connected_channel.store_id])
    assert f'<a href="{store_url}">High Street</a>' in html
    for title in ("By provider", "By connection state", "By Is Active", "By organization"):
        assert title in html, title
    assert html.count('<td class="field-client_secret_stored">stored</td>') == 2
    assert "9876" not in html and "5555" not in html
    assert '<option value="activate">Activate</option>' in html
    assert '<option value="deactivate">Deactivate</option>' in html


def test_filter_by_state_lists_only_matching_channels(admin_client, connected_channel, store):
    AccountingChannelFactory.create(store=store, name="Never connected")
    url = reverse("admin:accounting_accountingchannel_changelist") + "?connection_state__exact=connected"
    html = admin_client.get(url).content.decode()
    assert "Main books" in html and "Never connected" not in html


def test_change_form_never_shows_the_secret_or_tokens_and_keeps_a_blank_secret(admin_client, connected_channel):
    url = reverse("admin:accounting_accountingchannel_change", args=[connected_channel.pk])
    html = admin_client.get(url).content.decode()
    assert '<div class="readonly">stored</div>' in html
    assert "9876" not in html
    for clear in ("s3cr3t-value-9876", "access-token-for-tests", "refresh-token-for-tests"):
        assert clear not in html
    assert 'name="new_client_secret"' in html and 'name="client_secret"' not in html
    assert 'name="is_active"' not in html  # changed only through the actions


def test_change_form_replaces_the_secret_only_when_one_is_typed(admin_client, channel):
    url = reverse("admin:accounting_accountingchannel_change", args=[channel.pk])
    data = {
        "store": channel.store_id,
        "provider": "xero",
        "name": "Main books",
        "client_id": channel.client_id,
        "account_nominal_code": "",
        "invoice_status": "AUTHORISED",
        "line_amount_type": "Exclusive",
        "invoice_number_prefix": "",
        "new_client_secret": "",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    assert admin_client.post(url, data).status_code == 302
    channel.refresh_from_db()
    assert channel.client_secret == "s3cr3t-value-9876"
    admin_client.post(url, {**data, "new_client_secret": "admin-typed-0000"})
    channel.refresh_from_db()
    assert channel.client_secret == "admin-typed-0000"


def run_action(client, action: str, channels: list[AccountingChannel]):
    return client.post(
        reverse("admin:accounting_accountingchannel_changelist"),
        {"action": action, "_selected_action": [c.pk for c in channels]},
        follow=True,
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_activate_switches_on_connected_channels_and_refuses_the_others_with_a_message(
    admin_client, sandbox_channel_of_store, organization
):
    connected_channel = sandbox_channel_of_store  # its pre-flight asks the sandbox
    unconnected = AccountingChannelFactory.create(
        store=StoreFactory.create(organization=organization), name="Loose books"
    )
    response = run_action(admin_client, "activate", [connected_channel, unconnected])
    assert [str(m) for m in response.context["messages"]] == [
        "Loose books: Connect “Loose books” to Xero before switching it on.",
        "1 channel(s) activated.",
    ]
    assert AccountingChannel.objects.get(pk=connected_channel.pk).is_active is True
    assert AccountingChannel.objects.get(pk=unconnected.pk).is_active is False


def test_deactivate_switches_channels_off(admin_client, connected_channel, organization):
    connected_channel.is_active = True
    connected_channel.save()
    second = connect_locally(
        AccountingChannelFactory.create(store=StoreFactory.create(organization=organization), name="Second"),
        tenant_id="t-2",
        tenant_name="Second Ltd",
        is_active=True,
    )
    response = run_action(admin_client, "deactivate", [connected_channel, second])
    assert [str(m) for m in response.context["messages"]] == ["2 channel(s) deactivated."]
    assert list(AccountingChannel.objects.filter(is_active=True)) == []


def change_data(channel, **overrides):
    data = {
        "name": channel.name,
        "client_id": channel.client_id,
        "account_nominal_code": channel.account_nominal_code,
        "invoice_status": channel.invoice_status,
        "line_amount_type": channel.line_amount_type,
        "invoice_number_prefix": channel.invoice_number_prefix,
        "new_client_secret": "",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def test_a_new_client_id_in_the_admin_asks_for_a_reconnect(admin_client, connected_channel):
    url = reverse("admin:accounting_accountingchannel_change", args=[connected_channel.pk])
    assert admin_client.post(url, change_data(connected_channel, client_id="NEWAPP")).status_code == 302
    connected_channel.refresh_from_db()
    assert (connected_channel.client_id, connected_channel.connection_state) == ("NEWAPP", "needs_reconnect")


def test_the_admin_refuses_a_prefix_that_makes_two_active_channels_post_to_one_organisation(
    admin_client, connected_channel, organization
):
    connected_channel.is_active = True
    connected_channel.invoice_number_prefix = "HS-"
    connected_channel.save()
    other = connect_locally(
        AccountingChannelFactory.create(
            store=StoreFactory.create(organization=organization, name="Outlet"), name="Outlet books"
        ),
        tenant_id=connected_channel.tenant_id,
        tenant_name="Demo Company (UK)",
        is_active=True,
    )
    url = reverse("admin:accounting_accountingchannel_change", args=[other.pk])
    response = admin_client.post(url, change_data(other, invoice_number_prefix="HS-"))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        prefix_taken_message(other_name="Main books", other_store="High Street", tenant_name="Demo Company (UK)")
    ]
    other.refresh_from_db()
    assert other.invoice_number_prefix == ""


def test_the_admin_cannot_delete_a_channel_that_was_connected(admin_client, connected_channel):
    url = reverse("admin:accounting_accountingchannel_delete", args=[connected_channel.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert AccountingChannel.objects.filter(pk=connected_channel.pk).exists()
    html = admin_client.get(reverse("admin:accounting_accountingchannel_changelist")).content.decode()
    assert 'value="delete_selected"' not in html


def test_a_channel_without_a_secret_shows_a_dash_in_the_admin(admin_client, store):
    AccountingChannelFactory.create(store=store, name="No secret yet", client_secret="")
    html = admin_client.get(reverse("admin:accounting_accountingchannel_changelist")).content.decode()
    assert '<td class="field-client_secret_stored">—</td>' in html


def test_reconciliations_are_listed_and_read_in_the_admin_never_changed(admin_client, connected_channel):
    reconciliation = Reconciliation.objects.create(
        channel=connected_channel, date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30), state="done",
        calls=3, bytes_read=4567, snapshot={"records": {"x": ["invoice"]}, "since": {}},
    )  # fmt: skip

    listed = admin_client.get(reverse("admin:accounting_sync_reconciliation_changelist"))
    shown = admin_client.get(reverse("admin:accounting_sync_reconciliation_change", args=[reconciliation.pk]))

    assert listed.status_code == shown.status_code == 200
    assert "4567" in listed.content.decode()
    assert "Snapshot" not in shown.content.decode()  # the engine's snapshot is not shown
    assert admin_client.get(reverse("admin:accounting_sync_reconciliation_add")).status_code == 403
