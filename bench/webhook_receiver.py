"""How fast the webhook receiver answers Xero (Xero wants an answer within 5 seconds).

Serves the portal with gunicorn on its own database (drills.harness), gives a channel a webhook
key, then POSTs signed deliveries of `--events` INVOICE events each from `--clients` threads at
once, plus as many badly signed ones and redeliveries. Prints the answer times (p50, p95, max),
the statuses, and how many events were stored (each once). No Celery worker runs: the receiver
only stores and queues, so the figures are the receiver's own.

    .venv/bin/python bench/webhook_receiver.py --deliveries 200 --events 50 --clients 8
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--events", type=int, default=50, help="events per delivery")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=18404)
    parser.add_argument("--database", default="bench_webhook_receiver")
    parser.add_argument("--redis-db", type=int, default=4)
    args = parser.parse_args()

    from drills.harness import sandbox

    with sandbox(database=args.database, redis_db=args.redis_db, port=args.port) as site:
        import requests
        from django.urls import reverse

        from accounting.inbound.webhooks import webhook_key_set
        from accounting.models import AccountingChannel, ConnectionState
        from accounting.sync.models import XeroWebhookEvent
        from organizations.models import Organization
        from stores.models import Store
        from xero_sandbox.services.webhooks import sign

        organization = Organization.objects.create(name="Bench Org", slug="bench-org")
        store = Store.objects.create(organization=organization, name="Bench Store")
        tenant = str(uuid.uuid4())
        channel = AccountingChannel.objects.create(
            store=store, name="Bench", client_id="BENCH", tenant_id=tenant, connection_state=ConnectionState.CONNECTED
        )
        key = "bench-webhook-key-" + uuid.uuid4().hex
        feed = webhook_key_set(channel=channel, key=key)
        url = site + reverse("accounting:xero-webhook", args=[feed.url_token])

        def event(rid: str) -> dict[str, str]:
            return {
                "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{rid}",
                "resourceId": rid, "eventDateUtc": "2026-12-01T10:00:00.000", "eventType": "UPDATE",
                "eventCategory": "INVOICE", "tenantId": tenant, "tenantType": "ORGANISATION",
            }  # fmt: skip

        def body(sequence: int) -> bytes:
            events = [event(str(uuid.uuid4())) for _ in range(args.events)]
            payload = {"events": events, "firstEventSequence": sequence, "lastEventSequence": sequence}
            return json.dumps(payload).encode()

        bodies = [body(n) for n in range(args.deliveries)]
        session = requests.Session()

        def post(data: bytes, signature: str) -> tuple[int, float]:
            started = time.perf_counter()
            answer = session.post(url, data=data, headers={"x-xero-signature": signature}, timeout=10)
            return answer.status_code, (time.perf_counter() - started) * 1000

        # Xero's intent-to-receive deliveries come first (and load each gunicorn worker's code).
        intent = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0}).encode()
        warm = [post(intent, sign(body=intent, key=key))[1] for _ in range(8)]
        jobs = [(b, sign(body=b, key=key)) for b in bodies]  # good
        jobs += [(b, sign(body=b, key="wrong")) for b in bodies[: args.deliveries // 4]]  # bad
        jobs += [(b, sign(body=b, key=key)) for b in bodies[: args.deliveries // 4]]  # redelivered
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = list(pool.map(lambda job: post(*job), jobs))
        elapsed = time.perf_counter() - started

        times = sorted(ms for _status, ms in results)
        statuses: dict[int, int] = {}
        for status, _ms in results:
            statuses[status] = statuses.get(status, 0) + 1
        stored = XeroWebhookEvent.objects.filter(channel=channel).count()
        print(f"deliveries: {len(jobs)} ({args.deliveries} good, {args.deliveries // 4} badly signed, "
              f"{args.deliveries // 4} redelivered), {args.events} events each, {args.clients} clients")  # fmt: skip
        print(f"statuses: {dict(sorted(statuses.items()))}")
        print(f"answer ms: p50 {statistics.median(times):.1f}, p95 {times[int(len(times) * 0.95) - 1]:.1f}, "
              f"max {times[-1]:.1f}")  # fmt: skip
        print(f"intent-to-receive ms (first 8, cold workers first): {', '.join(f'{ms:.0f}' for ms in warm)}")
        print(f"answers over 1 s: {sum(ms > 1000 for ms in times)}, over 5 s: {sum(ms > 5000 for ms in times)}")
        print(f"events stored: {stored} (expected {args.deliveries * args.events}: each once)")
        print(f"wall: {elapsed:.1f} s, {len(jobs) / elapsed:.0f} deliveries/s")


if __name__ == "__main__":
    main()
