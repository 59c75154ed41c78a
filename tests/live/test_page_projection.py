"""A page of live events is rendered by projection (subscriptions/page_projection.py) and
gives exactly what graphql-core's execution of each event gives; a document it does not
plan is executed as before."""

from __future__ import annotations

from typing import Any

from tests.live.conftest import TIMELINE_SUB, Connect, account_with_contact, live_cursor, task_on
from tests.support.client import Api, gid
from tests.support.org import Org

# Aliases, a named fragment, @include/@skip by variable, __typename at every level, a
# resolver field (owner) through a union, an enum, a field left out by @skip.
RICH_SUB = """
subscription($recordId: ID!, $after: String, $withOwner: Boolean!) {
  changed: timelineChanged(recordId: $recordId, after: $after) {
    __typename at: cursor change entryId
    entry {
      __typename
      ...Work
      ... on Note { id title }
    }
    recordId @skip(if: true)
  }
}
fragment Work on Activity {
  id headline: subject state type isPersonal
  owner @include(if: $withOwner) { __typename ... on User { fullName email } ... on Team { name } }
  due @skip(if: $withOwner)
}
"""


async def _replayed(connect: Connect, user: str, query: str, variables: dict[str, Any], count: int) -> list[Any]:
    async with connect(user) as ws:
        op = await ws.subscribe(query, variables)
        return [await ws.next(op) for _ in range(count)]


async def test_a_projected_page_is_what_execution_gives(api: Api, connect: Connect, app: Any, org: Org) -> None:
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    await task_on(api, contact, "Call back")
    await api.ok("addNote", {"recordId": contact, "title": "Met at the fair"}, "note { id }")
    await task_on(api, account, "Send the quote", as_="admin", ownerId=gid("User", org.users["sales2"]))
    await task_on(api, contact, "Book a visit", as_="admin")
    plans = app.state.live.plans
    for query, variables in ((RICH_SUB, {"withOwner": True}), (RICH_SUB, {"withOwner": False}),
                             (TIMELINE_SUB, {})):
        variables = {"recordId": account, "after": after, **variables}
        projected_before = plans.projected
        projected = await _replayed(connect, "sales2", query, variables, 4)
        assert plans.projected > projected_before  # pages of 3 (the live tests' page size)
        # The same document, another text (so nothing rendered above is shared), executed.
        get = plans.get
        plans.get = lambda _key, _executor: None
        try:
            executed = await _replayed(connect, "sales2", query + "\n# executed", variables, 4)
        finally:
            plans.get = get
        assert projected == executed
    assert projected[1]["timelineChanged"]["entry"] == {"__typename": "Note", "id": projected[1]["timelineChanged"]["entryId"],
                                                        "title": "Met at the fair"}


async def test_a_document_the_projection_does_not_plan_is_executed(api: Api, connect: Connect, app: Any) -> None:
    """`parties(roles:)` takes an argument: the page goes to graphql-core, and arrives."""
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    for n in range(4):
        await task_on(api, contact, f"Task {n}")
    query = """subscription($recordId: ID!, $after: String) {
      timelineChanged(recordId: $recordId, after: $after) { entry { ... on Activity { subject parties { role } } } }
    }"""
    plans = app.state.live.plans
    executed_before = plans.fell_back
    got = await _replayed(connect, "sales2", query, {"recordId": account, "after": after}, 4)
    assert [g["timelineChanged"]["entry"]["subject"] for g in got] == [f"Task {n}" for n in range(4)]
    assert plans.fell_back > executed_before
