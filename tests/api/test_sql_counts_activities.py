"""An "My activities" page costs a fixed number of SQL statements whatever its size
(R-VIEW-1 with DESIGN §2): the page, its count, one batch of principals (owners, creators,
user parties) and one of records (regarding records, contact and account parties)."""

from __future__ import annotations

from graph.commands.activities import PartyRef, create_activity
from graph.commands.records import create_record
from graph.db import Database
from graph.models import utcnow
from graph.queries.principals import viewer_for_token
from tests.support.client import Api
from tests.support.org import Org
from tests.support.sql_counter import SqlCounter

PAGE = """
query($first: Int) {
  activities(first: $first, filter: {owner: ANY}, orderBy: [{field: CREATED_ON, direction: DESC}]) {
    totalCount
    edges { cursor node {
      id subject state
      owner { ... on User { fullName } ... on Team { name } }
      createdBy { ... on User { fullName } }
      regarding { id name }
      parties { role address party { __typename ... on User { fullName } ... on Record { name } } }
    } }
  }
}"""


async def _seed(db: Database, org: Org, count: int) -> None:
    """`count` activities owned by sales1, created by the manager, about varied records,
    each with a user, a contact and a bare-address party."""
    now = utcnow()
    async with db.unit_of_work() as session:
        manager = await viewer_for_token(session, org.tokens["manager"])
        assert manager is not None
        scope = manager.scope
        accounts = [await create_record(session, scope, "ACCOUNT", {"name": f"Account {i}"}, now) for i in range(5)]
        contacts = [await create_record(session, scope, "CONTACT", {"first_name": "C", "last_name": str(i),
                                                                    "account_id": accounts[i % 5].id}, now)
                    for i in range(20)]
        for i in range(count):
            regarding = (accounts[i % 5] if i % 2 else contacts[i % 20]).id
            parties = [PartyRef("FROM", "USER", org.users["sales1"]),
                       PartyRef("TO", "CONTACT", contacts[(i + 3) % 20].id),
                       PartyRef("CC", address=f"someone{i}@example.test")]
            await create_activity(session, scope, "TASK", {"subject": f"Task {i}"}, now,
                                  regarding_id=regarding, parties=parties,
                                  owner_id=org.users["sales1"] if i % 3 else org.team_id)


async def _statements(api: Api, sql: SqlCounter, first: int) -> tuple[int, list[str]]:
    await api(PAGE, {"first": first}, as_="sales1")  # warm the per-process scope cache
    with sql.count() as statements:
        data = await api(PAGE, {"first": first}, as_="sales1")
    edges = data["activities"]["edges"]
    assert len(edges) == first
    node = edges[0]["node"]
    assert node["createdBy"] == {"fullName": "Morgan Manager"} and node["regarding"]["name"]
    assert [p["party"] and p["party"]["__typename"] for p in node["parties"]] == ["User", "Contact", None]
    return len(statements), list(statements)


async def test_a_page_of_10_and_of_200_cost_the_same_few_statements(api: Api, db: Database, org: Org,
                                                                      sql: SqlCounter) -> None:
    await _seed(db, org, 210)
    small, small_sql = await _statements(api, sql, 10)
    large, large_sql = await _statements(api, sql, 200)
    print(f"activities page: {small} statements for 10 rows, {large} for 200 rows (authentication included)")
    assert small == large, (small_sql, large_sql)
    assert large <= 5, large_sql
