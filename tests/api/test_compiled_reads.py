"""The compiled read path answers exactly as Strawberry does (DESIGN §2b, docs/compiled-reads.md).

Differential: hypothesis draws documents over the supported subset (the timeline and
activities pages: random selections of their fields, aliases, named and inline fragments
on the interface and the union, @include/@skip with variables, page sizes, cursors,
filters and orders, viewers of every role, one who sees only a shared record), plus
error cases (bad ids and cursors). Each is sent to an app with the compiled path and to
one without it, on the same database; the answers must be equal. The compiled app must
have answered most of them itself (counted on its raw connection). Sized by
RELATE_TEST_PROFILE; runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bench.datagen import TimelineShape, load_timeline
from graph.db import Database
from resolvers.ids import parse_global_id
from server.app import create_app
from server.persisted_queries import query_hash
from subscriptions.relay import stamp_pending
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.profile import PROFILE
from tests.support.sql_counter import SqlCounter

VIEWERS = ("admin", "manager", "sales1", "sales2", "sales3", "service", "norole")
ACTIVITY_SCALARS = ("id", "type", "subject", "description", "state", "statusReason", "priority", "due",
                    "scheduledStart", "scheduledEnd", "actualEnd", "createdOn", "modifiedOn", "version",
                    "attachmentCount", "noteCount", "isPersonal")
TYPE_FIELDS = {"PhoneCall": ("phoneNumber", "direction"), "Email": ("messageId", "inReplyTo", "sendAt", "sentOn"),
               "Appointment": ("location", "onlineMeetingUrl"), "TextMessage": ("phoneNumber", "direction")}
NOTE_FIELDS = ("id", "title", "text", "createdOn", "modifiedOn", "version", "attachmentCount")
USER_FIELDS = ("id", "fullName", "email", "businessPhone", "mobilePhone", "isActive", "timeZone")
TEAM_FIELDS = ("id", "name", "isActive")
PRINCIPALS = ("owner", "createdBy", "modifiedBy")


@dataclass
class Case:
    root: str  # timeline | activities
    viewer: str
    document: str
    variables: dict[str, Any]
    cursor_from: int | None  # take `after` from the reference page's nth edge
    probe: str = ""  # the same list asking only for cursors


def _pick(draw: Any, names: tuple[str, ...], least: int = 1) -> list[str]:
    return draw(st.lists(st.sampled_from(names), min_size=least, max_size=len(names), unique=True))


def _field(draw: Any, name: str, fragments: dict[str, str]) -> str:
    alias = draw(st.sampled_from(["", "", "", f"{name}Alias: "]))
    directive = draw(st.sampled_from(["", "", "", " @include(if: $yes)", " @skip(if: $no)", " @include(if: $no)"]))
    return f"{alias}{name}{directive}"


def _principal(draw: Any, fragments: dict[str, str]) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append("__typename")
    users = " ".join(_field(draw, f, fragments) for f in _pick(draw, USER_FIELDS))
    style = draw(st.sampled_from(["inline", "named"]))
    if style == "named":
        fragments["PersonFields"] = f"fragment PersonFields on User {{ {users} }}"
        parts.append("...PersonFields")
    else:
        parts.append(f"... on User {{ {users} }}")
    if draw(st.booleans()):
        parts.append(f"... on Team {{ {' '.join(_pick(draw, TEAM_FIELDS))} }}")
    return " ".join(parts)


def _activity(draw: Any, fragments: dict[str, str]) -> str:
    parts = [_field(draw, f, fragments) for f in _pick(draw, ACTIVITY_SCALARS)]
    for name in _pick(draw, PRINCIPALS, least=0):
        parts.append(f"{_field(draw, name, fragments)} {{ {_principal(draw, fragments)} }}")
    for type_name in _pick(draw, tuple(TYPE_FIELDS), least=0):
        parts.append(f"... on {type_name} {{ {' '.join(_pick(draw, TYPE_FIELDS[type_name]))} }}")
    return " ".join(parts)


def _node(draw: Any, fragments: dict[str, str], union: bool) -> str:
    body = _activity(draw, fragments)
    parts = ["__typename"] if draw(st.booleans()) else []
    if draw(st.booleans()):
        fragments["ActivityFields"] = f"fragment ActivityFields on Activity {{ {body} }}"
        parts.append("...ActivityFields")
    elif union or draw(st.booleans()):
        parts.append(f"... on Activity {{ {body} }}")
    else:
        parts.append(body)
    if union and draw(st.booleans()):
        notes = " ".join(_pick(draw, NOTE_FIELDS))
        if draw(st.booleans()):
            notes += f" owner {{ {_principal(draw, fragments)} }}"
        parts.append(f"... on Note {{ {notes} }}")
    return " ".join(parts)


def _connection(draw: Any, fragments: dict[str, str], union: bool) -> str:
    parts = []
    for name in _pick(draw, ("totalCount", "nodes", "edges", "pageInfo", "__typename")):
        if name == "nodes":
            parts.append(f"{_field(draw, 'nodes', fragments)} {{ {_node(draw, fragments, union)} }}")
        elif name == "edges":
            extras = _pick(draw, ("cursor", "entryType", "date", "relation") if union else ("cursor",), least=0)
            parts.append(f"edges {{ {' '.join(extras)} node {{ {_node(draw, fragments, union)} }} }}")
        elif name == "pageInfo":
            parts.append(f"pageInfo {{ {' '.join(_pick(draw, ('hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor')))} }}")
        else:
            parts.append(name)
    return " ".join(parts)


@st.composite
def cases(draw: Any) -> Case:
    root = draw(st.sampled_from(["timeline", "activities"]))
    fragments: dict[str, str] = {}
    variables: dict[str, Any] = {"yes": True, "no": False, "first": draw(st.sampled_from([0, 1, 3, 20, 60, None]))}
    cursor_from = draw(st.sampled_from([None, None, 0, 2]))
    if root == "timeline":
        record = draw(st.sampled_from(["account", "account", "contact", "shared", "bad"]))
        rollup = draw(st.sampled_from(["", "", ", rollup: NONE", ", rollup: EXTENDED"]))
        flt = draw(st.sampled_from(["", "", ", filter: {types: [TASK, EMAIL]}", ", filter: {text: \"Subject 1\"}"]))
        variables["record"] = record
        field = f"timeline(recordId: $id, first: $first, after: $after{rollup}{flt})"
        header = "query Page($id: ID!, $first: Int, $after: String, $yes: Boolean!, $no: Boolean!)"
        body = _connection(draw, fragments, union=True)
    else:
        owner = draw(st.sampled_from(["ids", "ME", "ANY", "MY_TEAMS", "none"]))
        variables["owner"] = owner
        flt = {"ids": "filter: {ownerIds: [$owner]}, ", "none": ""}.get(owner, f"filter: {{owner: {owner}}}, ")
        orders = draw(st.lists(st.tuples(st.sampled_from(["DUE", "CREATED_ON", "MODIFIED_ON", "PRIORITY"]),
                                         st.sampled_from(["ASC", "DESC"])), max_size=2, unique_by=lambda o: o[0]))
        order = ", ".join(f"{{field: {f}, direction: {d}}}" for f, d in orders)
        field = f"activities({flt}orderBy: [{order}], first: $first, after: $after)"
        header = "query Page($owner: ID!, $first: Int, $after: String, $yes: Boolean!, $no: Boolean!)"
        if owner != "ids":
            header = header.replace("$owner: ID!, ", "")
        body = _connection(draw, fragments, union=False)
    alias = draw(st.sampled_from(["", "page: "]))
    # Every declared variable is used (or the document is invalid): root fields read $yes and $no.
    document = (f"{header} {{ {alias}{field} {{ {body} }} shown: __typename @include(if: $yes) "
                f"hidden: __typename @skip(if: $yes) gone: __typename @include(if: $no) }} "
                + " ".join(fragments.values()))
    probe = f"{header} {{ {field} {{ edges {{ cursor }} }} a: __typename @include(if: $yes) b: __typename @skip(if: $no) }}"
    return Case(root, draw(st.sampled_from(VIEWERS)), document, variables, cursor_from, probe)


def drawn(count: int, run_seed: int) -> list[Case]:
    found: list[Case] = []

    @seed(run_seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(cases())
    def collect(case: Case) -> None:
        found.append(case)

    collect()
    return found


@dataclass
class World:
    account: str
    contact: str
    shared: str
    users: dict[str, str]


async def build_world(api: Api, db: Database, org: Org) -> World:
    """An account with activities of several owners (a team's too), notes, a contact, and a
    second account shared with the user who has no role (they see only that one)."""
    account = (await api.ok("createAccount", {"name": "Import Sports"}, "account { id }"))["account"]["id"]
    loaded = await load_timeline(db, TimelineShape(activities=70, contacts=4), account_id=raw(account),
                                 owners=[org.users[o] for o in ("sales1", "sales2", "sales3", "manager", "service")])
    contact = gid("Contact", loaded.contact_ids[0])
    await api.ok("createTask", {"subject": "team task", "regardingId": contact,
                                "ownerId": gid("Team", org.team_id)}, "task { id }")
    await api.ok("addNote", {"title": "on the account", "recordId": account}, "note { id }", as_="sales1")
    await api.ok("logPhoneCall", {"subject": "call", "direction": "OUTGOING", "regardingId": account,
                                  "phoneNumber": "+1 555 0101"}, "phoneCall { id }", as_="sales2")
    shared = (await api.ok("createAccount", {"name": "Shared Co"}, "account { id }"))["account"]["id"]
    await api.ok("createTask", {"subject": "shared task", "regardingId": shared}, "task { id }", as_="sales1")
    await api.ok("addNote", {"title": "shared note", "recordId": shared}, "note { id }", as_="manager")
    await api.ok("shareRecord", {"recordId": shared, "principalId": gid("User", org.users["norole"])},
                 "grant { rights }")
    return World(account, contact, shared, {k: gid("User", v) for k, v in org.users.items()})


def raw(global_id: str) -> Any:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


@pytest.fixture
async def reference(db: Database, settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"compiled_reads": False}), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as client:
        yield client


@pytest.fixture
async def compiled(db: Database, settings: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """The compiled path with the response cache off, so repeated requests reach it."""
    app = create_app(settings.model_copy(update={"compiled_reads": True, "response_cache_entries": 0}), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as client:
        yield client, app.state.response_cache.app


def _variables(case: Case, world: World) -> dict[str, Any]:
    variables = {k: v for k, v in case.variables.items() if k not in ("record", "owner")}
    if case.root == "timeline":
        record = case.variables["record"]
        variables["id"] = {"account": world.account, "contact": world.contact, "shared": world.shared,
                           "bad": "not-an-id"}[record]
    elif case.variables["owner"] == "ids":
        variables["owner"] = world.users["sales2"]
    return variables


async def _post(client: httpx.AsyncClient, tokens: dict[str, str], case: Case, variables: dict[str, Any]) -> Any:
    response = await client.post("/graphql", json={"query": case.document, "variables": variables},
                                 headers={"Authorization": f"Bearer {tokens[case.viewer]}"})
    assert response.status_code == 200, response.text
    return response.json()


async def _cursor(reference: httpx.AsyncClient, tokens: dict[str, str], case: Case,
                  variables: dict[str, Any]) -> str | None:
    """A real cursor of this list (the nth edge of the reference page), or a forged one."""
    probe = Case(case.root, case.viewer, case.probe, {}, None)
    body = await _post(reference, tokens, probe, {**variables, "first": 10, "after": None})
    edges = (((body.get("data") or {}).get(case.root)) or {}).get("edges") or []
    if case.cursor_from is not None and case.cursor_from < len(edges):
        return str(edges[case.cursor_from]["cursor"])
    return "Zm9yZ2Vk"


@pytest.mark.slow(60)
async def test_compiled_answers_equal_strawberrys(api: Api, db: Database, org: Org, reference: httpx.AsyncClient,
                                                  compiled: tuple[httpx.AsyncClient, Any]) -> None:
    client, middleware = compiled
    world = await build_world(api, db, org)
    answered: list[str] = []
    run_seed = random.randrange(2**32)
    cases_run = drawn(PROFILE.hypothesis_examples * 2, run_seed)
    compiled_runs = 0
    for case in cases_run:
        variables = _variables(case, world)
        variables["after"] = await _cursor(reference, org.tokens, case, variables) if case.cursor_from is not None else None
        expected = await _post(reference, org.tokens, case, variables)
        await _post(client, org.tokens, case, variables)  # the first sight: Strawberry validates it
        if middleware.reads is not None and middleware.reads.on_statement[-1:] != [answered.append]:
            middleware.reads.on_statement.append(answered.append)
        before = len(answered)
        got = await _post(client, org.tokens, case, variables)
        compiled_runs += len(answered) > before
        assert got == expected, f"seed {run_seed}\n{case.viewer}: {case.document}\n{variables}"
    # Forged cursors, bad ids and empty pages fall back; most drawn documents are compiled.
    assert compiled_runs >= len(cases_run) // 2, (compiled_runs, len(cases_run), run_seed)


ROLLUP = """query($id: ID!) { timeline(recordId: $id, first: 50) { totalCount nodes { ... on Activity {
  id type subject state createdOn description owner { ... on User { id fullName } }
  createdBy { ... on User { id fullName } } } } } }"""
PLAIN = """query($owner: ID!, $first: Int!) { activities(filter: {ownerIds: [$owner]},
  orderBy: [{field: CREATED_ON, direction: ASC}], first: $first) { nodes { id type subject state createdOn
  description owner { ... on User { id fullName } } createdBy { ... on User { id fullName } } }
  pageInfo { hasNextPage endCursor } edges { cursor } } }"""
# A list filter (an expanding IN) next to a datetime bound: each keeps its own bind processor.
FILTERED = """query($id: ID!) { timeline(recordId: $id, first: 5,
  filter: {types: [TASK, PHONE_CALL], until: "2100-01-01T00:00:00Z"}) { totalCount nodes { ... on Activity { id } } } }"""
UNSUPPORTED = """query($id: ID!) { timeline(recordId: $id, first: 5) { nodes { ... on Activity { id
  regarding { id name } } } } }"""


async def test_the_bench_pages_cost_a_fixed_number_of_statements(
    api: Api, db: Database, org: Org, compiled: tuple[httpx.AsyncClient, Any], reference: httpx.AsyncClient,
) -> None:
    """Authentication and the page (its counts, when totalCount is asked, in the same
    statement): the same statements for 1 row or 60, all on the raw connection (none
    through the ORM's engine)."""
    client, middleware = compiled
    world = await build_world(api, db, org)
    pages = [(ROLLUP, {"id": world.account}, 2), (PLAIN, {"owner": world.users["sales2"], "first": 1}, 2),
             (PLAIN, {"owner": world.users["sales2"], "first": 60}, 2), (FILTERED, {"id": world.account}, 2)]
    for query, variables, expected in pages:
        case = Case("", "sales1", query, variables, None)
        for _ in range(2):  # Strawberry validates it first; then the raw connection opens
            await _post(client, org.tokens, case, variables)
        raw_statements: list[str] = []
        middleware.reads.on_statement.append(raw_statements.append)
        with SqlCounter(db).count() as every_statement:
            got = await _post(client, org.tokens, case, variables)
        middleware.reads.on_statement.remove(raw_statements.append)
        assert got == await _post(reference, org.tokens, case, variables)
        assert len(raw_statements) == len(every_statement) == expected, (every_statement, raw_statements)


async def test_an_unsupported_document_is_executed_by_strawberry_whole(
    api: Api, db: Database, org: Org, compiled: tuple[httpx.AsyncClient, Any], reference: httpx.AsyncClient,
) -> None:
    """A field the planner does not compile (`regarding`) sends the whole operation to
    Strawberry: nothing runs on the raw connection, and the answer is Strawberry's."""
    client, middleware = compiled
    world = await build_world(api, db, org)
    case = Case("timeline", "sales1", UNSUPPORTED, {"id": world.account}, None)
    await _post(client, org.tokens, case, case.variables)
    raw_statements: list[str] = []
    middleware.reads.on_statement.append(raw_statements.append)
    got = await _post(client, org.tokens, case, case.variables)
    assert raw_statements == []
    assert got == await _post(reference, org.tokens, case, case.variables)
    assert got["data"]["timeline"]["nodes"]


WHERE_TIMELINE = """query($id: ID!) { timeline(recordId: $id, first: 50, where: {type: {eq: PHONE_CALL}}) {
  totalCount nodes { ... on Activity { id type } } } }"""
WHERE_ACTIVITIES = """query($owner: ID!) { activities(filter: {ownerIds: [$owner]}, where: {type: {eq: TASK}},
  first: 50) { nodes { id type } } }"""


@pytest.mark.parametrize("root", ["timeline", "activities"])
async def test_a_where_filter_is_never_ignored_by_the_compiled_path(
    root: str, api: Api, db: Database, org: Org, compiled: tuple[httpx.AsyncClient, Any], reference: httpx.AsyncClient,
) -> None:
    """`where` (R-QRY-1) is not compiled: the operation falls back whole, so its rows are
    the filtered ones Strawberry answers, never the unfiltered page."""
    client, _ = compiled
    world = await build_world(api, db, org)
    query, variables, wanted = ((WHERE_TIMELINE, {"id": world.account}, "PHONE_CALL") if root == "timeline"
                                else (WHERE_ACTIVITIES, {"owner": world.users["sales1"]}, "TASK"))
    case = Case(root, "sales1", query, variables, None)
    for _ in range(2):  # the second request is the one the compiled path would take
        got = await _post(client, org.tokens, case, variables)
    assert got == await _post(reference, org.tokens, case, variables)
    types = {node["type"] for node in got["data"][root]["nodes"]}
    assert types == {wanted}, got


async def test_a_revoked_token_is_refused_at_once_on_the_compiled_path(
    api: Api, db: Database, org: Org, compiled: tuple[httpx.AsyncClient, Any],
) -> None:
    client, _ = compiled
    world = await build_world(api, db, org)
    case = Case("timeline", "sales1", ROLLUP, {"id": world.account}, None)
    for _ in range(2):
        assert (await _post(client, org.tokens, case, case.variables))["data"]["timeline"]["totalCount"] > 0
    tokens = await api("{ myTokens { id } }", as_="sales1")
    for token in tokens["myTokens"]:
        await api.ok("revokeMyToken", {"id": token["id"]}, "revokedId", as_="sales1")
    refused = await _post(client, org.tokens, case, case.variables)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_persisted_queries_and_the_response_cache_stay_in_front(
    api: Api, db: Database, org: Org, reference: httpx.AsyncClient,
) -> None:
    """The app as configured by default (response cache on): an Apollo persisted query is
    compiled once known, the cache stores the compiled answer and serves it again."""
    world = await build_world(api, db, org)
    while (await stamp_pending(db, 10_000)).count:  # what the relay does: answers become cacheable
        pass
    digest = query_hash(ROLLUP)
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    headers = {"Authorization": f"Bearer {org.tokens['sales2']}"}
    first = await api.http.post("/graphql", json={"query": ROLLUP, "variables": {"id": world.account},
                                                  "extensions": extensions}, headers=headers)
    middleware = api.http._transport.app.state.response_cache.app  # type: ignore[attr-defined]
    raw_statements: list[str] = []
    middleware.reads.on_statement.append(raw_statements.append)
    headers3 = {"Authorization": f"Bearer {org.tokens['sales3']}"}
    compiled = await api.http.post("/graphql", json={"variables": {"id": world.account}, "extensions": extensions},
                                   headers=headers3)
    assert raw_statements and compiled.headers["x-relate-cache"] == "miss"
    again = await api.http.post("/graphql", json={"variables": {"id": world.account}, "extensions": extensions},
                                headers=headers3)
    assert again.headers["x-relate-cache"] == "hit" and again.json() == compiled.json()
    case = Case("timeline", "sales3", ROLLUP, {"id": world.account}, None)
    assert compiled.json() == await _post(reference, org.tokens, case, case.variables)
    assert first.json()["data"]["timeline"]["totalCount"] > 0
