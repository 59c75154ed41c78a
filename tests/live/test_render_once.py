"""A render shared by a visibility class carries its field errors to every member of the
class, a page of events rendered together keeps each event's errors with that event, and a
subscription's executor keeps no more per event it delivers (subscriptions/render_once.py).
A tiny schema, so the outcome is certain and nothing else (database, sockets) takes part."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql import GraphQLError

from subscriptions.render_once import RenderedPage, RenderOnceExecutor, SharedEvent, SharedPage, SingleFlight

DOCUMENT = "subscription { things { name broken } }"


class Context:
    def use_loaders(self, loaders: Any) -> None:
        pass


@strawberry.type
class Owner:
    name: str


@strawberry.type
class Thing:
    name: str
    fails: bool = False
    owner: Owner | None = None

    @strawberry.field
    def broken(self) -> str | None:
        if self.fails:
            raise GraphQLError("this field failed", extensions={"code": "TEST"})
        return "fine"


@strawberry.type
class Query:
    ok: bool = True


def schema_yielding(*yielded: Any) -> strawberry.Schema:
    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def things(self) -> AsyncGenerator[Thing, None]:
            for value in yielded:
                yield value

    return strawberry.Schema(Query, subscription=Subscription, execution_context_class=RenderOnceExecutor)


async def results(schema: strawberry.Schema) -> list[Any]:
    stream = await schema.subscribe(DOCUMENT, context_value=Context())
    return [result async for result in stream]  # type: ignore[union-attr]


def shared(renders: SingleFlight[Any], seq: int, thing: Thing) -> SharedEvent:
    return SharedEvent(key=("topic", "class", seq), value=thing, loaders=None, renders=renders)


async def test_every_subscriber_of_a_class_gets_the_errors_of_the_shared_render() -> None:
    renders: SingleFlight[Any] = SingleFlight(16)
    schema = schema_yielding(shared(renders, 1, Thing(name="a", fails=True)))
    first, second = await results(schema), await results(schema)
    assert renders.computed == 1 and renders.shared == 1
    for (result,) in (first, second):
        assert result.data == {"things": {"name": "a", "broken": None}}
        assert [(e.message, e.path, e.extensions) for e in result.errors] == [
            ("this field failed", ["things", "broken"], {"code": "TEST"})]


async def test_a_page_keeps_each_events_errors_with_that_event() -> None:
    renders: SingleFlight[Any] = SingleFlight(16)
    things = [Thing(name="a"), Thing(name="b", fails=True), Thing(name="c")]
    page = SharedPage((1, 2, 3), tuple(shared(renders, seq, t) for seq, t in zip((1, 2, 3), things, strict=True)))
    schema = schema_yielding(page)
    pages = [(await results(schema))[0].data for _ in range(2)]
    assert renders.computed == 3 and renders.shared == 3  # the second subscriber rendered nothing
    for rendered in pages:
        assert isinstance(rendered, RenderedPage)
        assert rendered.seqs == (1, 2, 3)
        assert [r.data["things"]["name"] for r in rendered.results] == ["a", "b", "c"]
        assert [bool(r.errors) for r in rendered.results] == [False, True, False]
        assert rendered.results[1].errors[0].extensions == {"code": "TEST"}


class Remembering(RenderOnceExecutor):
    """Keeps the memo of sub-selections its subscription's executors share."""

    memos: list[Any] = []

    def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        self.memos.append(self._relevant_sub_fields)
        return super().execute_operation(*args, **kwargs)


async def test_a_subscription_collects_each_sub_selection_once_however_many_events() -> None:
    renders: SingleFlight[Any] = SingleFlight(256)
    events = [shared(renders, seq, Thing(name=str(seq), owner=Owner(name="o"))) for seq in range(100)]

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def things(self) -> AsyncGenerator[Thing, None]:
            for event in events:
                yield event  # type: ignore[misc]

    schema = strawberry.Schema(Query, subscription=Subscription, execution_context_class=Remembering)
    stream = await schema.subscribe("subscription { things { name owner { name } } }", context_value=Context())
    delivered = [result.data async for result in stream]  # type: ignore[union-attr]
    assert delivered[-1] == {"things": {"name": "99", "owner": {"name": "o"}}}
    assert len(delivered) == 100
    assert len({id(memo) for memo in Remembering.memos}) == 1  # one memo for the subscription
    assert len(Remembering.memos[-1]) == 2  # Thing's and Owner's sub-selections, not two per event
