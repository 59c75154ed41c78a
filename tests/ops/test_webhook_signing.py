"""Webhook signatures (R-LIVE-6) per Standard Webhooks, checked the way a receiver checks
them: with the `standardwebhooks` library's `Webhook.verify` on real deliveries.

The signature covers the id, the timestamp and the body, so a delivery captured on the way
cannot be replayed later (its signed timestamp is then too old) nor re-dated (the
signature no longer matches). Secrets issued before this scheme keep their key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks.webhooks
from alembic import command
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from graph.db import Database
from graph.migrate import alembic_config, upgrade
from graph.rules import webhooks as rules
from tests.ops.conftest import Serve
from tests.ops.receiver import Receiver
from tests.ops.test_webhooks import CREATE, some_changes, stamped_after
from subscriptions import log as outbox


class TenMinutesLater(datetime):
    """The receiver's clock, ten minutes after the delivery arrived."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
        return datetime.now(tz) + timedelta(minutes=10)


async def test_every_delivery_verifies_with_the_standard_webhooks_library_and_cannot_be_replayed(
    served: Serve, receiver: Receiver, db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served() as server:
        created = await server.api.ok("createWebhook", {"url": receiver.url}, CREATE)
        secret = created["secret"]
        start = outbox.decode_cursor(created["webhook"]["cursor"])
        assert start is not None
        await some_changes(server.api, "signed")
        expected = await stamped_after(db, start)
        await receiver.wait_for(lambda got: len(got) >= len(expected))

    assert rules.is_standard_secret(secret)
    verifier = StandardWebhook(secret)
    for request in receiver.requests:
        body = verifier.verify(request.body, request.headers)  # raises unless genuine and recent
        assert body == json.loads(request.body)
        assert request.headers["webhook-id"] == f"evt_{body['seq']}" == f"evt_{request.headers['x-relate-event-id']}"
        assert "x-relate-signature" not in request.headers  # the old, replayable signature is gone
    assert sorted(int(r.headers["x-relate-event-id"]) for r in receiver.requests) == expected

    captured = receiver.requests[0]
    tampered = [
        (captured.body + b" ", captured.headers),                                      # body changed
        (captured.body, {**captured.headers, "webhook-id": "evt_999999"}),              # id changed
        (captured.body, {**captured.headers,                                            # re-dated
                         "webhook-timestamp": str(int(captured.headers["webhook-timestamp"]) + 1)}),
    ]
    for body, headers in tampered:
        with pytest.raises(WebhookVerificationError):
            verifier.verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(rules.new_secret()).verify(captured.body, captured.headers)  # another secret

    # The same bytes sent again ten minutes later: refused for their age.
    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", TenMinutesLater)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verifier.verify(captured.body, captured.headers)


def test_a_secret_issued_before_keeps_its_key_through_the_migration(tmp_path: Path) -> None:
    """0004 rewrites old secrets into the standard form without changing the HMAC key
    (the old secret's UTF-8 bytes); downgrading gives the old text back. SQLite: the
    migration is plain SELECT/UPDATE, the same on PostgreSQL."""
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, revision="0003")
    legacy = "whsec_" + "Zm9vYmFy-_" * 4 + "abc"  # the old form: token_urlsafe text
    standard = rules.new_secret()  # already standard (e.g. written by a newer server): untouched
    with sqlite3.connect(path) as raw:
        for secret in (legacy, standard):
            raw.execute(
                "INSERT INTO webhooks (id, url, secret, event_kinds, record_types, active, cursor, failures,"
                " created_on, created_by_id, modified_on) VALUES (?, 'https://hooks.example/', ?, '[]', '[]',"
                " 1, 0, 0, '2026-12-01 00:00:00', ?, '2026-12-01 00:00:00')",
                (uuid.uuid4().hex, secret, uuid.uuid4().hex))

    upgrade(url)
    with sqlite3.connect(path) as raw:
        stored = [row[0] for row in raw.execute("SELECT secret FROM webhooks ORDER BY rowid")]
    assert stored[1] == standard
    assert rules.is_standard_secret(stored[0])
    assert base64.b64decode(stored[0].removeprefix("whsec_")) == legacy.encode()
    # What the receiver computes with the old secret is what Relate now signs with.
    body, sent_at = b'{"seq":5}', datetime.now().astimezone()
    headers = rules.signature_headers(stored[0], "evt_5", sent_at, body)
    signed = f"evt_5.{headers['webhook-timestamp']}.".encode() + body
    assert headers["webhook-signature"] == "v1," + base64.b64encode(
        hmac.new(legacy.encode(), signed, hashlib.sha256).digest()).decode()
    assert StandardWebhook("whsec_" + base64.b64encode(legacy.encode()).decode()).verify(body, headers)

    command.downgrade(alembic_config(url), "0003")
    with sqlite3.connect(path) as raw:
        assert [row[0] for row in raw.execute("SELECT secret FROM webhooks ORDER BY rowid")] == [legacy, standard]
