"""Counting the SQL statements a block of code sends (transaction control excluded)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from graph.db import Database

IGNORED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE", "SET ")


class SqlCounter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.statements: list[str] = []

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(IGNORED):
            self.statements.append(statement)

    def _on_raw(self, statement: str) -> None:
        self._on_execute(None, None, statement)

    @contextmanager
    def count(self) -> Iterator[list[str]]:
        self.statements = []
        for engine in self.db.engines:
            event.listen(engine.sync_engine, "before_cursor_execute", self._on_execute)
        # Statements of the compiled read path's raw connection (graph/raw_reads.py) count too.
        self.db.statement_listeners.append(self._on_raw)
        try:
            yield self.statements
        finally:
            self.db.statement_listeners.remove(self._on_raw)
            for engine in self.db.engines:
                event.remove(engine.sync_engine, "before_cursor_execute", self._on_execute)
