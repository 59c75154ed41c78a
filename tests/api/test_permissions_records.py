"""Security depths on accounts and contacts (SPEC §1, R-SEC-1): who may change what, and that
nothing outside a viewer's read scope is ever returned or counted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from graph.db import Database
from graph.rules.access import Depth
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import account, add_custom_role, contact, record_row, table_counts

# Who owns each seeded account/contact: a key of org.users, or "team" for Inside Sales.
OWNERS = ("sales1", "sales2", "team", "sales3", "service", "manager", "admin")


@dataclass
class Seeded:
    accounts: dict[str, str]  # owner key -> account global id
    contacts: dict[str, str]  # owner key -> contact global id


def owner_gid(org: Org, key: str) -> str:
    return gid("Team", org.team_id) if key == "team" else gid("User", org.users[key])


@pytest.fixture
async def seeded(api: Api, org: Org) -> Seeded:
    """One account "Acct <owner>" and one contact "Pat <owner>" per owner, made by admin."""
    accounts, contacts = {}, {}
    for key in OWNERS:
        accounts[key] = (await account(api, f"Acct {key}", ownerId=owner_gid(org, key),
                                       phone="+1 555 0199"))["id"]
        contacts[key] = (await contact(api, "Pat", key, ownerId=owner_gid(org, key),
                                       accountId=accounts[key]))["id"]
    return Seeded(accounts, contacts)


async def update(api: Api, account_id: str, as_: str) -> dict[str, Any]:
    return await api.mutate("updateAccount", {"id": account_id, "website": "https://x.example"},
                            "account { id }", as_=as_)


async def reassign(api: Api, record_id: str, owner: str, as_: str) -> dict[str, Any]:
    return await api.mutate("changeOwner", {"id": record_id, "ownerId": owner}, "record { id }", as_=as_)


def code(payload: dict[str, Any]) -> str | None:
    return payload["errors"][0]["code"] if payload["errors"] else None


# --- write and assign depths of the built-in roles ---------------------------------------


async def test_r_sec_1_a_salesperson_writes_and_assigns_only_their_own_and_their_teams(
    api: Api, db: Database, org: Org, seeded: Seeded,
) -> None:
    for other in ("sales2", "sales3", "service", "manager", "admin"):
        row = await record_row(db, seeded.accounts[other])
        assert code(await update(api, seeded.accounts[other], "sales1")) == "FORBIDDEN", other
        assert code(await reassign(api, seeded.accounts[other], owner_gid(org, "sales1"), "sales1")) == "FORBIDDEN"
        payload = await api.mutate("updateContact", {"id": seeded.contacts[other], "jobTitle": "Buyer"},
                                   "contact { id }", as_="sales1")
        assert code(payload) == "FORBIDDEN"
        assert await record_row(db, seeded.accounts[other]) == row

    for mine in ("sales1", "team"):
        assert code(await update(api, seeded.accounts[mine], "sales1")) is None, mine
        await api.ok("updateContact", {"id": seeded.contacts[mine], "jobTitle": "Buyer"}, "contact { id }",
                     as_="sales1")
    # A seller hands their own account to a colleague (even in another unit) or to their team.
    payload = await api.ok("changeOwner", {"id": seeded.accounts["sales1"], "ownerId": owner_gid(org, "service")},
                           "record { owner { ... on User { fullName } } }", as_="sales1")
    assert payload["record"]["owner"] == {"fullName": "Sid Service"}
    payload = await api.ok("changeOwner", {"id": seeded.accounts["team"], "ownerId": owner_gid(org, "sales2")},
                           "record { owner { ... on User { fullName } } }", as_="sales1")
    assert payload["record"]["owner"] == {"fullName": "Sasha Seller"}
    # …and, having given it away, may no longer change it.
    assert code(await update(api, seeded.accounts["sales1"], "sales1")) == "FORBIDDEN"


async def test_r_sec_1_a_sales_manager_writes_in_their_unit_and_its_children_only(
    api: Api, db: Database, org: Org, seeded: Seeded,
) -> None:
    for inside in ("sales1", "sales2", "team", "sales3", "manager"):
        assert code(await update(api, seeded.accounts[inside], "manager")) is None, inside
    for outside in ("service", "admin"):
        before = await record_row(db, seeded.accounts[outside])
        assert code(await update(api, seeded.accounts[outside], "manager")) == "FORBIDDEN", outside
        assert code(await reassign(api, seeded.accounts[outside], owner_gid(org, "manager"), "manager")) == "FORBIDDEN"
        assert code(await api.mutate("deactivateRecord", {"id": seeded.accounts[outside]}, "record { id }",
                                     as_="manager")) == "FORBIDDEN"
        assert await record_row(db, seeded.accounts[outside]) == before
    # Sales West is below Sales: the manager may reassign there too.
    assert code(await reassign(api, seeded.accounts["sales3"], owner_gid(org, "sales1"), "manager")) is None
    # The Service unit's own manager has the mirror image.
    assert code(await update(api, seeded.accounts["service"], "service_manager")) is None
    assert code(await update(api, seeded.accounts["sales1"], "service_manager")) == "FORBIDDEN"


async def test_r_sec_1_an_administrator_may_do_everything(api: Api, org: Org, seeded: Seeded) -> None:
    for key in OWNERS:
        assert code(await update(api, seeded.accounts[key], "admin")) is None, key
        assert code(await reassign(api, seeded.contacts[key], owner_gid(org, "sales2"), "admin")) is None
        assert code(await api.mutate("deactivateRecord", {"id": seeded.accounts[key]}, "record { id }")) is None


async def test_r_sec_1_a_salesperson_cannot_create_for_someone_else(api: Api, db: Database, org: Org) -> None:
    before = await table_counts(db)
    payload = await api.mutate("createAccount", {"name": "Gift", "ownerId": owner_gid(org, "sales2")},
                               "account { id }", as_="sales1")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("FORBIDDEN", ["input", "ownerId"])]
    assert await table_counts(db) == before


# --- read scope: lists, counts, node, nodes, quick find ----------------------------------

VISIBLE = """query($ids: [ID!]!) {
  accounts(includeInactive: true, first: 500) { totalCount nodes { name } }
  contacts(includeInactive: true, first: 500) { totalCount nodes { lastName account { name } } }
  nodes(ids: $ids) { id }
  quickFind(text: "55501", first: 100) { name }
}"""


async def visible(api: Api, seeded: Seeded, as_: str) -> dict[str, Any]:
    ids = [*seeded.accounts.values(), *seeded.contacts.values()]
    data = await api(VISIBLE, {"ids": ids}, as_=as_)
    for one in ids:
        found = (await api("query($id: ID!) { node(id: $id) { id } }", {"id": one}, as_=as_))["node"]
        assert (found is not None) == (one in [n and n["id"] for n in data["nodes"]]), "node and nodes disagree"
    return {
        "accounts": sorted(n["name"] for n in data["accounts"]["nodes"]),
        "account_count": data["accounts"]["totalCount"],
        "contacts": sorted(n["lastName"] for n in data["contacts"]["nodes"]),
        "contact_count": data["contacts"]["totalCount"],
        "contact_accounts": sorted(str(n["account"] and n["account"]["name"]) for n in data["contacts"]["nodes"]),
        "nodes": sorted(n["id"] for n in data["nodes"] if n),
        "quick_find": sorted(n["name"] for n in data["quickFind"]),
    }


def expected(seeded: Seeded, owners: tuple[str, ...]) -> dict[str, Any]:
    return {
        "accounts": sorted(f"Acct {o}" for o in owners),
        "account_count": len(owners),
        "contacts": sorted(owners),
        "contact_count": len(owners),
        "contact_accounts": sorted(f"Acct {o}" for o in owners),
        "nodes": sorted([*(seeded.accounts[o] for o in owners), *(seeded.contacts[o] for o in owners)]),
        "quick_find": sorted(f"Acct {o}" for o in owners),
    }


async def test_r_sec_1_user_read_depth_sees_only_own_records(api: Api, db: Database, org: Org, seeded: Seeded) -> None:
    await add_custom_role(db, org, role="own reader", key="reader", unit="sales",
                          depths={"read": Depth.USER, "create": Depth.USER, "write": Depth.USER})
    # Nothing yet: everything seeded is someone else's.
    assert await visible(api, seeded, "reader") == expected(seeded, ())
    mine = await account(api, "Acct reader", as_="reader", phone="+1 555 0199")
    await contact(api, "Pat", "reader", as_="reader", accountId=mine["id"])
    seeded.accounts["reader"] = mine["id"]
    seeded.contacts["reader"] = (await api('{ contacts { nodes { id } } }', as_="reader"))["contacts"]["nodes"][0]["id"]
    assert await visible(api, seeded, "reader") == expected(seeded, ("reader",))


async def test_r_sec_1_business_unit_read_depth_stops_at_the_unit(
    api: Api, db: Database, org: Org, seeded: Seeded,
) -> None:
    await add_custom_role(db, org, role="unit reader", key="unitreader", unit="sales",
                          depths={"read": Depth.BUSINESS_UNIT})
    # Sales-owned: sales1, sales2, manager and the team; not Sales West, Service or Root.
    assert await visible(api, seeded, "unitreader") == expected(seeded, ("manager", "sales1", "sales2", "team"))


async def test_r_sec_1_a_link_to_an_unreadable_record_reads_as_null(
    api: Api, db: Database, org: Org, seeded: Seeded,
) -> None:
    await add_custom_role(db, org, role="unit reader", key="unitreader", unit="sales",
                          depths={"read": Depth.BUSINESS_UNIT})
    # A Sales contact on a Service account: the contact shows, its account does not.
    await api.ok("updateContact", {"id": seeded.contacts["sales1"], "accountId": seeded.accounts["service"]},
                 "contact { id }")
    data = await api("query($id: ID!) { node(id: $id) { ... on Contact { account { name } } } }",
                     {"id": seeded.contacts["sales1"]}, as_="unitreader")
    assert data["node"] == {"account": None}
    listed = await api('{ contacts(filter: {text: "sales1"}) { nodes { account { name } } } }', as_="unitreader")
    assert listed["contacts"]["nodes"] == [{"account": None}]


async def test_r_sec_1_a_user_without_roles_sees_nothing(api: Api, db: Database, org: Org, seeded: Seeded) -> None:
    assert await visible(api, seeded, "norole") == expected(seeded, ())
    before = await table_counts(db)
    payload = await api.mutate("createAccount", {"name": "Mine"}, "account { id }", as_="norole")
    assert code(payload) == "FORBIDDEN"
    assert await table_counts(db) == before


# --- missing and unreadable ids give one answer ------------------------------------------


def errors_of(payload: dict[str, Any]) -> list[tuple[str, str, list[str] | None]]:
    return [(e["code"], e["message"], e["field"]) for e in payload["errors"]]


@pytest.mark.parametrize("viewer", ["reader", "norole"])
async def test_r_sec_1_missing_and_unreadable_ids_give_the_same_not_found(
    api: Api, db: Database, org: Org, seeded: Seeded, viewer: str,
) -> None:
    if viewer == "reader":
        await add_custom_role(db, org, role="own reader", key="reader", unit="sales",
                              depths={d: Depth.USER for d in ("read", "create", "write", "assign", "append_to")})
    hidden_account, hidden_contact = seeded.accounts["sales2"], seeded.contacts["sales2"]
    missing_account, missing_contact = gid("Account", uuid.uuid4()), gid("Contact", uuid.uuid4())
    own = gid("User", org.users[viewer])
    calls = [
        lambda a, c: ("updateAccount", {"id": a, "name": "X"}, "account { id }"),
        lambda a, c: ("updateContact", {"id": c, "jobTitle": "X"}, "contact { id }"),
        lambda a, c: ("changeOwner", {"id": a, "ownerId": own}, "record { id }"),
        lambda a, c: ("deactivateRecord", {"id": c}, "record { id }"),
        lambda a, c: ("activateRecord", {"id": a}, "record { id }"),
        lambda a, c: ("addContactsToAccount", {"accountId": a, "contactIds": []}, "account { id }"),
    ]
    before = await table_counts(db)
    for make in calls:
        hidden = await api.mutate(*make(hidden_account, hidden_contact), as_=viewer)
        missing = await api.mutate(*make(missing_account, missing_contact), as_=viewer)
        assert errors_of(hidden) == errors_of(missing), make(hidden_account, hidden_contact)[0]
        assert hidden["errors"][0]["code"] == "NOT_FOUND"
    assert await table_counts(db) == before


async def test_r_sec_1_unreadable_contacts_and_links_are_not_found_like_missing_ones(
    api: Api, db: Database, org: Org, seeded: Seeded,
) -> None:
    await add_custom_role(db, org, role="own reader", key="reader", unit="sales",
                          depths={d: Depth.USER for d in ("read", "create", "write", "assign", "append_to")})
    mine = await account(api, "Acct reader", as_="reader")
    mine_contact = await contact(api, "Pat", "reader", as_="reader")
    a = await api.mutate("addContactsToAccount", {"accountId": mine["id"], "contactIds": [seeded.contacts["sales2"]]},
                         "account { id }", as_="reader")
    b = await api.mutate("addContactsToAccount", {"accountId": mine["id"], "contactIds": [gid("Contact", uuid.uuid4())]},
                         "account { id }", as_="reader")
    assert errors_of(a) == errors_of(b) and a["errors"][0]["code"] == "NOT_FOUND"
    assert a["errors"][0]["field"] == ["input", "contactIds", "0"]
    a = await api.mutate("updateContact", {"id": mine_contact["id"], "accountId": seeded.accounts["sales2"]},
                         "contact { id }", as_="reader")
    b = await api.mutate("updateContact", {"id": mine_contact["id"], "accountId": gid("Account", uuid.uuid4())},
                         "contact { id }", as_="reader")
    assert errors_of(a) == errors_of(b) and a["errors"][0]["code"] == "NOT_FOUND"
    assert a["errors"][0]["field"] == ["input", "accountId"]
    a = await api.mutate("updateAccount", {"id": mine["id"], "primaryContactId": seeded.contacts["sales2"]},
                         "account { id }", as_="reader")
    b = await api.mutate("updateAccount", {"id": mine["id"], "primaryContactId": gid("Contact", uuid.uuid4())},
                         "account { id }", as_="reader")
    assert errors_of(a) == errors_of(b) and a["errors"][0]["field"] == ["input", "primaryContactId"]
    assert (await record_row(db, mine["id"]))["version"] == 1
