"""Inputs of the activity operations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.types.activities import PartyRole, Priority


@strawberry.input(description="A participant: `partyId` of a user, team, contact, lead or account, or a bare `address`.")
class PartyInput:
    role: PartyRole
    party_id: strawberry.ID | None = None
    address: str | None = None


@strawberry.input
class CreateTaskInput:
    subject: str
    description: str | None = None
    priority: Priority | None = None
    due: datetime | None = None
    regarding_id: strawberry.ID | None = strawberry.field(default=None, description="Omit for a personal task.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="A user or team; default: you.")
    parties: list[PartyInput] | None = None
    client_mutation_id: str | None = None
