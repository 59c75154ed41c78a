"""A contacts page costs a fixed handful of SQL statements whatever its size (DESIGN §2,
R-TL-3's rule applied to record lists): related rows load in one batch per kind."""

from __future__ import annotations

from graph.db import Database
from graph.models import Account, Contact, utcnow
from graph.rules.access import Depth
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import add_custom_role
from tests.support.sql_counter import SqlCounter

PAGE = """query($first: Int!) {
  contacts(first: $first) {
    totalCount
    edges { cursor node {
      id fullName email
      owner { ... on User { fullName } ... on Team { name } }
      createdBy { ... on User { fullName } }
      account { name owner { ... on User { fullName } } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""
MAX_STATEMENTS = 5
OWNERS = ("sales1", "sales2", "sales3", "manager")


async def seed(db: Database, org: Org, contacts: int) -> None:
    """Accounts owned by people other than their contacts' owners, so no owner comes free.

    Rows go in directly: this test is about reading, and 200 creates through the API would
    only make it slow.
    """
    now = utcnow()
    admin, units = org.users["admin"], org.units
    unit_of = {"sales1": units["sales"], "sales2": units["sales"], "sales3": units["west"],
               "manager": units["sales"], "service": units["service"], "admin": units["root"]}
    async with db.unit_of_work() as session:
        accounts = []
        for i in range(20):
            owner = ("service", "admin")[i % 2]
            accounts.append(Account(
                name=f"Account {i:03}", state="ACTIVE", owner_id=org.users[owner],
                owning_business_unit_id=unit_of[owner], created_by_id=admin, modified_by_id=admin,
                created_on=now, modified_on=now, version=1,
            ))
        session.add_all(accounts)
        await session.flush()
        for i in range(contacts):
            owner = OWNERS[i % len(OWNERS)]
            session.add(Contact(
                name=f"Person {i:04}", first_name="Person", last_name=f"{i:04}", email=f"p{i}@example.com",
                state="ACTIVE", owner_id=org.users[owner], owning_business_unit_id=unit_of[owner],
                created_by_id=org.users[OWNERS[(i + 1) % len(OWNERS)]], modified_by_id=admin,
                created_on=now, modified_on=now, version=1, account_id=accounts[i % len(accounts)].id,
                do_not_phone=False, do_not_email=False, do_not_text=False,
            ))


async def statements_for_page(api: Api, sql: SqlCounter, size: int, as_: str = "sales1") -> tuple[int, list[str]]:
    await api("{ viewer { roles } }", as_=as_)  # the scope is cached per process: warm it first
    with sql.count() as statements:
        data = await api(PAGE, {"first": size}, as_=as_)
    edges = data["contacts"]["edges"]
    assert len(edges) == size
    assert all(e["node"]["owner"] and e["node"]["createdBy"] for e in edges)
    assert all(e["node"]["account"]["owner"]["fullName"] for e in edges)
    return len(statements), list(statements)


async def test_a_contacts_page_costs_the_same_statements_for_10_and_200_rows(
    api: Api, db: Database, org: Org, sql: SqlCounter,
) -> None:
    await seed(db, org, 220)
    small, small_sql = await statements_for_page(api, sql, 10)
    large, large_sql = await statements_for_page(api, sql, 200)
    print(f"contacts page with nested owner/createdBy/account.owner/totalCount: "
          f"10 rows -> {small} statements, 200 rows -> {large} statements")
    assert small == large, (small_sql, large_sql)
    assert large <= MAX_STATEMENTS, large_sql


async def test_the_count_holds_for_a_restricted_reader_too(
    api: Api, db: Database, org: Org, sql: SqlCounter,
) -> None:
    """A scoped reader pays the same: the read filter is in the WHERE clause, not a loop."""
    await add_custom_role(db, org, role="unit reader", key="unitreader", unit="sales",
                          depths={"read": Depth.BUSINESS_UNIT_DEEP})
    await seed(db, org, 220)
    # Accounts are owned outside Sales: every `account` is null for this reader.
    small, _ = await count_scoped(api, sql, 10)
    large, large_sql = await count_scoped(api, sql, 150)
    assert small == large <= MAX_STATEMENTS, large_sql


async def count_scoped(api: Api, sql: SqlCounter, size: int) -> tuple[int, list[str]]:
    await api("{ viewer { roles } }", as_="unitreader")
    with sql.count() as statements:
        data = await api(PAGE, {"first": size}, as_="unitreader")
    edges = data["contacts"]["edges"]
    assert len(edges) == size and data["contacts"]["totalCount"] == 220
    assert all(e["node"]["account"] is None for e in edges)
    return len(statements), list(statements)

