"""Inputs of the lead, opportunity and case operations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from schema.inputs.common import AddressInput
from schema.inputs.records import UPSERT_HELP, UpsertKey
from schema.types.activities import Priority
from schema.types.sales import (
    CaseOrigin,
    CaseState,
    DisqualifyReason,
    LeadSource,
    LeadState,
    OpportunityOutcome,
    OpportunityState,
)

ID = strawberry.ID


@strawberry.input(description="Narrow a list of leads; every given condition must hold.")
class LeadFilter:
    text: str | None = strawberry.field(default=None, description="Part of the name, email, topic or company.")
    owner_ids: list[ID] | None = None
    states: list[LeadState] | None = strawberry.field(default=None, description="Overrides includeInactive.")
    sources: list[LeadSource] | None = None


@strawberry.input(description="Narrow a list of opportunities; every given condition must hold.")
class OpportunityFilter:
    text: str | None = strawberry.field(default=None, description="Part of the topic.")
    owner_ids: list[ID] | None = None
    customer_id: ID | None = None
    states: list[OpportunityState] | None = strawberry.field(default=None, description="Overrides includeInactive.")
    close_after: date | None = strawberry.field(default=None, description="Estimated close on or after.")
    close_before: date | None = strawberry.field(default=None, description="Estimated close on or before.")


@strawberry.input(description="Narrow a list of cases; every given condition must hold.")
class CaseFilter:
    text: str | None = strawberry.field(default=None, description="Part of the title.")
    owner_ids: list[ID] | None = None
    customer_id: ID | None = None
    states: list[CaseState] | None = strawberry.field(default=None, description="Overrides includeInactive.")
    priorities: list[Priority] | None = None
    origins: list[CaseOrigin] | None = None


@strawberry.input
class CreateLeadInput:
    topic: str
    last_name: str
    first_name: str | None = None
    company_name: str | None = None
    email: str | None = None
    business_phone: str | None = None
    mobile_phone: str | None = None
    job_title: str | None = None
    address: AddressInput | None = None
    source: LeadSource = LeadSource.MANUAL
    owner_id: ID | None = strawberry.field(default=None, description="A user or team; default: you.")
    client_mutation_id: str | None = None
    external_id: str | None = strawberry.field(
        default=None, description="This record's key in another system; unique per type (R-QRY-5).")
    upsert_by: UpsertKey | None = strawberry.field(default=None, description=UPSERT_HELP)
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Save even when it looks like a duplicate of another record (R-QRY-3).")


@strawberry.input(description="Only the fields given change; null clears an optional field. A closed lead is read-only.")
class UpdateLeadInput:
    id: ID
    expected_version: int | None = None
    topic: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    company_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    business_phone: str | None = strawberry.UNSET
    mobile_phone: str | None = strawberry.UNSET
    job_title: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    source: LeadSource | None = strawberry.UNSET
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Save even when it looks like a duplicate of another record (R-QRY-3).")


@strawberry.input(description="R-LEAD-1: for each of account, contact and opportunity, create one from the lead, link an existing one, or neither.")
class QualifyLeadInput:
    lead_id: ID
    create_account: bool = strawberry.field(default=False, description="An account named after the lead's company.")
    existing_account_id: ID | None = None
    create_contact: bool = strawberry.field(default=False, description="A contact for the lead's person, in the account.")
    existing_contact_id: ID | None = None
    create_opportunity: bool = strawberry.field(
        default=False, description="An opportunity for the account (else the contact), named after the topic."
    )
    existing_opportunity_id: ID | None = None
    expected_version: int | None = None


@strawberry.input
class DisqualifyLeadInput:
    lead_id: ID
    reason: DisqualifyReason
    expected_version: int | None = None


@strawberry.input
class CreateOpportunityInput:
    topic: str
    customer_id: ID | None = strawberry.field(default=None, description="An account or a contact.")
    estimated_revenue: Decimal | None = None
    estimated_close_date: date | None = None
    probability: int | None = strawberry.field(default=None, description="Percent, 0–100.")
    owner_id: ID | None = None
    client_mutation_id: str | None = None
    external_id: str | None = strawberry.field(
        default=None, description="This record's key in another system; unique per type (R-QRY-5).")
    upsert_by: UpsertKey | None = strawberry.field(default=None, description=UPSERT_HELP)
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Save even when it looks like a duplicate of another record (R-QRY-3).")


@strawberry.input(description="Only the fields given change; null clears an optional field. A closed opportunity is read-only.")
class UpdateOpportunityInput:
    id: ID
    expected_version: int | None = None
    topic: str | None = strawberry.UNSET
    customer_id: ID | None = strawberry.UNSET
    estimated_revenue: Decimal | None = strawberry.UNSET
    estimated_close_date: date | None = strawberry.UNSET
    probability: int | None = strawberry.UNSET
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Save even when it looks like a duplicate of another record (R-QRY-3).")


@strawberry.input
class CloseOpportunityInput:
    id: ID
    outcome: OpportunityOutcome
    expected_version: int | None = None


@strawberry.input
class CreateCaseInput:
    title: str
    customer_id: ID = strawberry.field(description="An account or a contact.")
    priority: Priority = Priority.NORMAL
    origin: CaseOrigin | None = None
    resolve_by: datetime | None = None
    owner_id: ID | None = None
    client_mutation_id: str | None = None
    external_id: str | None = strawberry.field(
        default=None, description="This record's key in another system; unique per type (R-QRY-5).")
    upsert_by: UpsertKey | None = strawberry.field(default=None, description=UPSERT_HELP)
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Save even when it looks like a duplicate of another record (R-QRY-3).")


@strawberry.input(description="Only the fields given change; null clears an optional field. A closed case is read-only.")
class UpdateCaseInput:
    id: ID
    expected_version: int | None = None
    title: str | None = strawberry.UNSET
    customer_id: ID | None = strawberry.UNSET
    priority: Priority | None = strawberry.UNSET
    origin: CaseOrigin | None = strawberry.UNSET
    resolve_by: datetime | None = strawberry.UNSET
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Save even when it looks like a duplicate of another record (R-QRY-3).")


@strawberry.input(description="Close a case as solved; it becomes read-only.")
class ResolveCaseInput:
    id: ID
    expected_version: int | None = None


@strawberry.input(description="Close a case as canceled; it becomes read-only.")
class CancelCaseInput:
    id: ID
    expected_version: int | None = None
