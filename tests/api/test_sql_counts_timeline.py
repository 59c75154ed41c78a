"""R-TL-3: a timeline page costs a constant number of SQL statements, whatever the page size
and however many nested fields are asked (DESIGN §2).

The whole HTTP request is counted: authentication (1: token, user and security stamp in one
join), the page (1: range scan joined to activities and notes, with the record check),
counts and totalCount (1), principals for owner/createdBy/modifiedBy/party (1: users and
teams are one table), records for regarding/party (1: every type is one table). Parties
are the JSON copy on the activity, so they cost nothing.
"""

from __future__ import annotations

from typing import Any

from bench.datagen import TimelineShape, load_timeline
from graph.db import Database
from resolvers.ids import parse_global_id
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.sql_counter import SqlCounter

PRINCIPAL = "... on User { id fullName } ... on Team { id name }"
PAGE = f"""query($id: ID!, $first: Int!) {{
  timeline(recordId: $id, first: $first) {{
    totalCount
    counts {{ total isExact byType {{ type count }} byState {{ state count }} }}
    pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor entryType relation date node {{
      __typename
      ... on Activity {{
        id subject state attachmentCount noteCount
        owner {{ {PRINCIPAL} }} createdBy {{ {PRINCIPAL} }} modifiedBy {{ {PRINCIPAL} }}
        regarding {{ id name }}
        parties {{ role address party {{ __typename ... on User {{ fullName }} ... on Contact {{ fullName }}
                                      ... on Account {{ name }} }} }}
      }}
      ... on Note {{
        id title attachmentCount
        owner {{ {PRINCIPAL} }} createdBy {{ {PRINCIPAL} }} modifiedBy {{ {PRINCIPAL} }}
      }}
    }} }}
  }}
}}"""
MAX_STATEMENTS = 5
OWNERS = ("sales1", "sales2", "sales3", "manager", "admin")


async def busy_account(api: Api, db: Database, org: Org) -> str:
    """An account with 240 entries: activities of five owners and creators about the account
    and its contacts with user and record parties, a team-owned task, and notes on the
    account and on an activity (the newest, so both kinds are on every page size)."""
    account = (await api.ok("createAccount", {"name": "Import Sports"}, "account { id }"))["account"]["id"]
    parsed = parse_global_id(account)
    assert parsed is not None
    loaded = await load_timeline(db, TimelineShape(activities=230, contacts=25), account_id=parsed[1],
                                 owners=[org.users[o] for o in OWNERS])
    chris = gid("Contact", loaded.contact_ids[1])
    task = (await api.ok("createTask", {"subject": "team task", "regardingId": chris,
                                        "ownerId": gid("Team", org.team_id)}, "task { id }"))["task"]["id"]
    for i in range(4):
        await api.ok("addNote", {"title": f"on the task {i}", "activityId": task}, "note { id }", as_="sales2")
        await api.ok("addNote", {"title": f"on the account {i}", "recordId": account}, "note { id }", as_="sales1")
    return account  # type: ignore[no-any-return]


async def counted(api: Api, sql: SqlCounter, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with sql.count() as statements:
        data = await api(query, variables, as_="sales1")
    return len(statements), data


async def test_r_tl_3_statements_do_not_grow_with_page_size_or_nested_fields(
    api: Api, db: Database, org: Org, sql: SqlCounter,
) -> None:
    account = await busy_account(api, db, org)
    await api(PAGE, {"id": account, "first": 1}, as_="sales1")  # warm the viewer's cached scope
    small, page10 = await counted(api, sql, PAGE, {"id": account, "first": 10})
    large, page200 = await counted(api, sql, PAGE, {"id": account, "first": 200})
    assert small == large <= MAX_STATEMENTS, (small, large)

    edges = page200["timeline"]["edges"]
    assert len(edges) == 200 and len(page10["timeline"]["edges"]) == 10
    assert page200["timeline"]["totalCount"] == 239
    kinds = {e["node"]["__typename"] for e in edges}
    assert {"Note", "Task", "PhoneCall", "Email", "Appointment"} <= kinds
    # Nested objects really came back (prefetched, not silently null).
    activities = [e["node"] for e in edges if e["node"]["__typename"] != "Note"]
    assert all(a["owner"] and a["createdBy"] and a["modifiedBy"] and a["regarding"] for a in activities)
    assert {a["owner"].get("name") for a in activities} >= {"Inside Sales"}
    assert len({a["owner"]["id"] for a in activities}) == 6
    parties = [p for a in activities for p in a["parties"]]
    assert parties and all(p["party"] is not None for p in parties)
    assert {p["party"]["__typename"] for p in parties} == {"User", "Contact", "Account"}
    notes = [e["node"] for e in edges if e["node"]["__typename"] == "Note"]
    assert len(notes) == 8 and all(n["owner"] and n["createdBy"] for n in notes)


async def test_r_tl_3_fewer_fields_cost_fewer_statements(api: Api, db: Database, org: Org, sql: SqlCounter) -> None:
    account = await busy_account(api, db, org)
    bare = "query($id: ID!, $first: Int!) { timeline(recordId: $id, first: $first) { edges { node { __typename } } } }"
    await api(bare, {"id": account, "first": 1}, as_="sales1")
    # Authentication and the page: nothing else was asked, so nothing else is read.
    assert (await counted(api, sql, bare, {"id": account, "first": 200}))[0] == 2


async def test_r_tl_3_every_statement_of_a_page_is_bounded_by_the_page(
    api: Api, db: Database, org: Org, sql: SqlCounter,
) -> None:
    """Asking for notes' `about` and `attachments` adds one batch per kind, never per entry."""
    account = await busy_account(api, db, org)
    query = PAGE.replace("id title attachmentCount", "id title attachmentCount about { id } "
                                                     "attachments { fileName }")
    await api(query, {"id": account, "first": 1}, as_="sales1")
    small = (await counted(api, sql, query, {"id": account, "first": 10}))[0]
    large = (await counted(api, sql, query, {"id": account, "first": 200}))[0]
    assert small == large <= MAX_STATEMENTS + 1
