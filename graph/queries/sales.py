"""Reading leads, opportunities and cases: viewer-scoped lists (SPEC §2, §9.1).

Default lists show open records only; `include_inactive` adds the closed states
(qualified/disqualified leads, won/lost deals, resolved/canceled cases), as R-REC-2 hides
deactivated accounts from default views.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, or_, select

from graph.models import Case, Lead, Opportunity, Record
from graph.queries.records import readable
from graph.rules.access import Scope
from graph.rules.sales import OPEN_STATE

records = Record.__table__


@dataclass(frozen=True)
class SalesFilter:
    """Every given condition must hold; conditions that do not apply to a type are ignored."""

    text: str | None = None
    owner_ids: Sequence[uuid.UUID] | None = None
    states: Sequence[str] | None = None
    include_inactive: bool = False
    customer_id: uuid.UUID | None = None
    sources: Sequence[str] | None = None
    priorities: Sequence[str] | None = None
    origins: Sequence[str] | None = None
    close_after: date | None = None
    close_before: date | None = None


def like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text(record_type: str, text: str) -> ColumnElement[bool]:
    """Lead: name, email, topic, company; opportunity and case: topic or title, i.e. the name."""
    pattern = like(text.strip())
    columns = [records.c.name]
    if record_type == "LEAD":
        columns += [records.c.email, records.c.topic, records.c.company_name]
    return or_(*(c.ilike(pattern, escape="\\") for c in columns))


def list_query(scope: Scope, record_type: str, flt: SalesFilter) -> Select[tuple[Record]]:
    cls = {"LEAD": Lead, "OPPORTUNITY": Opportunity, "CASE": Case}[record_type]
    conditions: list[ColumnElement[bool]] = [readable(scope, record_type)]
    if flt.states:
        conditions.append(Record.state.in_(list(flt.states)))
    elif not flt.include_inactive:
        conditions.append(Record.state == OPEN_STATE[record_type])
    if flt.text and flt.text.strip():
        conditions.append(_text(record_type, flt.text))
    if flt.owner_ids:
        conditions.append(Record.owner_id.in_(list(flt.owner_ids)))
    if flt.customer_id is not None and record_type != "LEAD":
        conditions.append(Record.customer_id == flt.customer_id)
    if flt.sources and record_type == "LEAD":
        conditions.append(records.c.source.in_(list(flt.sources)))
    if record_type == "CASE":
        if flt.priorities:
            conditions.append(records.c.priority.in_(list(flt.priorities)))
        if flt.origins:
            conditions.append(records.c.origin.in_(list(flt.origins)))
    if record_type == "OPPORTUNITY":
        if flt.close_after is not None:
            conditions.append(records.c.estimated_close_date >= flt.close_after)
        if flt.close_before is not None:
            conditions.append(records.c.estimated_close_date <= flt.close_before)
    return select(cls).where(*conditions)
