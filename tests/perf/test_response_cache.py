"""The response cache (server/response_cache.py) never serves what changed or what the
viewer may not read (R-SEC-1, R-TL-1, R-TL-2, R-VIEW-1).

A hit is marked `X-Relate-Cache: hit` and costs one SQL statement (authentication and the
outbox head together; on PostgreSQL it runs on the probe's own small pool, so the
counter does not see it); a miss costs what the page always costs.
The app under test runs without its lifespan, so no relay stamps `seq` behind our back:
each test stamps the outbox itself (`stamp_pending`, what the relay runs after every
commit), and checks both moments a read can come after a change: before the relay
stamped its events (`pending`) and after (`stamped`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from graph.commands.setup import bump_security_stamp, set_user_active
from graph.commands.tokens import revoke_token
from graph.db import Database
from graph.models import UserRole, utcnow
from server.app import create_app
from subscriptions.relay import stamp_pending
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.sql_counter import SqlCounter

TIMELINE = """query($id: ID!, $first: Int) { timeline(recordId: $id, first: $first) { totalCount
  nodes { __typename ... on Activity { id subject state owner { ... on User { fullName } } regarding { name } }
          ... on Note { id title } } } }"""
ACCOUNTS = "{ accounts(first: 50) { totalCount edges { node { name owner { ... on User { fullName } } } } } }"
HIT = -1


@pytest.fixture(autouse=True)
async def close_cache(app: Any) -> AsyncIterator[None]:
    """The app runs without its lifespan here: close the cache's probe pool ourselves."""
    yield
    await app.state.response_cache.close()


async def stamp(db: Database) -> None:
    """What the relay does after a commit: stamp every committed event's seq."""
    while (await stamp_pending(db, 10_000)).count:
        pass


async def read(api: Api, sql: SqlCounter, query: str, variables: dict[str, Any] | None = None,
               as_: str = "sales1") -> tuple[dict[str, Any], int]:
    """The answer, and the SQL statements it cost; -1 for a cache hit (`X-Relate-Cache`),
    which costs one statement (on PostgreSQL on the probe's own connections, uncounted)."""
    with sql.count() as statements:
        response = await api.post(query, variables, as_=as_)
    assert response.status_code == 200, response.text
    if response.headers.get("x-relate-cache") == "hit":
        assert len(statements) <= 1
        return response.json(), HIT
    return response.json(), len(statements)


async def cached(api: Api, sql: SqlCounter, db: Database, query: str, variables: dict[str, Any] | None = None,
                 as_: str = "sales1") -> dict[str, Any]:
    """Read twice after the outbox is stamped: the second read must be a one-statement hit."""
    await stamp(db)
    first, _ = await read(api, sql, query, variables, as_)
    again, statements = await read(api, sql, query, variables, as_)
    assert statements == HIT, "a repeated read should be a hit"
    assert again == first
    return first


class Story:
    """An account, a contact on it and a task about the contact (rolled up to the account)."""

    def __init__(self, api: Api, org: Org) -> None:
        self.api = api
        self.org = org

    def user(self, key: str) -> str:
        return gid("User", self.org.users[key])

    async def build(self) -> Story:
        ok = self.api.ok
        self.account = (await ok("createAccount", {"name": "Import Sports"}, "account { id }"))["account"]["id"]
        self.other = (await ok("createAccount", {"name": "Wide World"}, "account { id }"))["account"]["id"]
        self.contact = (await ok("createContact", {"firstName": "Chris", "lastName": "Preston",
                                                   "accountId": self.account}, "contact { id }"))["contact"]["id"]
        self.task = (await ok("createTask", {"subject": "call Chris", "regardingId": self.contact},
                              "task { id }", as_="sales1"))["task"]["id"]
        return self


def nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body["data"]["timeline"]["nodes"]  # type: ignore[no-any-return]


Change = Callable[[Story], Awaitable[Any]]
Check = Callable[[Story, dict[str, Any]], bool]

CHANGES: dict[str, tuple[Change, Check]] = {
    "subject changed": (
        lambda s: s.api.ok("updateActivity", {"id": s.task, "subject": "call Chris back"}, "", as_="sales1"),
        lambda s, b: nodes(b)[0]["subject"] == "call Chris back"),
    "completed": (
        lambda s: s.api.ok("completeActivities", {"ids": [s.task]}, "", as_="sales1"),
        lambda s, b: nodes(b)[0]["state"] == "COMPLETED"),
    "reassigned": (
        lambda s: s.api.ok("assignActivities", {"ids": [s.task], "ownerId": s.user("sales2")}, "", as_="sales1"),
        lambda s, b: nodes(b)[0]["owner"]["fullName"] == "Sasha Seller"),
    "new task on the contact (roll-up)": (
        lambda s: s.api.ok("createTask", {"subject": "send the offer", "regardingId": s.contact}, "", as_="sales2"),
        lambda s, b: b["data"]["timeline"]["totalCount"] == 2 and nodes(b)[0]["subject"] == "send the offer"),
    "note on the account": (
        lambda s: s.api.ok("addNote", {"recordId": s.account, "title": "met at the fair"}, "", as_="sales2"),
        lambda s, b: any(n.get("title") == "met at the fair" for n in nodes(b))),
    "regarding contact renamed": (
        lambda s: s.api.ok("updateContact", {"id": s.contact, "firstName": "Christopher"}, "", as_="admin"),
        lambda s, b: nodes(b)[0]["regarding"]["name"] == "Christopher Preston"),
    "contact moved to another account": (
        lambda s: s.api.ok("updateContact", {"id": s.contact, "accountId": s.other}, "", as_="admin"),
        lambda s, b: b["data"]["timeline"]["totalCount"] == 0),
}


@pytest.fixture
def story_factory(api: Api, org: Org) -> Callable[[], Awaitable[Story]]:
    async def make() -> Story:
        return await Story(api, org).build()
    return make


@pytest.mark.parametrize("relay", ["pending", "stamped"])
@pytest.mark.parametrize("change", list(CHANGES))
async def test_after_a_change_to_a_cached_timeline_the_next_read_is_fresh(
    change: str, relay: str, api: Api, db: Database, sql: SqlCounter, story_factory: Callable[[], Awaitable[Story]],
) -> None:
    story = await story_factory()
    before = await cached(api, sql, db, TIMELINE, {"id": story.account})
    act, fresh = CHANGES[change]
    assert not fresh(story, before)
    await act(story)
    if relay == "stamped":
        await stamp(db)
    after, statements = await read(api, sql, TIMELINE, {"id": story.account})
    assert fresh(story, after), after
    assert 1 < statements <= 5  # answered by the resolvers, at the usual cost of a page (R-TL-3)


async def test_a_change_through_another_process_is_seen_at_once(
    api: Api, db: Database, sql: SqlCounter, org: Org, settings: Any, story_factory: Callable[[], Awaitable[Story]],
) -> None:
    """Two apps on one database stand for two processes (or hosts), each with its own cache:
    a change committed through B is never hidden by A's cache, stamped or not."""
    story = await story_factory()
    app_b = create_app(settings, db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_b), base_url="http://b.relate.test") as other:
        b = Api(other, org.tokens)
        for round_no, stamped in enumerate((False, True)):
            await cached(api, sql, db, TIMELINE, {"id": story.account})
            subject = f"changed on B {round_no}"
            await b.ok("updateActivity", {"id": story.task, "subject": subject}, "", as_="sales1")
            if stamped:
                await stamp(db)
            after, _ = await read(api, sql, TIMELINE, {"id": story.account})
            assert nodes(after)[0]["subject"] == subject
    await app_b.state.response_cache.close()


async def test_keyed_by_viewer_document_and_variables(
    api: Api, db: Database, sql: SqlCounter, story_factory: Callable[[], Awaitable[Story]],
) -> None:
    story = await story_factory()
    everything = await cached(api, sql, db, ACCOUNTS, as_="sales1")
    nothing, _ = await read(api, sql, ACCOUNTS, as_="norole")  # same document, no variables, other viewer
    assert everything["data"]["accounts"]["totalCount"] == 2
    assert nothing["data"]["accounts"]["totalCount"] == 0
    one = await cached(api, sql, db, TIMELINE, {"id": story.account, "first": 1})
    await api.ok("addNote", {"recordId": story.account, "title": "second entry"}, "", as_="sales1")
    await stamp(db)
    two = await cached(api, sql, db, TIMELINE, {"id": story.account, "first": 2})
    again = await cached(api, sql, db, TIMELINE, {"id": story.account, "first": 1})
    assert len(nodes(one)) == 1 and len(nodes(two)) == 2 and len(nodes(again)) == 1


async def test_a_viewer_with_a_narrower_scope_never_gets_a_wider_ones_body(
    api: Api, db: Database, sql: SqlCounter, org: Org, story_factory: Callable[[], Awaitable[Story]],
) -> None:
    story = await story_factory()
    wide = await cached(api, sql, db, TIMELINE, {"id": story.account}, as_="admin")
    assert wide["data"]["timeline"]["totalCount"] == 1
    denied, _ = await read(api, sql, TIMELINE, {"id": story.account}, as_="norole")  # no role: may read nothing
    assert denied.get("errors") and not (denied.get("data") or {}).get("timeline")
    narrow, _ = await read(api, sql, ACCOUNTS, as_="norole")
    assert narrow["data"]["accounts"]["totalCount"] == 0

    # The same user, after losing their roles (a security change bumps the stamp).
    before = await cached(api, sql, db, ACCOUNTS, as_="sales1")
    assert before["data"]["accounts"]["totalCount"] == 2
    async with db.unit_of_work() as session:
        await session.execute(delete(UserRole).where(UserRole.user_id == org.users["sales1"]))
        await bump_security_stamp(session)
    after, _ = await read(api, sql, ACCOUNTS, as_="sales1")
    assert after["data"]["accounts"]["totalCount"] == 0


@pytest.mark.parametrize("how", ["deactivated", "deactivateUser", "token revoked"])
async def test_a_cached_body_needs_a_valid_token_every_time(
    how: str, api: Api, db: Database, sql: SqlCounter, org: Org, story_factory: Callable[[], Awaitable[Story]],
) -> None:
    """R-ADM-2: a deactivated user's cached answers stop with their token, on the next request."""
    story = await story_factory()
    await cached(api, sql, db, TIMELINE, {"id": story.account})
    if how == "deactivateUser":
        await api.ok("deactivateUser", {"id": gid("User", org.users["sales1"])}, "user { id }")
    async with db.unit_of_work() as session:
        if how == "deactivated":
            await set_user_active(session, org.users["sales1"], False)
        elif how == "token revoked":
            assert await revoke_token(session, org.tokens["sales1"], utcnow()) == 1
    body, _ = await read(api, sql, TIMELINE, {"id": story.account})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not (body.get("data") or {}).get("timeline")


async def test_only_read_queries_of_reviewed_roots_are_cached(
    api: Api, db: Database, sql: SqlCounter, story_factory: Callable[[], Awaitable[Story]],
) -> None:
    story = await story_factory()
    await stamp(db)
    # `viewer` is not a cached root: its answer carries the time it was checked.
    for query in ("{ viewer { checkedAt } }",
                  "query($id: ID!) { timeline(recordId: $id) { totalCount } viewer { checkedAt } }"):
        first, _ = await read(api, sql, query, {"id": story.account})
        again, _ = await read(api, sql, query, {"id": story.account})
        assert first["data"]["viewer"]["checkedAt"] != again["data"]["viewer"]["checkedAt"]
    rename = "mutation($i: UpdateActivityInput!) { updateActivity(input: $i) { activity { subject } } }"
    for n in range(2):
        body, _ = await read(api, sql, rename, {"i": {"id": story.task, "subject": f"again {n}"}})
        assert body["data"]["updateActivity"]["activity"]["subject"] == f"again {n}"
    # Errors are never stored: a bad id keeps being answered by the resolvers.
    for _ in range(2):
        body, statements = await read(api, sql, TIMELINE, {"id": "nonsense"})
        assert body["errors"] and statements != HIT


MINE = """{ activities(filter: {stateGroup: OPEN}) { totalCount
  nodes { subject noteCount owner { ... on User { fullName } } } } }"""
MY_COUNTS = "{ activityCounts(filter: {stateGroup: OPEN}) { total byState { state count } } }"
EVERYONES = "{ activities(filter: {owner: ANY}) { totalCount nodes { subject } } }"


def subjects(body: dict[str, Any]) -> list[str]:
    return [n["subject"] for n in body["data"]["activities"]["nodes"]]


# A personal task (about no record) shows on no timeline: these changes reach the outbox
# only through `PersonalEntryChanged`. Each: the change, then what "My activities" and
# "My counts" must show after it (None: the counts do not move).
PersonalChange = Callable[[Api, Org, str], Awaitable[Any]]
PERSONAL_CHANGES: dict[str, tuple[PersonalChange, Callable[[dict[str, Any]], bool], int | None]] = {
    "another created": (
        lambda api, org, task: api.ok("createTask", {"subject": "buy stamps"}, "", as_="sales1"),
        lambda b: sorted(subjects(b)) == ["buy stamps", "water the plants"], 2),
    "subject changed": (
        lambda api, org, task: api.ok("updateActivity", {"id": task, "subject": "water the garden"}, "", as_="sales1"),
        lambda b: subjects(b) == ["water the garden"], None),
    "completed": (
        lambda api, org, task: api.ok("completeActivities", {"ids": [task]}, "", as_="sales1"),
        lambda b: b["data"]["activities"]["totalCount"] == 0, 0),
    "canceled": (
        lambda api, org, task: api.ok("cancelActivities", {"ids": [task]}, "", as_="sales1"),
        lambda b: b["data"]["activities"]["totalCount"] == 0, 0),
    "reassigned": (
        lambda api, org, task: api.ok("assignActivities", {"ids": [task], "ownerId": gid("User", org.users["sales2"])},
                                 "", as_="sales1"),
        lambda b: b["data"]["activities"]["totalCount"] == 0, 0),
    "note added": (
        lambda api, org, task: api.ok("addNote", {"activityId": task, "title": "done half"}, "", as_="sales1"),
        lambda b: b["data"]["activities"]["nodes"][0]["noteCount"] == 1, None),
}


@pytest.fixture
def personal_task(api: Api) -> Callable[[], Awaitable[str]]:
    async def make() -> str:
        made = await api.ok("createTask", {"subject": "water the plants"}, "task { id }", as_="sales1")
        return str(made["task"]["id"])
    return make


@pytest.mark.parametrize("relay", ["pending", "stamped"])
@pytest.mark.parametrize("change", list(PERSONAL_CHANGES))
async def test_my_activities_and_counts_are_cached_and_fresh_after_a_personal_task_changes(
    change: str, relay: str, api: Api, db: Database, sql: SqlCounter, org: Org,
    personal_task: Callable[[], Awaitable[str]],
) -> None:
    """R-VIEW-1: a personal task shows on no timeline, yet "My activities" and its counts,
    answered from the cache before, are answered fresh right after it changes."""
    task = await personal_task()
    before = await cached(api, sql, db, MINE)
    counts_before = await cached(api, sql, db, MY_COUNTS)
    assert subjects(before) == ["water the plants"] and counts_before["data"]["activityCounts"]["total"] == 1
    act, fresh, total = PERSONAL_CHANGES[change]
    assert not fresh(before)
    await act(api, org, task)
    if relay == "stamped":
        await stamp(db)
    after, statements = await read(api, sql, MINE)
    assert fresh(after), after
    assert 1 < statements <= 5  # answered by the resolvers, at the usual cost of a page
    counts, statements = await read(api, sql, MY_COUNTS)
    assert statements != HIT
    assert counts["data"]["activityCounts"]["total"] == (1 if total is None else total), counts


async def test_my_activities_are_keyed_by_viewer_and_never_wider_than_their_scope(
    api: Api, db: Database, sql: SqlCounter, org: Org, personal_task: Callable[[], Awaitable[str]],
) -> None:
    """The same document means "mine" for each viewer, and `owner: ANY` means what each
    viewer may read: another viewer never gets the cached body of the first."""
    await personal_task()
    await api.ok("createTask", {"subject": "Sasha's own"}, "", as_="sales2")
    mine = await cached(api, sql, db, MINE, as_="sales1")
    theirs, _ = await read(api, sql, MINE, as_="sales2")  # same document, no variables, other viewer
    assert subjects(mine) == ["water the plants"] and subjects(theirs) == ["Sasha's own"]
    wide = await cached(api, sql, db, EVERYONES, as_="admin")
    assert sorted(subjects(wide)) == ["Sasha's own", "water the plants"]
    narrow, statements = await read(api, sql, EVERYONES, as_="norole")  # no role: may read no activity
    assert statements != HIT and narrow["data"]["activities"]["totalCount"] == 0
    counts = await cached(api, sql, db, MY_COUNTS, as_="sales1")
    none, _ = await read(api, sql, MY_COUNTS, as_="norole")
    assert counts["data"]["activityCounts"]["total"] == 1 and none["data"]["activityCounts"]["total"] == 0

    # The same user, after losing their roles (a security change bumps the stamp).
    async with db.unit_of_work() as session:
        await session.execute(delete(UserRole).where(UserRole.user_id == org.users["sales1"]))
        await bump_security_stamp(session)
    after, statements = await read(api, sql, EVERYONES, as_="sales1")
    assert statements != HIT and after["data"]["activities"]["totalCount"] == 0
