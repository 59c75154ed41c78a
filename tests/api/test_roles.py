"""Security roles (R-ADM-5): built-ins read-only; custom roles copied and edited; roles on users
and teams; every change holds on the very next request (lists, counts, node, quick find)."""

from __future__ import annotations

from typing import Any

from graph.db import Database
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import account, table_counts

ROLE = "role { id name builtIn privileges { recordType action depth } }"
ACCOUNTS = "{ accounts(first: 50) { totalCount edges { node { name } } } }"


async def role_ids(api: Api) -> dict[str, str]:
    return {r["name"]: r["id"] for r in (await api("{ roles { id name } }"))["roles"]}


async def visible_accounts(api: Api, as_: str) -> list[str]:
    data = (await api(ACCOUNTS, as_=as_))["accounts"]
    names = sorted(e["node"]["name"] for e in data["edges"])
    assert data["totalCount"] == len(names)
    return names


async def one_per_unit(api: Api, org: Org) -> dict[str, str]:
    """An account owned in Sales West (by Wes) and one in Service (by Sid)."""
    return {
        "west": (await account(api, "West Co", ownerId=gid("User", org.users["sales3"])))["id"],
        "service": (await account(api, "Service Co", ownerId=gid("User", org.users["service"])))["id"],
    }


async def test_roles_show_their_privileges_and_built_ins_are_read_only(api: Api, db: Database) -> None:
    roles = {r["name"]: r for r in (await api("{ roles { id name builtIn privileges { recordType action depth } } }",
                                              as_="sales1"))["roles"]}
    seller = {(p["recordType"], p["action"]): p["depth"] for p in roles["salesperson"]["privileges"]}
    assert seller[("ACCOUNT", "READ")] == "ORGANIZATION" and seller[("ACCOUNT", "WRITE")] == "USER"
    assert roles["salesperson"]["builtIn"] is True
    before = await table_counts(db)
    refused = await api.mutate("updateRolePrivileges", {"roleId": roles["salesperson"]["id"], "privileges": [
        {"recordType": "ACCOUNT", "action": "READ", "depth": "USER"}]}, ROLE)
    assert [e["code"] for e in refused["errors"]] == ["INVALID_STATE"] and refused["role"] is None
    assert await table_counts(db) == before


async def test_a_custom_role_that_reads_its_own_unit_applies_on_the_next_request(api: Api, org: Org) -> None:
    ids = await role_ids(api)
    await one_per_unit(api, org)
    copied = await api.ok("copyRole", {"roleId": ids["salesperson"], "name": "Unit seller"}, ROLE)
    custom = copied["role"]
    assert custom["builtIn"] is False and len(custom["privileges"]) > 0
    edited = await api.ok("updateRolePrivileges", {"roleId": custom["id"], "privileges": [
        {"recordType": "ACCOUNT", "action": "READ", "depth": "BUSINESS_UNIT"}]}, ROLE)
    depths = {(p["recordType"], p["action"]): p["depth"] for p in edited["role"]["privileges"]}
    assert depths[("ACCOUNT", "READ")] == "BUSINESS_UNIT" and depths[("CONTACT", "READ")] == "ORGANIZATION"
    wes = gid("User", org.users["sales3"])
    assert await visible_accounts(api, "sales3") == ["Service Co", "West Co"]  # cached from here on, maybe
    await api.ok("assignRoles", {"principalId": wes, "roleIds": [custom["id"]]}, "principal { ... on User { id } }")
    await api.ok("removeRoles", {"principalId": wes, "roleIds": [ids["salesperson"]]}, "principal { ... on User { id } }")
    assert await visible_accounts(api, "sales3") == ["West Co"]
    found = await api("{ quickFind(text: \"Co\") { name } }", as_="sales3")
    assert [r["name"] for r in found["quickFind"]] == ["West Co"]
    # A change to the role itself holds at once too.
    await api.ok("updateRolePrivileges", {"roleId": custom["id"], "privileges": [
        {"recordType": "ACCOUNT", "action": "READ", "depth": "NONE"}]}, ROLE)
    assert await visible_accounts(api, "sales3") == []


async def test_a_teams_roles_apply_to_its_members_on_what_the_team_owns(api: Api, org: Org) -> None:
    """R-ADM-4: Nora has no role; her team's role lets her read and write the team's accounts only."""
    ids = await role_ids(api)
    team = gid("Team", org.team_id)
    await api.ok("addTeamMembers", {"teamId": team, "userIds": [gid("User", org.users["norole"])]}, "team { id }")
    owned = (await account(api, "Team Co", ownerId=team))["id"]
    await account(api, "Other Co", ownerId=gid("User", org.users["sales1"]))
    copied = (await api.ok("copyRole", {"roleId": ids["salesperson"], "name": "Team seat"}, ROLE))["role"]
    await api.ok("updateRolePrivileges", {"roleId": copied["id"], "privileges": [
        {"recordType": "ACCOUNT", "action": "READ", "depth": "USER"},
        {"recordType": "ACCOUNT", "action": "WRITE", "depth": "USER"}]}, ROLE)
    assert await visible_accounts(api, "norole") == []
    assigned = await api.ok("assignRoles", {"principalId": team, "roleIds": [copied["id"]]},
                            "principal { ... on Team { name roles { name } } }")
    assert assigned["principal"] == {"name": "Inside Sales", "roles": [{"name": "Team seat"}]}
    assert await visible_accounts(api, "norole") == ["Team Co"]
    renamed = await api.mutate("updateAccount", {"id": owned, "name": "Team Co 2"}, "account { name }", as_="norole")
    assert renamed["errors"] == []
    await api.ok("removeRoles", {"principalId": team, "roleIds": [copied["id"]]}, "principal { __typename }")
    assert await visible_accounts(api, "norole") == []


async def test_role_changes_refuse_bad_input_and_keep_the_last_administrator(api: Api, org: Org, db: Database) -> None:
    ids = await role_ids(api)
    ada = gid("User", org.users["admin"])
    before = await table_counts(db)
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        ("removeRoles", {"principalId": ada, "roleIds": [ids["system_administrator"]]}, "principal { __typename }",
         "LAST_ADMINISTRATOR"),
        ("assignRoles", {"principalId": ada, "roleIds": [gid("Role", org.team_id)]}, "principal { __typename }",
         "NOT_FOUND"),
        ("assignRoles", {"principalId": gid("User", org.team_id), "roleIds": [ids["salesperson"]]},
         "principal { __typename }", "NOT_FOUND"),
        ("copyRole", {"roleId": ids["salesperson"], "name": "sales_manager"}, "role { id }", "DUPLICATE"),
        ("copyRole", {"roleId": ids["salesperson"], "name": " "}, "role { id }", "VALIDATION"),
    ]
    for name, values, selection, code in cases:
        payload = await api.mutate(name, values, selection)
        assert [e["code"] for e in payload["errors"]] == [code], (name, payload)
    for who in ("manager", "sales1"):
        for name, values, selection in [
            ("copyRole", {"roleId": ids["salesperson"], "name": "Mine"}, "role { id }"),
            ("assignRoles", {"principalId": gid("User", org.users[who]), "roleIds": [ids["system_administrator"]]},
             "principal { __typename }"),
            ("removeRoles", {"principalId": gid("User", org.users["sales2"]), "roleIds": [ids["salesperson"]]},
             "principal { __typename }"),
        ]:
            payload = await api.mutate(name, values, selection, as_=who)
            assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], (name, who)
    assert await table_counts(db) == before
