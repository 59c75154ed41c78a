"""Business units and teams (R-ADM-3, R-ADM-4): the tree, its rules, and depth following a move.

The test organisation (tests/support/org.py): Root > Sales > Sales West, Root > Service;
Inside Sales is a team in Sales with Sam and Sasha.
"""

from __future__ import annotations

import re
from typing import Any

from graph.db import Database
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import account, table_counts
from tests.support.sql_counter import SqlCounter

UNIT = "businessUnit { id name isActive parent { name } }"
TEAM = "team { id name isActive businessUnit { name } members { fullName } roles { name } }"


def unit_id(org: Org, key: str) -> str:
    return gid("BusinessUnit", org.units[key])


async def units(api: Api) -> dict[str, dict[str, Any]]:
    found = (await api("{ businessUnits { id name isActive parent { name } } }", as_="sales1"))["businessUnits"]
    return {u["name"]: u for u in found}


async def rename_account(api: Api, account_id: str, name: str, as_: str) -> list[str]:
    payload = await api.mutate("updateAccount", {"id": account_id, "name": name}, "account { name }", as_=as_)
    return [e["code"] for e in payload["errors"]]


async def test_units_are_created_renamed_and_moved_and_form_a_tree(api: Api, org: Org) -> None:
    north = (await api.ok("createBusinessUnit", {"name": "North", "parentId": unit_id(org, "sales")}, UNIT))
    assert north["businessUnit"]["parent"] == {"name": "Sales"}
    north_id = north["businessUnit"]["id"]
    renamed = await api.ok("updateBusinessUnit", {"id": north_id, "name": "Sales North"}, UNIT)
    assert renamed["businessUnit"]["name"] == "Sales North"
    moved = await api.ok("updateBusinessUnit", {"id": north_id, "parentId": unit_id(org, "service")}, UNIT)
    assert moved["businessUnit"]["parent"] == {"name": "Service"}
    tree = await units(api)
    assert tree["Sales North"]["parent"] == {"name": "Service"} and tree["Root"]["parent"] is None
    assert set(tree) == {"Root", "Sales", "Sales West", "Service", "Sales North"}


async def test_a_move_that_would_make_a_cycle_is_refused_and_changes_nothing(api: Api, org: Org, db: Database) -> None:
    before = await table_counts(db)
    under_itself = await api.mutate("updateBusinessUnit", {"id": unit_id(org, "sales"), "parentId": unit_id(org, "sales")}, UNIT)
    under_child = await api.mutate("updateBusinessUnit", {"id": unit_id(org, "sales"), "parentId": unit_id(org, "west"),
                                                          "name": "Never"}, UNIT)
    root = await api.mutate("updateBusinessUnit", {"id": unit_id(org, "root"), "parentId": unit_id(org, "service")}, UNIT)
    nothing = await api.mutate("updateBusinessUnit", {"id": unit_id(org, "sales")}, UNIT)
    assert [p["errors"][0]["code"] for p in (under_itself, under_child, root, nothing)] == [
        "VALIDATION", "VALIDATION", "INVALID_STATE", "VALIDATION"]
    assert under_child["errors"][0]["field"] == ["input", "parentId"]
    assert await table_counts(db) == before
    assert (await units(api))["Sales"]["parent"] == {"name": "Root"}


async def test_a_unit_with_active_users_or_teams_cannot_be_deactivated(api: Api, org: Org) -> None:
    """R-ADM-3: refused while anyone active is in it; a deactivated unit takes nobody new."""
    refused = await api.mutate("deactivateBusinessUnit", {"id": unit_id(org, "west")}, UNIT)
    assert [e["code"] for e in refused["errors"]] == ["INVALID_STATE"]
    await api.ok("updateUser", {"id": gid("User", org.users["sales3"]), "businessUnitId": unit_id(org, "sales")},
                 "user { id }")
    done = await api.ok("deactivateBusinessUnit", {"id": unit_id(org, "west")}, UNIT)
    assert done["businessUnit"]["isActive"] is False
    into = await api.mutate("updateUser", {"id": gid("User", org.users["sales3"]), "businessUnitId": unit_id(org, "west")},
                            "user { id }")
    team = await api.mutate("createTeam", {"name": "West Team", "businessUnitId": unit_id(org, "west")}, "team { id }")
    assert [e["code"] for e in into["errors"] + team["errors"]] == ["DEACTIVATED", "DEACTIVATED"]
    # Sales has active users, and a unit with an active unit below it stays too.
    service_refused = await api.mutate("deactivateBusinessUnit", {"id": unit_id(org, "sales")}, UNIT)
    assert [e["code"] for e in service_refused["errors"]] == ["INVALID_STATE"]
    again = await api.ok("activateBusinessUnit", {"id": unit_id(org, "west")}, UNIT)
    assert again["businessUnit"]["isActive"] is True


async def test_moving_a_user_moves_the_unit_of_what_they_own_in_one_statement_per_table(
        api: Api, org: Org, sql: SqlCounter) -> None:
    """R-ADM-3: unit-depth rights follow the owner to the new unit on the next request."""
    wes_account = (await account(api, "Westwood Ltd", ownerId=gid("User", org.users["sales3"])))["id"]
    assert await rename_account(api, wes_account, "By Selma", "service_manager") == ["FORBIDDEN"]
    assert await rename_account(api, wes_account, "By Morgan", "manager") == []  # Sales West is below Sales
    with sql.count() as statements:
        await api.ok("updateUser", {"id": gid("User", org.users["sales3"]), "businessUnitId": unit_id(org, "service")},
                     "user { id }")
    restamps = [s for s in statements if re.match(r"\s*UPDATE \w+ SET owning_business_unit_id", s)]
    tables = [re.match(r"\s*UPDATE (\w+)", s).group(1) for s in restamps]  # type: ignore[union-attr]
    assert sorted(tables) == ["activities", "notes", "records", "timeline_counts", "timeline_entries"]
    assert await rename_account(api, wes_account, "By Selma", "service_manager") == []
    assert await rename_account(api, wes_account, "By Morgan", "manager") == ["FORBIDDEN"]


async def test_teams_are_created_renamed_and_their_members_changed(api: Api, org: Org) -> None:
    made = await api.ok("createTeam", {"name": "Key Accounts", "businessUnitId": unit_id(org, "sales"),
                                       "memberIds": [gid("User", org.users["sales3"])]}, TEAM)
    team = made["team"]
    assert (team["name"], team["businessUnit"], team["members"]) == (
        "Key Accounts", {"name": "Sales"}, [{"fullName": "Wes Westwood"}])
    renamed = await api.ok("updateTeam", {"id": team["id"], "name": "Key Accounts EMEA"}, TEAM)
    assert renamed["team"]["name"] == "Key Accounts EMEA"
    added = await api.ok("addTeamMembers", {"teamId": team["id"], "userIds": [
        gid("User", org.users["sales1"]), gid("User", org.users["sales3"])]}, TEAM)
    assert [m["fullName"] for m in added["team"]["members"]] == ["Sam Seller", "Wes Westwood"]
    removed = await api.ok("removeTeamMembers", {"teamId": team["id"], "userIds": [gid("User", org.users["sales3"])]}, TEAM)
    assert [m["fullName"] for m in removed["team"]["members"]] == ["Sam Seller"]
    listed = (await api("{ teams { name members { fullName } } }", as_="sales2"))["teams"]
    assert [t["name"] for t in listed] == ["Inside Sales", "Key Accounts EMEA"]
    assert (await api("{ viewer { teamIds } }", as_="sales3"))["viewer"]["teamIds"] == []


async def test_a_new_member_acts_on_what_the_team_owns_at_once(api: Api, org: Org) -> None:
    """R-ADM-4: membership is part of the scope: the next request may write the team's account."""
    team_account = (await account(api, "Team Co", ownerId=gid("Team", org.team_id)))["id"]
    assert await rename_account(api, team_account, "By Wes", "sales3") == ["FORBIDDEN"]
    await api.ok("addTeamMembers", {"teamId": gid("Team", org.team_id), "userIds": [gid("User", org.users["sales3"])]},
                 "team { id }")
    assert await rename_account(api, team_account, "By Wes", "sales3") == []
    await api.ok("removeTeamMembers", {"teamId": gid("Team", org.team_id), "userIds": [gid("User", org.users["sales3"])]},
                 "team { id }")
    assert await rename_account(api, team_account, "By Wes again", "sales3") == ["FORBIDDEN"]


async def test_moving_a_team_moves_the_unit_of_what_it_owns(api: Api, org: Org) -> None:
    team_account = (await account(api, "Team Co", ownerId=gid("Team", org.team_id)))["id"]
    assert await rename_account(api, team_account, "By Selma", "service_manager") == ["FORBIDDEN"]
    moved = await api.ok("updateTeam", {"id": gid("Team", org.team_id), "businessUnitId": unit_id(org, "service")}, TEAM)
    assert moved["team"]["businessUnit"] == {"name": "Service"}
    assert await rename_account(api, team_account, "By Selma", "service_manager") == []


async def test_bad_input_and_non_administrators_change_nothing(api: Api, org: Org, db: Database) -> None:
    before = await table_counts(db)
    team = gid("Team", org.team_id)
    calls = [
        ("createBusinessUnit", {"name": "X", "parentId": unit_id(org, "root")}, "businessUnit { id }"),
        ("updateBusinessUnit", {"id": unit_id(org, "west"), "name": "X"}, "businessUnit { id }"),
        ("deactivateBusinessUnit", {"id": unit_id(org, "west")}, "businessUnit { id }"),
        ("createTeam", {"name": "X", "businessUnitId": unit_id(org, "sales")}, "team { id }"),
        ("updateTeam", {"id": team, "name": "X"}, "team { id }"),
        ("addTeamMembers", {"teamId": team, "userIds": [gid("User", org.users["sales3"])]}, "team { id }"),
        ("removeTeamMembers", {"teamId": team, "userIds": [gid("User", org.users["sales1"])]}, "team { id }"),
    ]
    for who in ("manager", "sales1"):
        for name, values, selection in calls:
            payload = await api.mutate(name, values, selection, as_=who)
            assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], (name, who)
    bad = [
        ("createBusinessUnit", {"name": "  ", "parentId": unit_id(org, "root")}, "businessUnit { id }", "VALIDATION"),
        ("createBusinessUnit", {"name": "X", "parentId": gid("BusinessUnit", org.team_id)}, "businessUnit { id }",
         "NOT_FOUND"),
        ("createTeam", {"name": "X", "businessUnitId": unit_id(org, "sales"),
                        "memberIds": [gid("User", org.team_id)]}, "team { id }", "NOT_FOUND"),
        ("addTeamMembers", {"teamId": gid("Team", org.users["sales1"]), "userIds": []}, "team { id }", "NOT_FOUND"),
    ]
    for name, values, selection, code in bad:
        payload = await api.mutate(name, values, selection)
        assert [e["code"] for e in payload["errors"]] == [code], (name, payload)
    assert await table_counts(db) == before


async def test_every_administration_change_is_audited_and_published_with_its_actor(
        api: Api, org: Org, db: Database) -> None:
    """SPEC §11: an audit entry (column changes diffed, link changes listed) and a live event."""
    from sqlalchemy import select

    from graph.models import AuditEntry, OutboxEvent
    from resolvers.ids import parse_global_id

    roles = {r["name"]: r["id"] for r in (await api("{ roles { id name } }"))["roles"]}
    made = await api.ok("createUser", {"email": "audit@test.relate", "fullName": "Audit Me",
                                       "businessUnitId": unit_id(org, "sales"), "roleIds": [roles["salesperson"]]},
                        "user { id }")
    user = made["user"]["id"]
    await api.ok("updateUser", {"id": user, "fullName": "Audited"}, "user { id }")
    await api.ok("addTeamMembers", {"teamId": gid("Team", org.team_id), "userIds": [user]}, "team { id }")
    await api.ok("deactivateUser", {"id": user}, "user { id }")
    raw = parse_global_id(user)
    assert raw is not None
    async with db.read() as session:
        entries = (await session.execute(select(AuditEntry.subject_kind, AuditEntry.action, AuditEntry.changes,
                                                AuditEntry.actor_id)
                                         .where(AuditEntry.subject_id == raw[1]).order_by(AuditEntry.id))).all()
        events = (await session.scalars(select(OutboxEvent.payload).where(OutboxEvent.kind == "organisation.changed")
                                        .order_by(OutboxEvent.id))).all()
    assert {actor for *_, actor in entries} == {org.users["admin"]}
    fields = [[c["field"] for c in changes] for _, _, changes, _ in entries]
    assert ("PRINCIPAL", "CREATED") == entries[0][:2] and ["roleIds"] in fields and ["name"] in fields
    assert ["isActive"] in fields
    assert [e["change"] for e in events if e["subjectId"] == str(raw[1])] == [
        "CREATED", "UPDATED", "DEACTIVATED"]
    assert [e["change"] for e in events if e["subjectType"] == "TEAM"] == ["MEMBERS_CHANGED"]
