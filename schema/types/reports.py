"""Aggregates for analysts (R-RPT-1): activity counts and the opportunity pipeline."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from enum import Enum

import strawberry

from resolvers.context import Info, now_or_later
from schema.types.activities import ActivityState, ActivityType
from schema.types.principals import Principal


@strawberry.enum
class ActivityReportGroup(Enum):
    TYPE = "TYPE"
    STATE = "STATE"
    OWNER = "OWNER"
    PERIOD = "PERIOD"


@strawberry.enum(description="Calendar day, ISO week (from Monday) or month, in UTC.")
class ReportPeriod(Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@strawberry.type(description="One group of activities; fields not grouped by are null.")
class ActivityReportRow:
    owner_raw_id: strawberry.Private[uuid.UUID | None]
    type: ActivityType | None
    state: ActivityState | None
    owner_id: strawberry.ID | None
    period: date | None = strawberry.field(description="The first day of the period (day, week or month).")
    count: int

    @strawberry.field
    def owner(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.owner_raw_id)


@strawberry.type
class ActivityReport:
    rows: list[ActivityReportRow]
    total: int = strawberry.field(description="All activities counted, the sum of the rows.")


@strawberry.type(description="Opportunities of one state closing in one month (null: no estimated close date).")
class PipelineReportRow:
    state: str
    close_month: date | None
    count: int
    estimated_revenue: Decimal
    weighted_revenue: Decimal = strawberry.field(
        description="The sum of revenue × probability / 100; a deal without a probability adds nothing."
    )


@strawberry.type
class PipelineReport:
    rows: list[PipelineReportRow]
    count: int
    estimated_revenue: Decimal
    weighted_revenue: Decimal
