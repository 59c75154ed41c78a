"""Keeping the garbage collector off the objects that live as long as the process.

An import allocates millions of short-lived objects (cells, rows, parameters), so Python's
collector runs its full pass every few seconds, and each full pass walks every tracked
object in the process: the modules, the GraphQL schema, SQLAlchemy's metadata and caches,
about 160,000 objects, ~100 ms a pass. At 100,000 rows that was a tenth of the import.
`gc.freeze()` sets the objects that exist when the import starts aside (they are kept,
just not walked), and the collector goes on collecting what the import makes.

Imports may overlap (the API serves several at once), so the heap is frozen while at least
one is running and unfrozen when the last one ends. Freezing is about time, not
correctness: a cycle made before an import that becomes garbage during it is collected
after it. Nothing else in Relate freezes the heap; code that did (a freeze after start-up,
say) would be unfrozen by the end of an import.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_running = 0


@contextmanager
def existing_objects_frozen() -> Iterator[None]:
    global _running
    if _running == 0:
        gc.freeze()
    _running += 1
    try:
        yield
    finally:
        _running -= 1
        if _running == 0:
            gc.unfreeze()
