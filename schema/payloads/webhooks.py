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
        description="The signing secret (`whsec_<base64>`), shown this once: verify each delivery's "
                    "Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) "
                    "with it and refuse old timestamps.")


@strawberry.type
class DeleteWebhookPayload:
    errors: list[UserError]
    deleted_id: strawberry.ID | None = None
