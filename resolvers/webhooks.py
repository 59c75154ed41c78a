"""Root operations for webhooks (R-LIVE-6): administrators only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import webhooks as commands
from graph.queries import webhooks as queries
from graph.queries.paging import fetch_page, position
from graph.rules.access import Scope
from graph.rules.errors import not_found
from resolvers.context import Info
from resolvers.ids import decode_id, to_global_id
from resolvers.mutation_runner import run_mutation
from resolvers.pagination import encode_cursor, page_request
from schema.inputs.webhooks import CreateWebhookInput, DeleteWebhookInput
from schema.payloads.webhooks import CreateWebhookPayload, DeleteWebhookPayload
from schema.types.connection import Connection, Edge
from resolvers.connections import counted_connection
from schema.types.webhooks import Webhook, WebhookDelivery

WEBHOOK = {"Webhook"}


async def webhooks(info: Info) -> list[Webhook]:
    async with info.context.db.read() as session:
        rows = await queries.webhooks(session, info.context.scope)
        head = await queries.head_seq(session)
    return [Webhook.from_row(r, head) for r in rows]


async def webhook_deliveries(
    info: Info, webhook_id: strawberry.ID, failed_only: bool = False,
    first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None,
) -> Connection[WebhookDelivery]:
    """The delivery log of one webhook, newest attempt first."""
    scope = info.context.scope
    raw_id = decode_id(webhook_id, WEBHOOK, ["webhookId"])
    keys = queries.DELIVERY_KEYS
    request = page_request(keys, first, after, last, before)
    query = queries.deliveries_query(raw_id, failed_only=failed_only)
    db = info.context.db
    async with db.read() as session:
        if await queries.webhook(session, scope, raw_id) is None:
            raise not_found("webhook", ["webhookId"])
        page = await fetch_page(session, query, keys, request)
    edges = [Edge(cursor=encode_cursor(keys, position(r, keys)), node=WebhookDelivery.from_row(r))
             for r in page.rows]

    return counted_connection(edges, page, db, query)


async def create_webhook(info: Info, input: CreateWebhookInput) -> CreateWebhookPayload:
    settings = info.context.settings

    async def vet(scope: Scope) -> None:
        await commands.vet_url(scope, input.url, allow_http=settings.webhook_allow_http,
                               allow_private=settings.webhook_allow_private)

    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        data = commands.NewWebhook(
            url=input.url, description=input.description,
            event_kinds=[k.value for k in input.event_kinds or ()],
            record_types=[t.value for t in input.record_types or ()], active=input.active,
        )
        row, secret = await commands.create_webhook(session, scope, data, now,
                                                    allow_http=info.context.settings.webhook_allow_http)
        return {"webhook": Webhook.from_row(row, int(row.cursor)), "secret": secret}
    return await run_mutation(info, CreateWebhookPayload, work, before=vet)


async def delete_webhook(info: Info, input: DeleteWebhookInput) -> DeleteWebhookPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        raw_id = decode_id(input.id, WEBHOOK, ["input", "id"])
        await commands.delete_webhook(session, scope, raw_id)
        return {"deleted_id": strawberry.ID(to_global_id("Webhook", raw_id))}
    return await run_mutation(info, DeleteWebhookPayload, work)
