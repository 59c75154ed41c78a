"""Aggregates for analysts (R-RPT-1): activity counts and the opportunity pipeline.

Both are one GROUP BY statement with the viewer's read predicate in its WHERE clause, so
nothing the viewer may not read is counted (R-SEC-1). A record's roll-up comes from the
timeline index (`timeline_entries`), the same rows its timeline shows (R-TL-2).
Periods are calendar days, ISO weeks (starting Monday) and months, in UTC.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, DateTime, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import Activity, Principal, Record, TeamMember, TimelineEntry
from graph.queries.activities import readable_activities
from graph.queries.records import readable, records_by_id
from graph.queries.timeline import record_tree
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, not_found
from graph.rules.rollup import DIRECT

GROUPS = ("TYPE", "STATE", "OWNER", "PERIOD")
PERIODS = ("DAY", "WEEK", "MONTH")
CENTS = Decimal("0.01")
STATE_ORDER = {"OPEN": 0, "WON": 1, "LOST": 2}
records = Record.__table__


def period_start(dialect: str, column: Any, period: str, *, is_date: bool = False) -> ColumnElement[Any]:
    """The first day of the day/ISO week/month a timestamp or date falls in, as a date.

    The one place SQL differs by database: PostgreSQL truncates, SQLite shifts a date
    string with modifiers. Constants are inlined (not bound) so the same expression can
    be repeated in GROUP BY.
    """
    if period not in PERIODS:
        raise ValueError(period)
    if dialect == "postgresql":
        unit = literal_column(f"'{period.lower()}'")
        value = cast(column, DateTime()) if is_date else column
        return cast(func.date_trunc(unit, value), Date())
    modifiers = {"DAY": [], "WEEK": ["'weekday 0'", "'-6 days'"], "MONTH": ["'start of month'"]}[period]
    return func.date(column, *(literal_column(m) for m in modifiers))


def as_date(value: Any) -> date | None:
    """SQLite hands dates back as text, PostgreSQL as dates."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def money(value: Any, scale: int = 0) -> Decimal:
    """A sum as an exact amount in cents (`scale` powers of 100 to divide out first)."""
    amount = Decimal(str(value or 0)) / (Decimal(100) ** scale)
    return amount.quantize(CENTS, rounding=ROUND_HALF_UP)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


# --- activities -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityReportRequest:
    record_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    owner_ids: Sequence[uuid.UUID] | None = None
    types: Sequence[str] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    group_by: Sequence[str] = ("TYPE",)
    period: str = "MONTH"
    # With `record_id`: which of the record's timeline entries count, as `timeline(rollup)`.
    rollup: str = "RELATED"
    # A rich filter (R-QRY-1), translated by `graph.queries.filter_fields.where("ACTIVITY", …)`.
    where: ColumnElement[bool] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ActivityReportRow:
    type: str | None
    state: str | None
    owner_id: uuid.UUID | None
    owner_kind: str | None
    period: date | None
    count: int


async def _team_owner_ids(session: AsyncSession, team_id: uuid.UUID) -> list[uuid.UUID]:
    """A team's activities: those the team owns and those its members own."""
    kind = await session.scalar(select(Principal.kind).where(Principal.id == team_id))
    if kind != "team":
        raise not_found("team", ("filter", "teamId"))
    members = (await session.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team_id))).all()
    return [team_id, *members]


def _on_timeline(record_id: uuid.UUID, rollup: str) -> Any:
    """The activities the record's timeline shows with this roll-up (R-TL-2), each once:
    NONE only its own, RELATED also what rolls up to it, EXTENDED also the account tree
    below it."""
    entries = select(TimelineEntry.activity_id).where(TimelineEntry.activity_id.is_not(None))
    if rollup == "EXTENDED":
        return entries.where(TimelineEntry.record_id.in_(select(record_tree(record_id).c.id)))
    entries = entries.where(TimelineEntry.record_id == record_id)
    return entries.where(TimelineEntry.relation == DIRECT) if rollup == "NONE" else entries


async def activity_report(session: AsyncSession, scope: Scope, req: ActivityReportRequest) -> list[ActivityReportRow]:
    """Counts of readable activities, grouped as asked (R-RPT-1)."""
    if req.created_from and req.created_to and req.created_to < req.created_from:
        raise DomainError(ErrorCode.VALIDATION, "'to' is before 'from'", ("filter", "to"))
    groups = list(dict.fromkeys(req.group_by))
    expressions: dict[str, Any] = {
        "TYPE": Activity.type,
        "STATE": Activity.state,
        "OWNER": Activity.owner_id,
        "PERIOD": period_start(_dialect(session), Activity.created_on, req.period),
    }
    keys = [expressions[g] for g in groups] + ([Principal.kind] if "OWNER" in groups else [])
    labels = [g.lower() for g in groups] + (["owner_kind"] if "OWNER" in groups else [])
    stmt = select(*(k.label(n) for k, n in zip(keys, labels, strict=True)), func.count().label("count"))
    stmt = stmt.select_from(Activity)
    if "OWNER" in groups:
        stmt = stmt.join(Principal, Principal.id == Activity.owner_id)
    stmt = stmt.where(readable_activities(scope))
    if req.record_id is not None:
        found = await records_by_id(session, scope, [req.record_id])
        if req.record_id not in found:
            raise not_found("record", ("filter", "recordId"))
        stmt = stmt.where(Activity.id.in_(_on_timeline(req.record_id, req.rollup)))
    if req.team_id is not None:
        stmt = stmt.where(Activity.owner_id.in_(await _team_owner_ids(session, req.team_id)))
    if req.owner_ids:
        stmt = stmt.where(Activity.owner_id.in_(list(req.owner_ids)))
    if req.types:
        stmt = stmt.where(Activity.type.in_(list(req.types)))
    if req.created_from is not None:
        stmt = stmt.where(Activity.created_on >= req.created_from)
    if req.created_to is not None:
        stmt = stmt.where(Activity.created_on < req.created_to)
    if req.where is not None:
        stmt = stmt.where(req.where)
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    rows = (await session.execute(stmt)).mappings().all()
    return [
        ActivityReportRow(
            type=r.get("type"), state=r.get("state"), owner_id=r.get("owner"), owner_kind=r.get("owner_kind"),
            period=as_date(r.get("period")), count=int(r["count"]),
        )
        for r in rows
        if r["count"]
    ]


# --- pipeline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineRequest:
    owner_ids: Sequence[uuid.UUID] | None = None
    team_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    states: Sequence[str] | None = None
    close_from: date | None = None
    close_to: date | None = None
    # A rich filter (R-QRY-1), translated by `graph.queries.filter_fields.where("OPPORTUNITY", …)`.
    where: ColumnElement[bool] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PipelineRow:
    state: str
    close_month: date | None
    count: int
    estimated_revenue: Decimal
    weighted_revenue: Decimal


async def pipeline_report(session: AsyncSession, scope: Scope, req: PipelineRequest) -> list[PipelineRow]:
    """Readable opportunities by state and estimated close month: count, revenue, revenue × probability."""
    if req.close_from and req.close_to and req.close_to < req.close_from:
        raise DomainError(ErrorCode.VALIDATION, "'closeTo' is before 'closeFrom'", ("filter", "closeTo"))
    close = records.c.estimated_close_date
    month = period_start(_dialect(session), close, "MONTH", is_date=True).label("close_month")
    revenue = records.c.estimated_revenue
    stmt = (
        select(
            records.c.state.label("state"), month, func.count().label("count"),
            func.sum(revenue).label("revenue"),
            func.sum(revenue * records.c.probability).label("weighted"),
        )
        .where(readable(scope, "OPPORTUNITY"))
    )
    if req.owner_ids:
        stmt = stmt.where(records.c.owner_id.in_(list(req.owner_ids)))
    if req.team_id is not None:
        stmt = stmt.where(records.c.owner_id.in_(await _team_owner_ids(session, req.team_id)))
    if req.customer_id is not None:
        stmt = stmt.where(records.c.customer_id == req.customer_id)
    if req.states:
        stmt = stmt.where(records.c.state.in_(list(req.states)))
    if req.close_from is not None:
        stmt = stmt.where(close >= req.close_from)
    if req.close_to is not None:
        stmt = stmt.where(close <= req.close_to)
    if req.where is not None:
        stmt = stmt.where(req.where)
    stmt = stmt.group_by(records.c.state, month.element)
    rows = (await session.execute(stmt)).mappings().all()
    found = [
        PipelineRow(state=r["state"], close_month=as_date(r["close_month"]), count=int(r["count"]),
                    estimated_revenue=money(r["revenue"]), weighted_revenue=money(r["weighted"], 1))
        for r in rows
    ]
    # Sorted here, not in SQL: the databases disagree on where NULL (no close date) sorts.
    return sorted(found, key=lambda p: (p.close_month is None, p.close_month or date.min, STATE_ORDER.get(p.state, 9)))
