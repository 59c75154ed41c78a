"""Documents Strawberry has parsed and validated in this process (for the compiled read path).

The compiled read path (server/compiled_reads.py) plans only documents this process has
already seen pass every check Strawberry runs before execution: parsing, validation with
the shape rule, token limit and introspection rule, and the cost limit. The extension
below records them, after those checks and just before the first execution; a document
is first answered by Strawberry, and compiled from its second request on. The cost limit
depends on variables and is checked again for every compiled request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

DOCUMENTS_MAX = 512


class ValidatedDocuments:
    """(query text, operation name) → the parsed document; least recently used out."""

    def __init__(self, size: int = DOCUMENTS_MAX) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str | None], Any] = OrderedDict()

    def get(self, query: str, operation_name: str | None) -> Any:
        return self._items.get((query, operation_name))

    def add(self, query: str, operation_name: str | None, document: Any) -> None:
        key = (query, operation_name)
        if key in self._items:
            return
        self._items[key] = document
        if len(self._items) > self.size:
            self._items.popitem(last=False)


class RememberValidated(SchemaExtension):
    """Runs only when execution starts, i.e. after every pre-execution check passed."""

    def __init__(self, *, documents: ValidatedDocuments) -> None:
        super().__init__()
        self.documents = documents

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if (isinstance(context.query, str) and context.graphql_document is not None
                and context.operation_type == OperationType.QUERY):
            # The name the request gave (None for a one-operation document), as the compiled
            # path will look it up; `operation_name` would fill in the document's own.
            provided = getattr(context, "_provided_operation_name", context.operation_name)
            self.documents.add(context.query, provided, context.graphql_document)
        yield
