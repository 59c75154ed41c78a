"""What tracking returns (R-TRACK-*): outcomes, refused files, resolved addresses, link suggestions."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.errors import ErrorCode
from schema.types.node import Node
from schema.types.records import Contact, Record


@strawberry.enum(description="What a track call did.")
class TrackOutcome(Enum):
    CREATED = "CREATED"
    ALREADY_TRACKED = strawberry.enum_value(
        "ALREADY_TRACKED", description="Saved before (same message id or UID): nothing new was created (R-TRACK-2).")
    UPDATED = strawberry.enum_value("UPDATED", description="A meeting saved before was updated (R-TRACK-3).")
    NOT_TRACKED = strawberry.enum_value(
        "NOT_TRACKED", description="`onlyReplies` and the email answers no tracked email: nothing saved.")


@strawberry.type(description="An attachment that was not saved, and why (R-TRACK-4); the item itself was saved.")
class RefusedAttachment:
    file_name: str
    code: ErrorCode
    message: str


@strawberry.type(description="What one address resolved to (R-TRACK-1): a user, contact, lead or account, or nothing.")
class ResolvedAddress:
    address: str
    party_type: str | None = strawberry.field(description="USER, CONTACT, LEAD or ACCOUNT; null when nobody has it.")
    party: Node | None


@strawberry.type(description="A record the item could be linked to.")
class LinkSuggestion:
    record: Record
    reason: str = strawberry.field(description="Why it is suggested, e.g. \"account of Chris Preston\".")


@strawberry.type(description="For the link step of an add-in (R-TRACK-1): who the addresses are, the contacts whose "
                             "timelines will show the item, and records related to them.")
class LinkSuggestions:
    addresses: list[ResolvedAddress]
    related_contacts: list[Contact]
    suggestions: list[LinkSuggestion] = strawberry.field(
        description="Accounts, then open opportunities, then active cases related to the resolved parties.")
