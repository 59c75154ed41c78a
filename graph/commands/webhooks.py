"""Webhook use cases (R-LIVE-6): administrators register and delete endpoints; the
delivery worker (subscriptions/webhooks.py) claims a webhook, logs every attempt and moves
its cursor. Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from graph import webhook_destinations
from graph.models import OutboxEvent, Webhook, WebhookDelivery
from graph.rules import webhooks as rules
from graph.rules.access import Scope
from graph.rules.errors import not_found

@dataclass(frozen=True)
class NewWebhook:
    url: str
    description: str | None
    event_kinds: list[str]
    record_types: list[str]
    active: bool = True


async def vet_url(scope: Scope, url: str, *, allow_http: bool, allow_private: bool) -> None:
    """Before the transaction: may this viewer register webhooks, and where does the URL
    lead? (Resolving its host waits on DNS; no write transaction is held meanwhile.)"""
    scope.require_configuration()
    checked = rules.check_url(url, allow_http=allow_http)
    await webhook_destinations.check_registration(checked, allow_private=allow_private)


async def create_webhook(session: AsyncSession, scope: Scope, data: NewWebhook, now: datetime,
                         *, allow_http: bool) -> tuple[Webhook, str]:
    """The new webhook and its secret (the only time the secret leaves the server).

    Its cursor starts at the newest stamped event: it receives what happens from now on."""
    scope.require_configuration()
    url = rules.check_url(data.url, allow_http=allow_http)
    wanted = rules.check_filter(data.event_kinds, data.record_types)
    secret = rules.new_secret()
    head = int(await session.scalar(select(func.coalesce(func.max(OutboxEvent.seq), 0))) or 0)
    hook = Webhook(
        url=url, description=(data.description or "").strip() or None, secret=secret,
        event_kinds=list(wanted.event_kinds), record_types=list(wanted.record_types),
        active=data.active, cursor=head, failures=0, created_on=now, modified_on=now,
        created_by_id=scope.user_id,
    )
    session.add(hook)
    await session.flush()
    return hook, secret


async def delete_webhook(session: AsyncSession, scope: Scope, webhook_id: uuid.UUID) -> None:
    """Deletes the webhook and its delivery log; a delivery in flight is not logged."""
    scope.require_configuration()
    found = await session.scalar(select(Webhook.id).where(Webhook.id == webhook_id))
    if found is None:
        raise not_found("webhook", ["input", "id"])
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id))
    await session.execute(delete(Webhook).where(Webhook.id == webhook_id))


# --- the delivery worker's side -----------------------------------------------------------


async def claim(session: AsyncSession, webhook_id: uuid.UUID, owner: str, now: datetime,
                lease: timedelta) -> bool:
    """Take or renew the lease on an active webhook: one process delivers it at a time."""
    result = await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.active.is_(True),
               or_(Webhook.lease_owner.is_(None), Webhook.lease_owner == owner, Webhook.lease_until < now))
        .values(lease_owner=owner, lease_until=now + lease)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release(session: AsyncSession, webhook_id: uuid.UUID, owner: str) -> None:
    await session.execute(
        update(Webhook).where(Webhook.id == webhook_id, Webhook.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


async def release_all(session: AsyncSession, owner: str) -> None:
    """A process stopping hands its webhooks over at once instead of letting leases expire."""
    await session.execute(
        update(Webhook).where(Webhook.lease_owner == owner).values(lease_owner=None, lease_until=None)
    )


@dataclass(frozen=True)
class Attempt:
    """What one POST of one event came to."""

    seq: int
    kind: str
    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: int | None
    ok: bool


async def record_attempt(session: AsyncSession, webhook_id: uuid.UUID, owner: str, attempt: Attempt,
                         now: datetime, next_attempt_on: datetime | None) -> bool:
    """Log the attempt; on success move the cursor past the event, else note the retry time.

    False when this process no longer holds the webhook (deleted, deactivated, lease taken):
    then nothing is written and the caller stops delivering it."""
    values: dict[str, object] = (
        {"cursor": attempt.seq, "failures": 0, "next_attempt_on": None}
        if attempt.ok else {"failures": attempt.attempt, "next_attempt_on": next_attempt_on}
    )
    result = await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.lease_owner == owner, Webhook.active.is_(True),
               Webhook.cursor < attempt.seq)
        .values(**values)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await session.execute(insert(WebhookDelivery).values(
        webhook_id=webhook_id, event_seq=attempt.seq, event_kind=attempt.kind, attempt=attempt.attempt,
        status_code=attempt.status_code, error=attempt.error, duration_ms=attempt.duration_ms,
        attempted_on=now, next_attempt_on=None if attempt.ok else next_attempt_on,
        delivered_on=now if attempt.ok else None,
    ))
    return True


async def skip_to(session: AsyncSession, webhook_id: uuid.UUID, owner: str, seq: int) -> bool:
    """Move the cursor over events the webhook's filter does not want (nothing to log)."""
    result = await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.lease_owner == owner, Webhook.cursor < seq)
        .values(cursor=seq)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
