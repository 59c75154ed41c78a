"""Webhooks (R-LIVE-6): administrators register endpoints; every event reaches them signed,
in order, retried with backoff, logged — and none is lost while the receiver is down or
the server restarts."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from sqlalchemy import select

from graph.db import Database
from graph.models import Webhook
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError
from subscriptions import log as outbox
from subscriptions.relay import has_pending
from tests.ops.conftest import Serve, until
from tests.ops.receiver import Receiver
from tests.support.client import Api

CREATE = "secret webhook { id url description eventKinds recordTypes active cursor pendingEvents failures }"
DELIVERIES = """
query($id: ID!, $failedOnly: Boolean) {
  webhookDeliveries(webhookId: $id, failedOnly: $failedOnly, first: 500) {
    totalCount
    nodes { eventId eventKind attempt statusCode error deliveredOn nextAttemptOn durationMs }
  }
}
"""
WEBHOOKS = "{ webhooks { id url cursor pendingEvents failures active } }"


async def stamped_after(db: Database, cursor: int) -> list[int]:
    """Every committed event after `cursor`, once the relay has stamped them all."""
    await until(lambda: _no_pending(db))
    return [e.seq for e in await outbox.page_after(db, cursor, 100_000)]


async def _no_pending(db: Database) -> bool:
    return not await has_pending(db)


async def some_changes(api: Api, label: str) -> None:
    """Record and timeline events on two records of two types."""
    account = (await api.ok("createAccount", {"name": f"Acme {label}"}, "account { id }"))["account"]["id"]
    contact = (await api.ok("createContact", {"firstName": "Chris", "lastName": label, "accountId": account},
                            "contact { id }"))["contact"]["id"]
    await api.ok("updateAccount", {"id": account, "website": f"https://{label}.example"}, "account { id }")
    await api.ok("createTask", {"subject": f"Call {label}", "regardingId": contact}, "task { id }")


def seqs(requests: list[Any]) -> list[int]:
    return [int(r.headers["x-relate-event-id"]) for r in requests]


# --- administration ----------------------------------------------------------------------


async def test_only_administrators_manage_webhooks_and_the_secret_is_shown_once(api: Api) -> None:
    refused = await api.mutate("createWebhook", {"url": "https://hooks.example/relate"}, "secret", as_="sales1")
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"] and refused["secret"] is None
    listed = await api.raw(WEBHOOKS, as_="manager")
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    created = await api.ok("createWebhook", {"url": "https://hooks.example/relate", "description": "ERP",
                                             "eventKinds": ["RECORD_CHANGED"], "recordTypes": ["ACCOUNT"]}, CREATE)
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    hook = created["webhook"]
    assert (hook["url"], hook["description"], hook["eventKinds"], hook["recordTypes"], hook["active"]) == (
        "https://hooks.example/relate", "ERP", ["RECORD_CHANGED"], ["ACCOUNT"], True)
    assert hook["pendingEvents"] == 0  # it starts at the newest event: only what happens next

    introspected = await api("{ __type(name: \"Webhook\") { fields { name } } }")
    assert "secret" not in {f["name"] for f in introspected["__type"]["fields"]}
    assert [h["id"] for h in (await api(WEBHOOKS))["webhooks"]] == [hook["id"]]

    forbidden = await api.mutate("deleteWebhook", {"id": hook["id"]}, "deletedId", as_="sales2")
    assert [e["code"] for e in forbidden["errors"]] == ["FORBIDDEN"]
    deleted = await api.ok("deleteWebhook", {"id": hook["id"]}, "deletedId")
    assert deleted["deletedId"] == hook["id"]
    assert (await api(WEBHOOKS))["webhooks"] == []
    again = await api.mutate("deleteWebhook", {"id": hook["id"]}, "deletedId")
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"]
    gone = await api.raw(DELIVERIES, {"id": hook["id"]})
    assert gone["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(("url", "field"), [
    ("http://hooks.example/relate", ["input", "url"]),     # plain http off this machine
    ("ftp://hooks.example/relate", ["input", "url"]),
    ("https://user:pw@hooks.example/x", ["input", "url"]),
    ("not a url", ["input", "url"]),
    ("", ["input", "url"]),
    ("https://hooks.example:99999/x", ["input", "url"]),
])
async def test_a_bad_url_is_a_validation_error_and_creates_nothing(api: Api, url: str, field: list[str]) -> None:
    payload = await api.mutate("createWebhook", {"url": url}, "webhook { id } secret")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", field)]
    assert payload["webhook"] is None and payload["secret"] is None
    assert (await api(WEBHOOKS))["webhooks"] == []


async def test_deliveries_of_a_bad_id_are_a_validation_error(api: Api) -> None:
    body = await api.raw(DELIVERIES, {"id": "not-an-id"})
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"


# --- delivery ----------------------------------------------------------------------------


async def test_a_receiver_outage_and_a_server_restart_lose_no_delivery(
    served: Serve, receiver: Receiver, api: Api, db: Database,
) -> None:
    """R-LIVE-6: up, down (connection refused), server restarted while down, back but
    answering 503, then healthy: every event arrives once, in commit order, signed."""
    async with served() as server:
        created = await server.api.ok("createWebhook", {"url": receiver.url}, CREATE)
        secret, hook_id = created["secret"], created["webhook"]["id"]
        start = outbox.decode_cursor(created["webhook"]["cursor"])
        assert start is not None

        await some_changes(server.api, "up")
        expected = await stamped_after(db, start)
        await receiver.wait_for(lambda got: set(seqs(got)) >= set(expected))

        await receiver.stop()  # down: deliveries are refused at the TCP level
        await some_changes(server.api, "down")
        await until(lambda: failed_attempts(server.api, hook_id, 3))
    # The server stops while the receiver is still down: it hands its lease over at once.
    async with db.read() as session:
        assert (await session.execute(select(Webhook.lease_owner))).scalars().all() == [None]
    # More changes are made meanwhile by a process without a delivery worker.
    await some_changes(api, "restart")

    receiver.status = 503
    await receiver.start()
    async with served() as server:
        await until(lambda: receiver.rejected >= 2)  # up again, but refusing with 503
        receiver.status = 200
        await some_changes(server.api, "after")
        expected = await stamped_after(db, start)
        await receiver.wait_for(lambda got: set(seqs(got)) >= set(expected))
        await until(lambda: caught_up(server.api))
        log = (await server.api(DELIVERIES, {"id": hook_id}))["webhookDeliveries"]

    arrived = seqs(receiver.requests)
    lost = sorted(set(expected) - set(arrived))
    duplicated = len(arrived) - len(set(arrived))
    failures = [d for d in log["nodes"] if d["deliveredOn"] is None]
    print(f"\n[webhooks] events {len(expected)}, delivered {len(set(arrived))}, lost {len(lost)}, "
          f"duplicated {duplicated}, failed attempts {len(failures)} "
          f"(refused {sum(d['statusCode'] is None for d in failures)}, "
          f"503 {sum(d['statusCode'] == 503 for d in failures)}), highest attempt "
          f"{max(d['attempt'] for d in log['nodes'])}")
    assert lost == [] and duplicated == 0
    assert arrived == sorted(arrived) == expected  # in commit (seq) order, each once

    per_record: dict[str, list[int]] = defaultdict(list)
    for request in receiver.requests:
        body = json.loads(request.body)
        assert StandardWebhook(secret).verify(request.body, request.headers) == body
        with pytest.raises(WebhookVerificationError):
            StandardWebhook(secret).verify(request.body + b" ", request.headers)
        assert request.headers["webhook-id"] == f"evt_{body['seq']}"
        assert body["seq"] == int(request.headers["x-relate-event-id"]) and body["kind"] in (
            "record.changed", "timeline.changed", "worklist.changed")
        assert request.method == "POST" and request.headers["content-type"] == "application/json"
        for record in body["records"]:
            per_record[record["id"]].append(body["seq"])
    assert per_record and all(s == sorted(s) for s in per_record.values())

    # The log shows the refusals, the 503s and the retries that finally got through.
    assert any(d["statusCode"] is None and d["error"] for d in failures)
    assert any(d["statusCode"] == 503 and d["error"].startswith("HTTP 503") for d in failures)
    assert all(d["nextAttemptOn"] is not None for d in failures)
    delivered = [d for d in log["nodes"] if d["deliveredOn"] is not None]
    assert {int(d["eventId"]) for d in delivered} == set(expected) and len(delivered) == len(expected)
    assert max(d["attempt"] for d in delivered) >= 3
    assert log["totalCount"] == len(delivered) + len(failures)


async def failed_attempts(api: Api, hook_id: str, at_least: int) -> bool:
    found = await api(DELIVERIES, {"id": hook_id, "failedOnly": True})
    return found["webhookDeliveries"]["totalCount"] >= at_least


async def caught_up(api: Api) -> bool:
    return all(h["pendingEvents"] == 0 and h["failures"] == 0 for h in (await api(WEBHOOKS))["webhooks"])


async def test_the_filter_sends_only_the_kinds_and_record_types_asked_for(
    served: Serve, receiver: Receiver, db: Database,
) -> None:
    async with served() as server:
        await server.api.ok("createWebhook", {"url": receiver.url, "eventKinds": ["RECORD_CHANGED"],
                                              "recordTypes": ["CONTACT"]}, CREATE)
        await some_changes(server.api, "filtered")
        await stamped_after(db, 0)
        await until(lambda: caught_up(server.api))
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert bodies and {b["kind"] for b in bodies} == {"record.changed"}
    assert {r["type"] for b in bodies for r in b["records"]} == {"CONTACT"}
    assert {b["data"]["recordType"] for b in bodies} == {"CONTACT"}
