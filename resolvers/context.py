"""Per-request context: the viewer, their scope, fresh loaders, the database.

Loaders cache rows a viewer may read, so they live for one request (or one event of a
subscription) and are never shared between viewers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import GraphQLError
from strawberry.types import Info as StrawberryInfo

from graph.db import Database
from graph.queries.principals import Viewer
from graph.rules.access import Scope
from server.settings import Settings

if TYPE_CHECKING:
    from resolvers.loaders.registry import Loaders

T = TypeVar("T")


class NotAuthenticated(GraphQLError):
    def __init__(self) -> None:
        super().__init__(
            "a valid bearer token is required (Authorization: Bearer <token>)",
            extensions={"code": "UNAUTHENTICATED"},
        )


class ServiceUnavailable(GraphQLError):
    """The database could not be asked who is calling; logged under `error_id`."""

    def __init__(self, error_id: str) -> None:
        super().__init__(
            f"the service is unavailable, try again shortly (error {error_id})",
            extensions={"code": "UNAVAILABLE", "errorId": error_id},
        )


@dataclass
class Context:
    db: Database
    settings: Settings
    viewer: Viewer | None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    _loaders: Loaders | None = None

    # Set when authentication itself failed (database down): every field answers UNAVAILABLE.
    unavailable_error_id: str | None = None

    @property
    def scope(self) -> Scope:
        if self.unavailable_error_id is not None:
            raise ServiceUnavailable(self.unavailable_error_id)
        if self.viewer is None:
            raise NotAuthenticated()
        return self.viewer.scope

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            from resolvers.loaders.registry import Loaders

            self._loaders = Loaders.for_viewer(self.db, self.scope)
        return self._loaders

    def use_loaders(self, loaders: Loaders) -> None:
        """Loaders built for another viewer who reads exactly the same rows (a live event
        rendered once for its visibility class, subscriptions/render_once.py)."""
        self._loaders = loaders

    def drop_loaders(self) -> None:
        """Forget the loaders (and the rows they cached): an idle subscription keeps none."""
        self._loaders = None

    def fresh_loaders(self) -> Loaders:
        """New loaders, e.g. for each event pushed to a long-lived subscription."""
        self._loaders = None
        return self.loaders


Info = StrawberryInfo[Context, None]


def now_or_later(loader: Any, key: Any) -> Any:
    """A loaded value at once when the page already fetched it, else an awaitable.

    Page resolvers prefetch related rows in one batch; nested fields then return them
    synchronously instead of awaiting per field (the 4–5x trap of DESIGN §2).
    """
    if key is None:
        return None
    future = loader.load(key)
    if future.done() and not future.cancelled() and future.exception() is None:
        return future.result()
    return future
