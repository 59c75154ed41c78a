"""Sharing one record (R-ADM-6): a grant opens the record, its timeline, counts, reports and
quick find to the grantee as if their role allowed it; a revoke closes them on the next request.

Rita ("reader", in Sales West) reads only her own unit's records; Service Co is owned in Service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from graph.db import Database
from graph.rules.access import Depth
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import account, add_custom_role, contact, table_counts

SEES = """query($id: ID!) {
  accounts(first: 50) { totalCount edges { node { name } } }
  node(id: $id) { ... on Account { name } }
  quickFind(text: "Service") { name }
}"""
REPORT = "query($id: ID!) { activityReport(filter: {recordId: $id}) { total } }"
TIMELINE = """query($id: ID!) { timeline(recordId: $id, first: 20) {
  totalCount edges { node { ... on Task { subject } } } } }"""
GRANT = "grant { rights principal { ... on User { fullName } ... on Team { name } } }"


@dataclass
class World:
    service_co: str
    pat: str
    task: str


@pytest.fixture
async def world(api: Api, org: Org, db: Database) -> World:
    await add_custom_role(db, org, role="unit_reader", key="reader", unit="west", depths={
        "read": Depth.BUSINESS_UNIT, "write": Depth.USER, "create": Depth.USER, "append_to": Depth.BUSINESS_UNIT})
    sid = gid("User", org.users["service"])
    service_co = (await account(api, "Service Co", ownerId=sid))["id"]
    await account(api, "West Co", ownerId=gid("User", org.users["sales3"]))
    pat = (await contact(api, "Pat", "Service", ownerId=sid, accountId=service_co))["id"]
    task = (await api.ok("createTask", {"subject": "Call Pat", "regardingId": pat, "ownerId": sid},
                         "task { id }"))["task"]["id"]
    return World(service_co, pat, task)


async def sees(api: Api, world: World, as_: str = "reader") -> dict[str, Any]:
    data = await api(SEES, {"id": world.service_co}, as_=as_)
    timeline = await api.raw(TIMELINE, {"id": world.service_co}, as_=as_)
    report = await api.raw(REPORT, {"id": world.service_co}, as_=as_)
    names = sorted(e["node"]["name"] for e in data["accounts"]["edges"])
    assert data["accounts"]["totalCount"] == len(names)
    return {
        "accounts": names, "node": data["node"], "quickFind": [r["name"] for r in data["quickFind"]],
        "activities": report["data"]["activityReport"]["total"] if report["data"] else None,
        "timeline": None if timeline["data"]["timeline"] is None else
        [e["node"].get("subject") for e in timeline["data"]["timeline"]["edges"]],
    }


NOTHING = {"accounts": ["West Co"], "node": None, "quickFind": [], "activities": None, "timeline": None}
SHARED = {"accounts": ["Service Co", "West Co"], "node": {"name": "Service Co"}, "quickFind": ["Service Co"],
          "activities": 1, "timeline": ["Call Pat"]}


async def test_a_shared_record_is_read_everywhere_and_a_revoke_closes_it_again(
        api: Api, org: Org, world: World) -> None:
    assert await sees(api, world) == NOTHING
    reader = gid("User", org.users["reader"])
    shared = await api.ok("shareRecord", {"recordId": world.service_co, "principalId": reader}, GRANT)
    assert shared["grant"] == {"rights": ["READ"], "principal": {"fullName": "Reader Custom"}}
    assert await sees(api, world) == SHARED
    access = (await api("query($id: ID!) { recordAccess(recordId: $id) { rights principal { __typename } } }",
                        {"id": world.service_co}, as_="reader"))["recordAccess"]
    assert access == [{"rights": ["READ"], "principal": {"__typename": "User"}}]
    await api.ok("unshareRecord", {"recordId": world.service_co, "principalId": reader}, "recordId")
    assert await sees(api, world) == NOTHING
    again = await api.mutate("unshareRecord", {"recordId": world.service_co, "principalId": reader}, "recordId")
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"]


async def test_the_rights_of_a_grant_decide_what_the_grantee_may_change(api: Api, org: Org, world: World) -> None:
    reader = gid("User", org.users["reader"])
    await api.ok("shareRecord", {"recordId": world.service_co, "principalId": reader}, GRANT)
    rename = {"id": world.service_co, "name": "Renamed by Rita"}
    refused = await api.mutate("updateAccount", rename, "account { name }", as_="reader")
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    await api.ok("shareRecord", {"recordId": world.service_co, "principalId": reader, "rights": ["WRITE"]}, GRANT)
    assert (await api.ok("updateAccount", rename, "account { name }", as_="reader"))["account"]["name"] == "Renamed by Rita"
    share_on = await api.mutate("shareRecord", {"recordId": world.service_co,
                                                "principalId": gid("User", org.users["norole"])}, GRANT, as_="reader")
    assert [e["code"] for e in share_on["errors"]] == ["FORBIDDEN"]


async def test_a_record_shared_with_a_team_is_read_by_its_members(api: Api, org: Org, world: World) -> None:
    """Nora has no role at all; as a member of Inside Sales she reads what is shared with it."""
    team = gid("Team", org.team_id)
    await api.ok("addTeamMembers", {"teamId": team, "userIds": [gid("User", org.users["norole"])]}, "team { id }")
    before = await api(SEES, {"id": world.service_co}, as_="norole")
    assert before["node"] is None and before["accounts"]["totalCount"] == 0
    shared = await api.ok("shareRecord", {"recordId": world.service_co, "principalId": team}, GRANT)
    assert shared["grant"]["principal"] == {"name": "Inside Sales"}
    after = await api(SEES, {"id": world.service_co}, as_="norole")
    assert after["node"] == {"name": "Service Co"} and after["accounts"]["totalCount"] == 1


async def test_who_may_share_and_bad_grants(api: Api, org: Org, db: Database, world: World) -> None:
    reader = gid("User", org.users["reader"])
    before = await table_counts(db)
    not_theirs = await api.mutate("shareRecord", {"recordId": world.service_co, "principalId": reader}, GRANT,
                                  as_="sales1")
    hidden = await api.mutate("shareRecord", {"recordId": world.service_co, "principalId": reader}, GRANT,
                              as_="reader")
    assert [e["code"] for e in not_theirs["errors"] + hidden["errors"]] == ["FORBIDDEN", "NOT_FOUND"]
    await api.ok("deactivateUser", {"id": gid("User", org.users["norole"])}, "user { id }")
    before = await table_counts(db)
    cases = {
        "DEACTIVATED": {"recordId": world.service_co, "principalId": gid("User", org.users["norole"])},
        "NOT_FOUND": {"recordId": world.service_co, "principalId": gid("Team", org.users["reader"])},
        "VALIDATION": {"recordId": world.task, "principalId": reader},
    }
    for code, values in cases.items():
        payload = await api.mutate("shareRecord", values, GRANT)
        assert [e["code"] for e in payload["errors"]] == [code], (code, payload)
    assert await table_counts(db) == before
    # The owner shares their own record.
    mine = await api.ok("shareRecord", {"recordId": world.service_co, "principalId": reader}, GRANT, as_="service")
    assert mine["grant"]["rights"] == ["READ"]
