"""The rich filter inputs (R-QRY-1): operators per field type, and one `…Where` per list.

Declarations only: resolvers/filters.py turns them into plain values, graph/queries/filters.py
into SQL. docs/api.md has the grammar with examples.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

import strawberry

from schema.inputs.custom_fields import CustomFieldCondition
from schema.types.activities import ActivityState, ActivityType, Priority
from schema.types.metadata import RecordType
from schema.types.sales import CaseOrigin, CaseState, LeadSource, LeadState, OpportunityState
from schema.types.timeline import TimelineEntryType

E = TypeVar("E")
ID = strawberry.ID

IN = "Any of these values (at most 200)."
NOT_IN = "None of these values, or no value."
NE = "Not this value, or no value."
IS_NULL = "true: the value is missing; false: it is there."


def _in() -> list:  # type: ignore[type-arg]
    return strawberry.field(default=None, name="in", description=IN)


@strawberry.input(description="Conditions on a text field; all given must hold. Case is ignored.")
class StringFilter:
    eq: str | None = None
    ne: str | None = strawberry.field(default=None, description=NE)
    in_: list[str] | None = _in()
    not_in: list[str] | None = strawberry.field(default=None, description=NOT_IN)
    contains: str | None = None
    starts_with: str | None = None
    is_null: bool | None = strawberry.field(default=None, description=IS_NULL)


@strawberry.input(description="Conditions on an id field; all given must hold.")
class IdFilter:
    eq: ID | None = None
    ne: ID | None = strawberry.field(default=None, description=NE)
    in_: list[ID] | None = _in()
    not_in: list[ID] | None = strawberry.field(default=None, description=NOT_IN)
    is_null: bool | None = strawberry.field(default=None, description=IS_NULL)


@strawberry.input(description="Conditions on an enum field; all given must hold.")
class EnumFilter(Generic[E]):
    eq: E | None = None
    ne: E | None = strawberry.field(default=None, description=NE)
    in_: list[E] | None = _in()
    not_in: list[E] | None = strawberry.field(default=None, description=NOT_IN)
    is_null: bool | None = strawberry.field(default=None, description=IS_NULL)


@strawberry.input(description="Conditions on a date and time (with a zone offset); all given must hold.")
class DateTimeFilter:
    eq: datetime | None = None
    ne: datetime | None = strawberry.field(default=None, description=NE)
    lt: datetime | None = None
    lte: datetime | None = None
    gt: datetime | None = None
    gte: datetime | None = None
    in_: list[datetime] | None = _in()
    is_null: bool | None = strawberry.field(default=None, description=IS_NULL)


@strawberry.input(description="Conditions on a date; all given must hold.")
class DateFilter:
    eq: date | None = None
    ne: date | None = strawberry.field(default=None, description=NE)
    lt: date | None = None
    lte: date | None = None
    gt: date | None = None
    gte: date | None = None
    in_: list[date] | None = _in()
    is_null: bool | None = strawberry.field(default=None, description=IS_NULL)


@strawberry.input(description="Conditions on a whole number; all given must hold.")
class IntFilter:
    eq: int | None = None
    ne: int | None = strawberry.field(default=None, description=NE)
    lt: int | None = None
    lte: int | None = None
    gt: int | None = None
    gte: int | None = None
    in_: list[int] | None = _in()
    is_null: bool | None = strawberry.field(default=None, description=IS_NULL)


@strawberry.input(description="Conditions on an amount; all given must hold.")
class DecimalFilter:
    eq: Decimal | None = None
    ne: Decimal | None = strawberry.field(default=None, description=NE)
    lt: Decimal | None = None
    lte: Decimal | None = None
    gt: Decimal | None = None
    gte: Decimal | None = None
    in_: list[Decimal] | None = _in()
    is_null: bool | None = strawberry.field(default=None, description=IS_NULL)


AND = "Every one of these holds."
OR = "At least one of these holds (an empty list: none does)."
NOT = "This does not hold."
CUSTOM = ("Conditions on the organisation's custom fields of this type (`customFieldDefinitions`); "
          "every one holds. Combine them with and, or and not like any other field.")
def _some(what: str, how: str = "") -> str:
    return f"Has at least one {what} you may read{how} that matches."


@strawberry.input(description="A condition on accounts (R-QRY-1): every given field holds.")
class AccountWhere:
    and_: list[AccountWhere] | None = strawberry.field(default=None, name="and", description=AND)
    or_: list[AccountWhere] | None = strawberry.field(default=None, name="or", description=OR)
    not_: AccountWhere | None = strawberry.field(default=None, name="not", description=NOT)
    id: IdFilter | None = None
    name: StringFilter | None = None
    state: StringFilter | None = strawberry.field(default=None, description="ACTIVE or INACTIVE.")
    owner: IdFilter | None = strawberry.field(default=None, description="A user's or team's id.")
    created_on: DateTimeFilter | None = None
    modified_on: DateTimeFilter | None = None
    email: StringFilter | None = None
    city: StringFilter | None = None
    industry: StringFilter | None = None
    website: StringFilter | None = None
    parent_account: IdFilter | None = None
    custom_fields: list[CustomFieldCondition] | None = strawberry.field(default=None, description=CUSTOM)
    contacts: ContactWhere | None = strawberry.field(default=None, description=_some("contact"))
    opportunities: OpportunityWhere | None = strawberry.field(
        default=None, description=_some("opportunity", " (whose customer it is)"))
    cases: CaseWhere | None = strawberry.field(default=None, description=_some("case", " (whose customer it is)"))


@strawberry.input(description="A condition on contacts (R-QRY-1): every given field holds.")
class ContactWhere:
    and_: list[ContactWhere] | None = strawberry.field(default=None, name="and", description=AND)
    or_: list[ContactWhere] | None = strawberry.field(default=None, name="or", description=OR)
    not_: ContactWhere | None = strawberry.field(default=None, name="not", description=NOT)
    id: IdFilter | None = None
    name: StringFilter | None = strawberry.field(default=None, description="The full name.")
    state: StringFilter | None = strawberry.field(default=None, description="ACTIVE or INACTIVE.")
    owner: IdFilter | None = None
    created_on: DateTimeFilter | None = None
    modified_on: DateTimeFilter | None = None
    email: StringFilter | None = None
    city: StringFilter | None = None
    first_name: StringFilter | None = None
    last_name: StringFilter | None = None
    job_title: StringFilter | None = None
    custom_fields: list[CustomFieldCondition] | None = strawberry.field(default=None, description=CUSTOM)
    account: AccountWhere | None = strawberry.field(
        default=None, description="Its account, when you may read it, matches.")


@strawberry.input(description="A condition on leads (R-QRY-1): every given field holds.")
class LeadWhere:
    and_: list[LeadWhere] | None = strawberry.field(default=None, name="and", description=AND)
    or_: list[LeadWhere] | None = strawberry.field(default=None, name="or", description=OR)
    not_: LeadWhere | None = strawberry.field(default=None, name="not", description=NOT)
    id: IdFilter | None = None
    name: StringFilter | None = strawberry.field(default=None, description="The person's full name.")
    state: EnumFilter[LeadState] | None = None
    owner: IdFilter | None = None
    created_on: DateTimeFilter | None = None
    modified_on: DateTimeFilter | None = None
    email: StringFilter | None = None
    city: StringFilter | None = None
    first_name: StringFilter | None = None
    last_name: StringFilter | None = None
    job_title: StringFilter | None = None
    topic: StringFilter | None = None
    company_name: StringFilter | None = None
    source: EnumFilter[LeadSource] | None = None


@strawberry.input(description="A condition on opportunities (R-QRY-1): every given field holds.")
class OpportunityWhere:
    and_: list[OpportunityWhere] | None = strawberry.field(default=None, name="and", description=AND)
    or_: list[OpportunityWhere] | None = strawberry.field(default=None, name="or", description=OR)
    not_: OpportunityWhere | None = strawberry.field(default=None, name="not", description=NOT)
    id: IdFilter | None = None
    name: StringFilter | None = strawberry.field(default=None, description="The topic.")
    state: EnumFilter[OpportunityState] | None = None
    owner: IdFilter | None = None
    created_on: DateTimeFilter | None = None
    modified_on: DateTimeFilter | None = None
    estimated_revenue: DecimalFilter | None = None
    estimated_close_date: DateFilter | None = None
    probability: IntFilter | None = None
    customer: IdFilter | None = strawberry.field(default=None, description="An account's or contact's id.")


@strawberry.input(description="A condition on cases (R-QRY-1): every given field holds.")
class CaseWhere:
    and_: list[CaseWhere] | None = strawberry.field(default=None, name="and", description=AND)
    or_: list[CaseWhere] | None = strawberry.field(default=None, name="or", description=OR)
    not_: CaseWhere | None = strawberry.field(default=None, name="not", description=NOT)
    id: IdFilter | None = None
    name: StringFilter | None = strawberry.field(default=None, description="The title.")
    state: EnumFilter[CaseState] | None = None
    owner: IdFilter | None = None
    created_on: DateTimeFilter | None = None
    modified_on: DateTimeFilter | None = None
    priority: EnumFilter[Priority] | None = None
    origin: EnumFilter[CaseOrigin] | None = None
    resolve_by: DateTimeFilter | None = None
    customer: IdFilter | None = strawberry.field(default=None, description="An account's or contact's id.")


@strawberry.input(description="A condition on a record of any type (what an activity is regarding).")
class RecordWhere:
    and_: list[RecordWhere] | None = strawberry.field(default=None, name="and", description=AND)
    or_: list[RecordWhere] | None = strawberry.field(default=None, name="or", description=OR)
    not_: RecordWhere | None = strawberry.field(default=None, name="not", description=NOT)
    id: IdFilter | None = None
    record_type: EnumFilter[RecordType] | None = None
    name: StringFilter | None = None
    state: StringFilter | None = None
    owner: IdFilter | None = None
    created_on: DateTimeFilter | None = None
    modified_on: DateTimeFilter | None = None


@strawberry.input(description="A condition on activities (R-QRY-1): every given field holds.")
class ActivityWhere:
    and_: list[ActivityWhere] | None = strawberry.field(default=None, name="and", description=AND)
    or_: list[ActivityWhere] | None = strawberry.field(default=None, name="or", description=OR)
    not_: ActivityWhere | None = strawberry.field(default=None, name="not", description=NOT)
    id: IdFilter | None = None
    type: EnumFilter[ActivityType] | None = None
    state: EnumFilter[ActivityState] | None = None
    priority: EnumFilter[Priority] | None = None
    subject: StringFilter | None = None
    due: DateTimeFilter | None = None
    created_on: DateTimeFilter | None = None
    modified_on: DateTimeFilter | None = None
    owner: IdFilter | None = None
    regarding: RecordWhere | None = strawberry.field(
        default=None, description="The record it is about, when you may read it, matches.")


@strawberry.input(description="A condition on a timeline's entries (R-QRY-1): every given field holds.")
class TimelineWhere:
    and_: list[TimelineWhere] | None = strawberry.field(default=None, name="and", description=AND)
    or_: list[TimelineWhere] | None = strawberry.field(default=None, name="or", description=OR)
    not_: TimelineWhere | None = strawberry.field(default=None, name="not", description=NOT)
    type: EnumFilter[TimelineEntryType] | None = None
    state: EnumFilter[ActivityState] | None = strawberry.field(
        default=None, description="An activity's state; a note has none.")
    owner: IdFilter | None = None
    date: DateTimeFilter | None = strawberry.field(default=None, description="The date the timeline sorts by.")
    activity: ActivityWhere | None = strawberry.field(
        default=None, description="The entry is an activity you may read that matches (notes never do).")
