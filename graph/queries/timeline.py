"""Reading a timeline (R-TL-1, R-TL-2, R-TL-3, DESIGN §2 and §4).

Roll-up was resolved when entries were written, so a page is ONE statement: an indexed
range scan over `timeline_entries(record_id, sort_key, entry_id)`, LEFT JOINed to
`activities` and `notes`, with the viewer's read predicate on the copied owner/unit
columns, wrapped so that the same statement also says whether the record exists and may
be read (no extra lookup). Counts are one more statement: from `timeline_counts` when the
filter narrows only by type, state or owner (exact, and cheap at any size); from the
entries, stopping at a cap, when it narrows by text or date, or when EXTENDED has to
drop entries shown on several records of the tree.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from graph.models import Activity, Note, Record, TimelineCount, TimelineEntry
from graph.queries.json_rows import rows_as_json
from graph.queries.keyset import SortKey
from graph.queries.paging import PageRequest
from graph.queries.records import readable_any
from graph.queries.sharing import shared_with
from graph.rules.access import Scope
from graph.rules.errors import not_found
from graph.rules.rollup import DIRECT, RELATED

NOTE = "NOTE"
ROLLUPS = ("NONE", "RELATED", "EXTENDED")
DEFAULT_COUNT_CAP = 10_000
# Newest first; the entry id breaks ties so the order is total and cursors are exact.
KEYS = [SortKey("DATE", TimelineEntry.sort_key, True), SortKey("ENTRY", TimelineEntry.entry_id, True)]

TE = TimelineEntry
records = Record.__table__


@dataclass(frozen=True)
class TimelineFilter:
    """Every given condition must hold; empty lists and blank text narrow nothing."""

    types: frozenset[str] = frozenset()
    states: frozenset[str] = frozenset()
    owner_ids: frozenset[uuid.UUID] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    # A rich filter (R-QRY-1) on the entries, translated by `filter_fields.where("TIMELINE", …)`.
    where: ColumnElement[bool] | None = field(default=None, compare=False)

    @property
    def counts_are_kept(self) -> bool:
        """Narrowed only by type, state or owner: `timeline_counts` has the answer."""
        return self.since is None and self.until is None and not self.text and self.where is None


@dataclass(frozen=True)
class TimelineRow:
    entry_id: uuid.UUID
    sort_key: datetime
    entry_type: str
    relation: str
    activity: Activity | None
    note: Note | None


@dataclass(frozen=True)
class TimelinePage:
    rows: list[TimelineRow]
    has_next: bool
    has_previous: bool


@dataclass(frozen=True)
class TimelineCounts:
    """Counts of the entries the filter matches; when not exact, every number is a lower bound."""

    total: int
    is_exact: bool
    by_type: dict[str, int]
    # Activities only: a note has no state.
    by_state: dict[str, int]


def readable_entries(scope: Scope, entry_type: Any, owner: Any, unit: Any) -> ColumnElement[bool]:
    """Activities and notes have their own read privileges (R-SEC-1), checked on the
    owner and unit copied into the index, so no join is needed to filter."""
    if scope.reads_alike("activity", "note"):
        return scope.read_filter("activity", owner, unit)
    return or_(
        and_(entry_type != NOTE, scope.read_filter("activity", owner, unit)),
        and_(entry_type == NOTE, scope.read_filter("note", owner, unit)),
    )


def _narrowing(model: Any, scope: Scope, flt: TimelineFilter, rollup: str) -> list[ColumnElement[bool]]:
    """Conditions on the columns `timeline_entries` and `timeline_counts` share."""
    found = [or_(readable_entries(scope, model.entry_type, model.owner_id, model.owning_business_unit_id),
                 shared_with(scope, model.record_id))]
    if rollup == "NONE":
        found.append(model.relation == DIRECT)
    if flt.types:
        found.append(model.entry_type.in_(sorted(flt.types)))
    if flt.states:
        found.append(model.state.in_(sorted(flt.states)))
    if flt.owner_ids:
        found.append(model.owner_id.in_(sorted(flt.owner_ids)))
    return found


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _scan(scope: Scope, record_id: uuid.UUID, flt: TimelineFilter, rollup: str, columns: Sequence[Any]) -> Select[Any]:
    """The entries of the timeline, filtered; EXTENDED keeps one row per entry."""
    query = select(*columns)
    conditions = _narrowing(TE, scope, flt, rollup)
    if flt.since is not None:
        conditions.append(TE.sort_key >= flt.since)
    if flt.until is not None:
        conditions.append(TE.sort_key < flt.until)
    if flt.where is not None:
        conditions.append(flt.where)
    if flt.text:
        a, n = aliased(Activity), aliased(Note)
        pattern = _like(flt.text)
        query = query.select_from(TE).outerjoin(a, a.id == TE.activity_id).outerjoin(n, n.id == TE.note_id)
        conditions.append(or_(*(c.ilike(pattern, escape="\\") for c in (a.subject, a.description, n.title, n.text))))
    if rollup == "EXTENDED":
        return query.where(TE.record_id.in_(select(record_tree(record_id).c.id)), *conditions).group_by(
            TE.entry_id, TE.sort_key, TE.entry_type, TE.state, TE.activity_id, TE.note_id,
        )
    return query.where(TE.record_id == record_id, *conditions)


def record_tree(record_id: uuid.UUID) -> Any:
    """The record and every account below it (parent_account_id), for EXTENDED roll-up.

    UNION, not UNION ALL: a cycle written by mistake ends instead of looping.
    """
    tree = select(records.c.id).where(records.c.id == record_id).cte("tree", recursive=True)
    return tree.union(select(records.c.id).where(records.c.parent_account_id == tree.c.id))


def _record_is_readable(scope: Scope, record_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [records.c.id == record_id, readable_any(scope)]


def _relation_column(record_id: uuid.UUID, rollup: str) -> Any:
    """DIRECT when the entry is about the record itself; rows from the tree are RELATED."""
    if rollup != "EXTENDED":
        return TE.relation
    return func.min(case((TE.record_id == record_id, TE.relation), else_=literal(RELATED)))


def page_statement(
    scope: Scope, record_id: uuid.UUID, flt: TimelineFilter, rollup: str, request: PageRequest,
    *shown: Any,
) -> Select[Any]:
    """The page's one statement: the record (no row: missing or not readable), LEFT JOINed
    to its entries, each with `shown` of its activity and note (by default the ORM rows;
    the compiled read path, resolvers/compiled, names only the columns it shows)."""
    backwards = request.last is not None and request.first is None
    size = (request.last if backwards else request.first) or 0
    columns = [TE.entry_id, TE.sort_key, TE.entry_type, _relation_column(record_id, rollup).label("relation"),
               TE.activity_id, TE.note_id]
    inner = _scan(scope, record_id, flt, rollup, columns)
    position = tuple_(TE.sort_key, TE.entry_id)
    # The plain bound on sort_key lets every planner narrow the index range, not only
    # those that understand row-value comparisons.
    if request.after is not None:
        inner = inner.where(TE.sort_key <= request.after[0], position < tuple_(*_typed(request.after)))
    if request.before is not None:
        inner = inner.where(TE.sort_key >= request.before[0], position > tuple_(*_typed(request.before)))
    newest_first = not backwards
    order = (TE.sort_key.desc(), TE.entry_id.desc()) if newest_first else (TE.sort_key.asc(), TE.entry_id.asc())
    page = inner.order_by(*order).limit(size + 1).subquery("page")
    outer_order = ((page.c.sort_key.desc(), page.c.entry_id.desc()) if newest_first
                   else (page.c.sort_key.asc(), page.c.entry_id.asc()))
    return (
        select(records.c.id, page.c.entry_id, page.c.sort_key, page.c.entry_type, page.c.relation,
               *(shown or (Activity, Note)))
        .select_from(records)
        .outerjoin(page, true())
        .outerjoin(Activity, Activity.id == page.c.activity_id)
        .outerjoin(Note, Note.id == page.c.note_id)
        .where(*_record_is_readable(scope, record_id))
        .order_by(*outer_order)
    )


def page_window(result: Sequence[Any], request: PageRequest, present: Callable[[Any], bool]) -> tuple[list[Any], bool, bool]:
    """The page's rows (those `present` says have their activity or note), whether there is a
    next and a previous page, from the rows `page_statement` read (at least the record's).
    Raises NOT_FOUND for no row: the record is missing or not readable."""
    if not result:
        raise not_found("record", ["recordId"])
    backwards = request.last is not None and request.first is None
    size = (request.last if backwards else request.first) or 0
    rows = [row for row in result if row[1] is not None and present(row)]
    more = len([r for r in result if r[1] is not None]) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        return rows, request.before is not None, more
    return rows, more, request.after is not None


async def timeline_page(
    session: AsyncSession, scope: Scope, record_id: uuid.UUID, flt: TimelineFilter, rollup: str,
    request: PageRequest,
) -> TimelinePage:
    """One page, newest first; NOT_FOUND for a record that is missing or not readable."""
    result = (await session.execute(page_statement(scope, record_id, flt, rollup, request))).all()
    rows, has_next, has_previous = page_window(result, request, lambda r: r[5] is not None or r[6] is not None)
    return TimelinePage([TimelineRow(entry_id, sort_key, entry_type, relation, activity, note)
                         for _, entry_id, sort_key, entry_type, relation, activity, note in rows],
                        has_next=has_next, has_previous=has_previous)


def _typed(position: Sequence[Any]) -> list[Any]:
    """Cursor values bound with their columns' types (UTC datetimes, uuids)."""
    return [literal(position[0], TE.sort_key.type), literal(position[1], TE.entry_id.type)]


def counts_statement(
    scope: Scope, record_id: uuid.UUID, flt: TimelineFilter, rollup: str, cap: int = DEFAULT_COUNT_CAP,
) -> tuple[Select[Any], int | None]:
    """The counts' one statement, rows of (type, state, count), and the cap to tally them
    with (`tally`): None when they come exact from `timeline_counts`."""
    readable_record = exists(select(records.c.id).where(*_record_is_readable(scope, record_id)))
    if flt.counts_are_kept and rollup != "EXTENDED":
        c = TimelineCount
        statement = (
            select(c.entry_type, c.state, func.sum(c.count))
            .where(c.record_id == record_id, readable_record, *_narrowing(c, scope, flt, rollup))
            .group_by(c.entry_type, c.state)
        )
        return statement, None
    inner = (
        _scan(scope, record_id, flt, rollup, [TE.entry_type, TE.state])
        .where(readable_record)
        .order_by(TE.sort_key.desc(), TE.entry_id.desc())
        .limit(cap + 1)
        .subquery("counted")
    )
    return select(inner.c.entry_type, inner.c.state, func.count()).group_by(inner.c.entry_type, inner.c.state), cap


def counts_column(scope: Scope, record_id: uuid.UUID, flt: TimelineFilter, rollup: str) -> Any:
    """The counts' statement as one column of another statement (the page's: one round
    trip for both), its rows as a JSON array (graph/queries/json_rows.py); `tally` them
    with `counts_statement`'s cap after `json_rows.decoded`."""
    statement, _ = counts_statement(scope, record_id, flt, rollup)
    return rows_as_json(statement, "grouped_counts").label("counts")


async def timeline_counts(
    session: AsyncSession, scope: Scope, record_id: uuid.UUID, flt: TimelineFilter, rollup: str,
    cap: int = DEFAULT_COUNT_CAP,
) -> TimelineCounts:
    """Counts per type and state in one statement, never of entries the viewer may not read."""
    statement, tally_cap = counts_statement(scope, record_id, flt, rollup, cap)
    return tally(list(await session.execute(statement)), tally_cap)


def tally(rows: Sequence[Any], cap: int | None) -> TimelineCounts:
    """The counts from the rows of `counts_statement`."""
    return _tally([(t, s, int(n or 0)) for t, s, n in rows], cap=cap)


def _tally(groups: list[tuple[str, str, int]], cap: int | None) -> TimelineCounts:
    """Sum the groups; past the cap, report "at least cap" with every bucket a lower bound."""
    buckets = Counter({(t, s): n for t, s, n in groups if n > 0})
    total = sum(buckets.values())
    exact = cap is None or total <= cap
    if not exact:
        assert cap is not None
        # The scan stopped one row past the cap; take that row off the largest bucket so
        # the buckets still add up to the total (each stays a lower bound).
        largest = max(buckets, key=lambda k: (buckets[k], k))
        buckets[largest] -= total - cap
        total = cap
    by_type: Counter[str] = Counter()
    by_state: Counter[str] = Counter()
    for (entry_type, state), n in buckets.items():
        by_type[entry_type] += n
        if entry_type != NOTE:
            by_state[state] += n
    return TimelineCounts(
        total=total, is_exact=exact,
        by_type={k: v for k, v in sorted(by_type.items()) if v > 0},
        by_state={k: v for k, v in sorted(by_state.items()) if v > 0},
    )
