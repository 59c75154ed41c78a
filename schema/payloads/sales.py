"""Payloads of the lead, opportunity and case mutations: the result, or `errors`."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.records import Account, Contact
from schema.types.sales import Case, Lead, Opportunity


@strawberry.type
class LeadPayload:
    errors: list[UserError]
    lead: Lead | None = None
    created: bool | None = strawberry.field(
        default=None, description="True when a record was created, false when `upsertBy` found one and updated it.")


@strawberry.type(description="The qualified lead and the account, contact and opportunity created or linked.")
class QualifyLeadPayload:
    errors: list[UserError]
    lead: Lead | None = None
    account: Account | None = None
    contact: Contact | None = None
    opportunity: Opportunity | None = None


@strawberry.type
class OpportunityPayload:
    errors: list[UserError]
    opportunity: Opportunity | None = None
    created: bool | None = strawberry.field(
        default=None, description="True when a record was created, false when `upsertBy` found one and updated it.")


@strawberry.type
class CasePayload:
    errors: list[UserError]
    case: Case | None = None
    created: bool | None = strawberry.field(
        default=None, description="True when a record was created, false when `upsertBy` found one and updated it.")
