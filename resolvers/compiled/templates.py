"""Statements built once per viewer and shape, their per-request values bound by position.

Building a page's statements with SQLAlchemy (the scope predicate, the filter, the keyset
bounds) and deriving its cache key cost more CPU than everything else a compiled request
does. For one viewer's scope and one *shape* of request (the filter, the order, the page
size, whether there is a cursor) the statements differ only in a few values: the record
id, the owner ids, the cursor's position. So they are built once with unique stand-in
values (sentinels), compiled, and the positions where each stand-in lands among the
bound arguments are noted; a later request of that shape copies the arguments and puts
its own values (through the same bind processors) at those positions.

A stand-in that lands nowhere (a value rendered into the SQL, or derived before binding)
makes the template unusable: that shape is then built per request, as before.
"""

from __future__ import annotations

import itertools
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.raw_reads import Prepared, RawReads

TEMPLATES_MAX = 4096
_counter = itertools.count(1)


def sentinel_like(value: Any) -> Any:
    """A unique value of `value`'s kind, or None when the kind cannot be stood in for."""
    n = next(_counter)
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return datetime(2999, 1, 1, tzinfo=UTC) + timedelta(microseconds=n)
    return None


@dataclass(frozen=True)
class _Template:
    scope: Any  # held so the scope's id in the key cannot be reused while this lives
    statements: list[Prepared] | None
    # per statement: (argument index, value index) pairs
    slots: list[list[tuple[int, int]]]


class Templates:
    def __init__(self, reads: RawReads) -> None:
        self.reads = reads
        self._items: OrderedDict[Any, _Template] = OrderedDict()

    def prepared(self, key: Any, scope: Any, values: Sequence[Any],
                 build: Callable[[Sequence[Any]], list[Any]]) -> list[Prepared]:
        """The statements `build(values)` would give, prepared to run."""
        full_key = (key, id(scope))
        template = self._items.get(full_key)
        if template is None or template.scope is not scope:
            template = self._make(scope, values, build)
            self._items[full_key] = template
            if len(self._items) > TEMPLATES_MAX:
                self._items.popitem(last=False)
        if template.statements is None:
            return [self.reads.prepare(s) for s in build(values)]
        found = []
        for statement, slots in zip(template.statements, template.slots, strict=True):
            args = list(statement.args)
            for at, which in slots:
                bind = statement.binds[at]
                value = values[which]
                args[at] = bind(value) if bind is not None and value is not None else value
            found.append(Prepared(statement.sql, args, statement.binds, statement.processors))
        return found

    def _make(self, scope: Any, values: Sequence[Any], build: Callable[[Sequence[Any]], list[Any]]) -> _Template:
        stand_ins = [sentinel_like(v) for v in values]
        if any(s is None for s in stand_ins):
            return _Template(scope, None, [])
        statements = [self.reads.prepare(s) for s in build(stand_ins)]
        slots: list[list[tuple[int, int]]] = []
        landed: set[int] = set()
        for statement in statements:
            mine = []
            for at, arg in enumerate(statement.args):
                for which, stand_in in enumerate(stand_ins):
                    if _same(arg, statement.binds[at], stand_in):
                        mine.append((at, which))
                        landed.add(which)
            slots.append(mine)
        if len(landed) != len(stand_ins):
            return _Template(scope, None, [])
        return _Template(scope, statements, slots)


def _same(arg: Any, bind: Callable[[Any], Any] | None, stand_in: Any) -> bool:
    try:
        return bool(arg == (bind(stand_in) if bind is not None else stand_in))
    except Exception:  # a processor for another kind of value
        return False
