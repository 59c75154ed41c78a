"""R-SEC-1 on timelines: a viewer sees only entries they may read — not in pages, not in
counts, not in totalCount — whatever the roll-up and the filter (R-TL-1, R-TL-2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from graph.commands.setup import add_user, bump_security_stamp
from graph.commands.tokens import create_token
from graph.db import Database
from graph.models import Role, RolePrivilege, utcnow
from graph.rules.access import ACTIONS, SECURED_TYPES, Depth
from tests.support.client import Api, gid
from tests.support.org import Org

RECORD_TYPES = ("account", "contact", "lead", "opportunity", "case")
PAGE = """
query($id: ID!, $filter: TimelineFilter, $rollup: RollupType! = RELATED, $first: Int, $after: String) {
  timeline(recordId: $id, filter: $filter, rollup: $rollup, first: $first, after: $after) {
    totalCount
    counts { total isExact byType { type count } byState { state count } }
    pageInfo { hasNextPage endCursor }
    edges { node { ... on Activity { id } ... on Note { id } } }
  }
}"""


async def custom_user(db: Database, org: Org, key: str, *, unit: str = "sales",
                      activity_read: Depth = Depth.USER, note_read: Depth = Depth.USER,
                      record_read: Depth = Depth.ORGANIZATION) -> None:
    """A user holding one custom role, inserted directly; the security stamp is bumped so
    no cached scope survives. Records: read as given, append to anything readable;
    activities and notes: create and write their own, read as given."""
    grants: dict[tuple[str, str], Depth] = {}
    for record_type in RECORD_TYPES:
        grants[(record_type, "read")] = record_read
        grants[(record_type, "append_to")] = Depth.ORGANIZATION
        grants[(record_type, "create")] = Depth.USER
    for entry_type, read in (("activity", activity_read), ("note", note_read)):
        grants.update({(entry_type, "read"): read, (entry_type, "create"): Depth.USER,
                       (entry_type, "write"): Depth.USER, (entry_type, "append_to"): Depth.USER})
    async with db.unit_of_work() as session:
        role = Role(name=f"custom {key}")
        session.add(role)
        await session.flush()
        session.add_all(RolePrivilege(role_id=role.id, record_type=t, action=a,
                                      depth=grants.get((t, a), Depth.NONE).name)
                        for t in SECURED_TYPES for a in ACTIONS)
        await session.flush()
        user = await add_user(session, name=f"{key.title()} Limited", email=f"{key}@test.relate",
                              unit_id=org.units[unit], roles=[role.name], now=utcnow())
        await bump_security_stamp(session)
        org.users[key] = user.id
        org.tokens[key] = await create_token(session, f"{key}@test.relate", utcnow())


async def page(api: Api, record_id: str, *, as_: str, **variables: Any) -> dict[str, Any]:
    return (await api(PAGE, {"id": record_id, **variables}, as_=as_))["timeline"]  # type: ignore[no-any-return]


async def seen(api: Api, record_id: str, *, as_: str, **variables: Any) -> tuple[set[str], int, dict[str, int], dict[str, int]]:
    """(entry ids over every page, totalCount, byType, byState) as `as_` sees them."""
    found: set[str] = set()
    after = None
    while True:
        p = await page(api, record_id, as_=as_, first=2, after=after, **variables)
        found |= {e["node"]["id"] for e in p["edges"]}
        if not p["pageInfo"]["hasNextPage"]:
            break
        after = p["pageInfo"]["endCursor"]
    assert p["totalCount"] == p["counts"]["total"]
    return (found, p["totalCount"], {c["type"]: c["count"] for c in p["counts"]["byType"]},
            {c["state"]: c["count"] for c in p["counts"]["byState"]})


async def make(api: Api, name: str, values: dict[str, Any], selection: str, *, as_: str) -> str:
    payload = await api.ok(name, values, f"{selection} {{ id }}", as_=as_)
    return payload[selection]["id"]  # type: ignore[no-any-return]


async def world(api: Api, org: Org) -> dict[str, Any]:
    """An account tree with entries owned by several people, and by a team."""
    parent = await make(api, "createAccount", {"name": "Parent"}, "account", as_="admin")
    acme = await make(api, "createAccount", {"name": "Acme", "parentAccountId": parent}, "account", as_="admin")
    chris = await make(api, "createContact", {"firstName": "Chris", "lastName": "Preston", "accountId": acme,
                                              "email": "chris@example.test"}, "contact", as_="admin")
    theirs = [
        await make(api, "createTask", {"subject": "sales1 task", "regardingId": chris}, "task", as_="sales1"),
        await make(api, "createTask", {"subject": "sales1 task 2", "regardingId": acme}, "task", as_="sales1"),
        await make(api, "sendEmail", {"subject": "sales2 mail", "to": [{"partyId": chris}]}, "email", as_="sales2"),
        await make(api, "addNote", {"title": "sales2 note", "recordId": acme}, "note", as_="sales2"),
        await make(api, "createTask", {"subject": "team task", "regardingId": acme,
                                       "ownerId": gid("Team", org.team_id)}, "task", as_="admin"),
        await make(api, "createTask", {"subject": "parent task", "regardingId": parent}, "task", as_="manager"),
    ]
    return {"parent": parent, "acme": acme, "chris": chris, "theirs": theirs}


async def test_r_sec_1_user_depth_never_sees_others_entries_on_a_timeline(api: Api, db: Database, org: Org) -> None:
    w = await world(api, org)
    await custom_user(db, org, "limited")
    mine = [
        await make(api, "createTask", {"subject": "my task", "regardingId": w["chris"]}, "task", as_="limited"),
        await make(api, "createTask", {"subject": "my other task", "regardingId": w["acme"]}, "task", as_="limited"),
        await make(api, "addNote", {"title": "my note", "recordId": w["acme"]}, "note", as_="limited"),
    ]
    await api.ok("completeActivities", {"ids": [mine[1]]}, "results { ok }", as_="limited")
    # Everything is there: an administrator sees it all.
    everything, total, _, _ = await seen(api, w["acme"], as_="admin")
    assert everything == set(w["theirs"][:5]) | set(mine) and total == 8

    ids, total, types, states = await seen(api, w["acme"], as_="limited")
    assert ids == set(mine) and total == 3
    assert types == {"TASK": 2, "NOTE": 1} and states == {"OPEN": 1, "COMPLETED": 1}
    ids, total, types, _ = await seen(api, w["chris"], as_="limited")
    assert ids == {mine[0]} and total == 1 and types == {"TASK": 1}
    ids, total, _, _ = await seen(api, w["acme"], as_="limited", rollup="NONE")
    assert ids == set(mine[1:]) and total == 2
    ids, total, _, _ = await seen(api, w["parent"], as_="limited", rollup="EXTENDED")
    assert ids == set(mine) and total == 3
    assert (await seen(api, w["parent"], as_="limited"))[:2] == (set(), 0)

    # Filters narrow within what may be read; asking for others' entries yields nothing at all.
    sales1 = gid("User", org.users["sales1"])
    for flt in ({"ownerIds": [sales1]}, {"types": ["EMAIL"]}, {"text": "sales"}, {"states": ["CANCELED"]}):
        assert await seen(api, w["acme"], as_="limited", filter=flt) == (set(), 0, {}, {}), flt
    ids, total, types, _ = await seen(api, w["acme"], as_="limited", filter={"text": "task"})
    assert ids == set(mine[:2]) and total == 2 and types == {"TASK": 2}
    since = (datetime.now().astimezone() - timedelta(hours=1)).isoformat()
    ids, total, _, _ = await seen(api, w["acme"], as_="limited", filter={"since": since})
    assert ids == set(mine) and total == 3


async def test_r_sec_1_notes_and_activities_are_read_by_their_own_privileges(
    api: Api, db: Database, org: Org,
) -> None:
    w = await world(api, org)
    await custom_user(db, org, "notes_private", activity_read=Depth.ORGANIZATION, note_read=Depth.USER)
    mine = await make(api, "addNote", {"title": "my note", "recordId": w["acme"]}, "note", as_="notes_private")
    activities = {w["theirs"][i] for i in (0, 1, 2, 4)}
    ids, total, types, _ = await seen(api, w["acme"], as_="notes_private")
    assert ids == activities | {mine} and total == 5
    assert types == {"TASK": 3, "EMAIL": 1, "NOTE": 1}
    assert (await seen(api, w["acme"], as_="notes_private", filter={"types": ["NOTE"]}))[:2] == ({mine}, 1)


@pytest.mark.parametrize(("depth", "owners"), [
    (Depth.BUSINESS_UNIT, {"sales1", "manager"}),
    (Depth.BUSINESS_UNIT_DEEP, {"sales1", "manager", "sales3"}),
], ids=["business_unit", "business_unit_deep"])
async def test_r_sec_1_unit_depths_see_entries_owned_in_their_units(
    api: Api, db: Database, org: Org, depth: Depth, owners: set[str],
) -> None:
    acme = await make(api, "createAccount", {"name": "Acme"}, "account", as_="admin")
    by_owner = {
        who: await make(api, "createTask", {"subject": f"{who} task", "regardingId": acme}, "task", as_=who)
        for who in ("sales1", "manager", "sales3", "service")
    }
    await custom_user(db, org, "unit_reader", activity_read=depth)
    ids, total, types, _ = await seen(api, acme, as_="unit_reader")
    assert ids == {by_owner[o] for o in owners} and total == len(owners) and types == {"TASK": len(owners)}


async def test_r_sec_1_a_record_you_may_not_read_has_no_timeline(api: Api, db: Database, org: Org) -> None:
    others = await make(api, "createAccount", {"name": "Not yours"}, "account", as_="admin")
    await make(api, "createTask", {"subject": "x", "regardingId": others}, "task", as_="admin")
    await custom_user(db, org, "own_records", record_read=Depth.USER, activity_read=Depth.ORGANIZATION)
    own = await make(api, "createAccount", {"name": "Yours"}, "account", as_="own_records")
    body = await api.raw(PAGE, {"id": others}, as_="own_records")
    assert body["data"] == {"timeline": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
    assert (await page(api, own, as_="own_records"))["totalCount"] == 0
