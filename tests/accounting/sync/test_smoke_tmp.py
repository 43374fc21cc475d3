import pytest
from accounting.sync.turn import channel_push_turn
from accounting.sync.models import SyncRecord
from tests.factories import InvoiceFactory
from .conftest import sandbox_org, connect_channel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

def test_smoke(sandbox, clean_redis):
    org = sandbox_org("Smoke Ltd")
    channel = connect_channel(org=org)
    inv = InvoiceFactory(store=channel.store, lines=2)
    print(list(SyncRecord.objects.values()))
    r = channel_push_turn(channel_id=channel.pk)
    print(r)
    for row in SyncRecord.objects.all():
        print(row.state, row.last_error, row.xero_id, list(row.attempts.values("outcome","message")))
    assert 0
