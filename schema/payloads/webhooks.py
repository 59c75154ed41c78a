"""Payloads of the webhook mutations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.webhooks import Webhook


@strawberry.type
class CreateWebhookPayload:
    errors: list[UserError]
    webhook: Webhook | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret, shown this once: verify `X-Relate-Signature: sha256=<hex>`, the "
                    "HMAC-SHA256 of the raw request body with this secret.")


@strawberry.type
class DeleteWebhookPayload:
    errors: list[UserError]
    deleted_id: strawberry.ID | None = None
