"""Leads, opportunities and cases (SPEC §2): three more implementations of `Record`.

Built from a row in one pass; the customer, originating lead and qualified opportunity
come from the record loader (already loaded when a page prefetched them).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from graph import models
from resolvers.context import Info, now_or_later
from schema.types.activities import Priority
from schema.types.records import Address, Record, _address, _common, register_record_type


@strawberry.enum(description="Where a lead came from.")
class LeadSource(Enum):
    MANUAL = "MANUAL"
    CAMPAIGN = "CAMPAIGN"
    WEB = "WEB"
    EMAIL_LIST = "EMAIL_LIST"
    SOCIAL = "SOCIAL"
    OTHER = "OTHER"


@strawberry.enum
class LeadState(Enum):
    OPEN = "OPEN"
    QUALIFIED = "QUALIFIED"
    DISQUALIFIED = "DISQUALIFIED"


@strawberry.enum(description="Why a lead was disqualified; it becomes the lead's `statusReason`.")
class DisqualifyReason(Enum):
    LOST = "LOST"
    CANNOT_CONTACT = "CANNOT_CONTACT"
    NO_LONGER_INTERESTED = "NO_LONGER_INTERESTED"
    CANCELED = "CANCELED"


@strawberry.enum
class OpportunityState(Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


@strawberry.enum
class OpportunityOutcome(Enum):
    WON = "WON"
    LOST = "LOST"


@strawberry.enum
class CaseState(Enum):
    ACTIVE = "ACTIVE"
    RESOLVED = "RESOLVED"
    CANCELED = "CANCELED"


@strawberry.enum(description="How the customer reported the case.")
class CaseOrigin(Enum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    WEB = "WEB"
    FACEBOOK = "FACEBOOK"
    TWITTER = "TWITTER"


@strawberry.type(description="A potential sale (R-LEAD-1): OPEN, then QUALIFIED or DISQUALIFIED (read-only).")
class Lead(Record):
    qualified_opportunity_id: strawberry.Private[uuid.UUID | None]
    topic: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    email: str | None
    business_phone: str | None
    mobile_phone: str | None
    job_title: str | None
    address: Address | None
    source: LeadSource | None

    @strawberry.field
    def full_name(self) -> str:
        return self.name

    @strawberry.field(description="The opportunity this lead became when it was qualified.")
    def qualified_opportunity(self, info: Info) -> Opportunity | None:
        return now_or_later(info.context.loaders.record_by_id, self.qualified_opportunity_id)

    @classmethod
    def from_row(cls, row: models.Lead) -> Lead:
        return cls(
            **_common(row, "Lead"), qualified_opportunity_id=row.qualified_opportunity_id, topic=row.topic,
            first_name=row.first_name, last_name=row.last_name, company_name=row.company_name,
            email=row.email, business_phone=row.phone, mobile_phone=row.mobile_phone,
            job_title=row.job_title, address=_address(row),
            source=LeadSource(row.source) if row.source else None,
        )


@strawberry.type(description="A deal close to closing: OPEN, then WON or LOST (read-only).")
class Opportunity(Record):
    customer_id: strawberry.Private[uuid.UUID | None]
    originating_lead_id: strawberry.Private[uuid.UUID | None]
    topic: str
    estimated_revenue: Decimal | None
    estimated_close_date: date | None
    probability: int | None = strawberry.field(description="Percent, 0–100.")
    closed_on: datetime | None

    @strawberry.field(description="The account or contact the deal is with.")
    def customer(self, info: Info) -> Record | None:
        return now_or_later(info.context.loaders.record_by_id, self.customer_id)

    @strawberry.field(description="The lead this opportunity was qualified from.")
    def originating_lead(self, info: Info) -> Lead | None:
        return now_or_later(info.context.loaders.record_by_id, self.originating_lead_id)

    @classmethod
    def from_row(cls, row: models.Opportunity) -> Opportunity:
        return cls(
            **_common(row, "Opportunity"), customer_id=row.customer_id,
            originating_lead_id=row.originating_lead_id, topic=row.name,
            estimated_revenue=row.estimated_revenue, estimated_close_date=row.estimated_close_date,
            probability=row.probability, closed_on=row.closed_on,
        )


@strawberry.type(description="A customer's issue: ACTIVE, then RESOLVED or CANCELED (read-only).")
class Case(Record):
    customer_id: strawberry.Private[uuid.UUID | None]
    title: str
    priority: Priority | None
    origin: CaseOrigin | None
    resolve_by: datetime | None

    @strawberry.field(description="The account or contact with the issue.")
    def customer(self, info: Info) -> Record | None:
        return now_or_later(info.context.loaders.record_by_id, self.customer_id)

    @classmethod
    def from_row(cls, row: models.Case) -> Case:
        return cls(
            **_common(row, "Case"), customer_id=row.customer_id, title=row.name,
            priority=Priority(row.priority) if row.priority else None,
            origin=CaseOrigin(row.origin) if row.origin else None, resolve_by=row.resolve_by,
        )


SALES_TYPES = (Lead, Opportunity, Case)

register_record_type("LEAD", Lead.from_row)
register_record_type("OPPORTUNITY", Opportunity.from_row)
register_record_type("CASE", Case.from_row)
