"""Running a keyset page forwards (`first/after`) or backwards (`last/before`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.queries.keyset import SortKey, after

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: Sequence[Any] | None = None
    last: int | None = None
    before: Sequence[Any] | None = None


@dataclass
class Page(Generic[T]):
    rows: list[T]
    has_next: bool
    has_previous: bool
    keys: list[SortKey]


def page_statement(query: Select[Any], keys: list[SortKey], request: PageRequest) -> Select[Any]:
    """`query` narrowed to the requested page and one row more (which says whether there is
    another page), in the page's order: the statement `fetch_page` runs, and the compiled
    read path too (resolvers/compiled)."""
    backwards = request.last is not None and request.first is None
    size = (request.last if backwards else request.first) or 0
    order = [k.flipped() for k in keys] if backwards else keys
    if request.after is not None:
        query = query.where(after(keys, request.after))
    if request.before is not None:
        query = query.where(after([k.flipped() for k in keys], request.before))
    return query.order_by(*(k.clause() for k in order)).limit(size + 1)


def page_of(rows: list[Any], keys: list[SortKey], request: PageRequest) -> Page[Any]:
    """The page in the rows `page_statement` read: the extra row cut off, in the list's order."""
    backwards = request.last is not None and request.first is None
    size = (request.last if backwards else request.first) or 0
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        return Page(rows, request.before is not None, more, keys)
    return Page(rows, more, request.after is not None, keys)


async def fetch_page(
    session: AsyncSession, query: Select[Any], keys: list[SortKey], request: PageRequest,
    *, scalars: bool = True,
) -> Page[Any]:
    result = await session.execute(page_statement(query, keys, request))
    return page_of(list(result.scalars() if scalars else result.all()), keys, request)


def count_statement(query: Select[Any]) -> Select[Any]:
    return select(func.count()).select_from(query.order_by(None).subquery())


async def count(session: AsyncSession, query: Select[Any]) -> int:
    return int(await session.scalar(count_statement(query)) or 0)


def position(row: Any, keys: Sequence[SortKey], value_of: Callable[[Any, SortKey], Any] | None = None) -> list[Any]:
    get = value_of or (lambda r, k: getattr(r, k.column.key))
    return [get(row, k) for k in keys]
