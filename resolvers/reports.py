"""Root operations for the reports (R-RPT-1): filters in, one aggregate query, rows out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from graph.queries import reports as queries
from graph.rules.errors import DomainError, ErrorCode
from resolvers.context import Info
from resolvers.filters import where_predicate
from resolvers.ids import decode_ids, to_global_id
from resolvers.inputs import decode_optional
from schema.inputs.filters import ActivityWhere, OpportunityWhere
from schema.inputs.reports import ActivityReportFilter, PipelineReportFilter
from schema.types.activities import ActivityState, ActivityType
from schema.types.reports import ActivityReport, ActivityReportRow, PipelineReport, PipelineReportRow
from schema.types.timeline import RollupType

OWNERS = {"User", "Team"}
RECORDS = {"Account", "Contact", "Lead", "Opportunity", "Case"}


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise DomainError(ErrorCode.VALIDATION, f"'{name}' needs a time zone (e.g. 2025-01-01T00:00:00Z)",
                          ("filter", name))
    return value


async def activity_report(
    info: Info, filter: ActivityReportFilter,
    rollup: Annotated[RollupType, strawberry.argument(
        description="With filter.recordId: which of the record's timeline entries count, as timeline(rollup) "
                    "shows them (R-TL-2).")] = RollupType.RELATED,
    where: Annotated[ActivityWhere | None, strawberry.argument(
        description="Count only the activities that match, as `activities(where:)` lists them (R-QRY-1).")] = None,
) -> ActivityReport:
    scope = info.context.scope
    request = queries.ActivityReportRequest(
        record_id=decode_optional(filter.record_id, RECORDS, ("filter", "recordId")),
        team_id=decode_optional(filter.team_id, {"Team"}, ("filter", "teamId")),
        owner_ids=decode_ids(filter.owner_ids, OWNERS, ("filter", "ownerIds")) if filter.owner_ids else None,
        types=[t.value for t in filter.types] if filter.types else None,
        created_from=_aware(filter.from_, "from"), created_to=_aware(filter.to, "to"),
        group_by=[g.value for g in filter.group_by], period=filter.period.value, rollup=rollup.value,
        where=where_predicate(where, scope),
    )
    async with info.context.db.read() as session:
        found = await queries.activity_report(session, scope, request)
    owner_ids = [r.owner_id for r in found if r.owner_id is not None]
    if owner_ids:
        await info.context.loaders.principal_by_id.load_many(list(dict.fromkeys(owner_ids)))
    rows = [
        ActivityReportRow(
            owner_raw_id=r.owner_id,
            type=ActivityType(r.type) if r.type else None,
            state=ActivityState(r.state) if r.state else None,
            owner_id=strawberry.ID(to_global_id("Team" if r.owner_kind == "team" else "User", r.owner_id))
            if r.owner_id else None,
            period=r.period, count=r.count,
        )
        for r in found
    ]
    return ActivityReport(rows=rows, total=sum(r.count for r in rows))


async def pipeline_report(
    info: Info, filter: PipelineReportFilter | None = None,
    where: Annotated[OpportunityWhere | None, strawberry.argument(
        description="Sum only the opportunities that match, as `opportunities(where:)` lists them (R-QRY-1).")] = None,
) -> PipelineReport:
    scope = info.context.scope
    f = filter or PipelineReportFilter()
    request = queries.PipelineRequest(
        owner_ids=decode_ids(f.owner_ids, OWNERS, ("filter", "ownerIds")) if f.owner_ids else None,
        team_id=decode_optional(f.team_id, {"Team"}, ("filter", "teamId")),
        customer_id=decode_optional(f.customer_id, {"Account", "Contact"}, ("filter", "customerId")),
        states=[s.value for s in f.states] if f.states else None,
        close_from=f.close_from, close_to=f.close_to, where=where_predicate(where, scope),
    )
    async with info.context.db.read() as session:
        found = await queries.pipeline_report(session, scope, request)
    rows = [
        PipelineReportRow(state=r.state, close_month=r.close_month, count=r.count,
                          estimated_revenue=r.estimated_revenue, weighted_revenue=r.weighted_revenue)
        for r in found
    ]
    return PipelineReport(
        rows=rows, count=sum(r.count for r in rows),
        estimated_revenue=sum((r.estimated_revenue for r in rows), Decimal("0.00")),
        weighted_revenue=sum((r.weighted_revenue for r in rows), Decimal("0.00")),
    )
