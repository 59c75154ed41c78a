"""Reading webhooks and their delivery log (R-LIVE-6): administrators only, so the scope is
checked once up front rather than put in a WHERE clause (nobody else reads any row)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ScalarSelect, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import OutboxEvent, Record, Webhook, WebhookDelivery
from graph.queries.keyset import SortKey
from graph.rules.access import Scope

DELIVERY_KEYS = [SortKey("id", WebhookDelivery.id, descending=True)]


async def webhooks(session: AsyncSession, scope: Scope) -> list[Webhook]:
    scope.require_configuration()
    return list(await session.scalars(select(Webhook).order_by(Webhook.created_on, Webhook.id)))


async def webhook(session: AsyncSession, scope: Scope, webhook_id: uuid.UUID) -> Webhook | None:
    scope.require_configuration()
    return await session.scalar(select(Webhook).where(Webhook.id == webhook_id))


def deliveries_query(webhook_id: uuid.UUID, *, failed_only: bool = False) -> Select[Any]:
    """Newest attempt first; an index on (webhook_id, id) makes every page a range scan."""
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if failed_only:
        query = query.where(WebhookDelivery.delivered_on.is_(None))
    return query


async def active_webhook_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list(await session.scalars(select(Webhook.id).where(Webhook.active.is_(True))))


def head_seq_query() -> ScalarSelect[int]:
    """The highest stamped seq (0 on an empty log), to compare with in a statement."""
    return select(func.coalesce(func.max(OutboxEvent.seq), 0)).scalar_subquery()


async def head_seq(session: AsyncSession) -> int:
    return int(await session.scalar(select(head_seq_query())) or 0)


async def backlog(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Events each active webhook has yet to get past (delivered or filtered out)."""
    head = await head_seq(session)
    rows = await session.execute(select(Webhook.id, Webhook.cursor).where(Webhook.active.is_(True)))
    return {hook_id: max(0, head - int(cursor)) for hook_id, cursor in rows}


async def record_types(session: AsyncSession, record_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The type of each record (for the webhooks' record-type filter); one statement."""
    ids = list(set(record_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Record.id, Record.type).where(Record.id.in_(ids)))
    return {record_id: record_type for record_id, record_type in rows}
