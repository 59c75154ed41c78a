"""Inputs of the reports (R-RPT-1)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from schema.types.activities import ActivityType
from schema.types.reports import ActivityReportGroup, ReportPeriod
from schema.types.sales import OpportunityState


@strawberry.input(description="Which activities to count (all given conditions hold) and how to group them.")
class ActivityReportFilter:
    record_id: strawberry.ID | None = strawberry.field(
        default=None, description="A record's roll-up: the activities its timeline shows."
    )
    team_id: strawberry.ID | None = strawberry.field(default=None, description="Owned by the team or one of its members.")
    owner_ids: list[strawberry.ID] | None = None
    types: list[ActivityType] | None = None
    from_: datetime | None = strawberry.field(default=None, name="from", description="Created at or after.")
    to: datetime | None = strawberry.field(default=None, description="Created before.")
    group_by: list[ActivityReportGroup] = strawberry.field(default_factory=lambda: [ActivityReportGroup.TYPE])
    period: ReportPeriod = ReportPeriod.MONTH


@strawberry.input(description="Which opportunities to sum; every given condition must hold.")
class PipelineReportFilter:
    owner_ids: list[strawberry.ID] | None = None
    team_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    states: list[OpportunityState] | None = None
    close_from: date | None = None
    close_to: date | None = None
