"""Administering people (R-ADM-2): the users directory, creating, editing, deactivating.

A deactivated user's token stops on the very next request; the websocket and response
cache halves of that promise are in tests/live/test_live_permissions.py and
tests/perf/test_response_cache.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from graph.db import Database
from graph.models import Role, User
from tests.support.activity_factories import task, timeline_owners
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import account, contact, table_counts
from tests.support.sql_counter import SqlCounter

USER_FIELDS = """id fullName email isActive timeZone businessPhone
  workingHours { day start end } businessUnit { id name } roles { name builtIn } teams { name }"""
USERS = f"""query($filter: UserFilter, $first: Int, $after: String) {{
  users(filter: $filter, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {USER_FIELDS} }} }} }} }}"""
UNITS = "{ viewer { businessUnitId } }"


async def users(api: Api, as_: str = "sales1", **variables: Any) -> dict[str, Any]:
    return (await api(USERS, variables, as_=as_))["users"]


async def role_ids(api: Api) -> dict[str, str]:
    return {r["name"]: r["id"] for r in (await api("{ roles { id name builtIn } }"))["roles"]}


def new_person(org: Org, **fields: Any) -> dict[str, Any]:
    return {"email": "Robin.Rep@Test.Relate", "fullName": "Robin Rep",
            "businessUnitId": gid("BusinessUnit", org.units["west"]), "timeZone": "Europe/Paris",
            "workingHours": [{"day": "MONDAY", "start": "09:00", "end": "12:00"},
                             {"day": "MONDAY", "start": "13:00", "end": "17:30"}], **fields}


async def test_the_users_directory_shows_hours_zone_unit_roles_and_teams_in_a_fixed_number_of_statements(
        api: Api, org: Org, sql: SqlCounter) -> None:
    """R-ADM-2: every signed-in user reads the directory; related rows come one statement per kind."""
    await users(api, first=1)  # the viewer's scope is built once, then cached under the stamp
    with sql.count() as statements:
        page = await users(api, first=50)
    assert page["totalCount"] == len(org.users)
    by_email = {e["node"]["email"]: e["node"] for e in page["edges"]}
    sam = by_email["sales1@test.relate"]
    assert sam["fullName"] == "Sam Seller" and sam["isActive"] and sam["timeZone"] == "UTC"
    assert sam["businessUnit"] == {"id": gid("BusinessUnit", org.units["sales"]), "name": "Sales"}
    assert sam["roles"] == [{"name": "salesperson", "builtIn": True}]
    assert sam["teams"] == [{"name": "Inside Sales"}]
    assert sam["workingHours"][0] == {"day": "MONDAY", "start": "08:00", "end": "18:00"}
    assert [p["day"] for p in sam["workingHours"]] == ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
    assert by_email["norole@test.relate"]["roles"] == []
    names = [e["node"]["fullName"] for e in page["edges"]]
    assert names == sorted(names)
    # authentication, the page, the count, then one statement each for units, roles and teams
    assert len(statements) == 6, "\n".join(s[:80] for s in statements)


async def test_users_filters_narrow_the_list_and_pages_follow_cursors(api: Api, org: Org) -> None:
    roles = await role_ids(api)
    assert [e["node"]["email"] for e in (await users(api, filter={"text": "SELLER"}))["edges"]] == [
        "sales1@test.relate", "sales2@test.relate"]
    in_service = await users(api, filter={"businessUnitId": gid("BusinessUnit", org.units["service"])})
    assert {e["node"]["email"] for e in in_service["edges"]} == {"service@test.relate", "service_manager@test.relate"}
    managers = await users(api, filter={"roleId": roles["sales_manager"]})
    assert {e["node"]["email"] for e in managers["edges"]} == {"manager@test.relate", "service_manager@test.relate"}
    team = await users(api, filter={"teamId": gid("Team", org.team_id)})
    assert [e["node"]["email"] for e in team["edges"]] == ["sales1@test.relate", "sales2@test.relate"]
    first = await users(api, first=3)
    rest = await users(api, first=50, after=first["pageInfo"]["endCursor"])
    assert first["pageInfo"]["hasNextPage"] and len(first["edges"]) + len(rest["edges"]) == len(org.users)
    await api.ok("deactivateUser", {"id": gid("User", org.users["norole"])}, "user { id }")
    inactive = await users(api, filter={"isActive": False})
    assert [e["node"]["email"] for e in inactive["edges"]] == ["norole@test.relate"]


async def test_create_user_then_they_sign_in_with_their_unit_roles_and_hours(api: Api, org: Org) -> None:
    roles = await role_ids(api)
    payload = await api.ok("createUser", new_person(org, roleIds=[roles["salesperson"]]), f"user {{ {USER_FIELDS} }}")
    robin = payload["user"]
    assert robin["email"] == "robin.rep@test.relate"  # stored lower-cased: unique ignoring case
    assert robin["businessUnit"]["name"] == "Sales West" and robin["timeZone"] == "Europe/Paris"
    assert robin["roles"] == [{"name": "salesperson", "builtIn": True}]
    assert robin["workingHours"] == [{"day": "MONDAY", "start": "09:00", "end": "12:00"},
                                     {"day": "MONDAY", "start": "13:00", "end": "17:30"}]
    node = await api("query($id: ID!) { node(id: $id) { ... on User { fullName isActive } } }", {"id": robin["id"]})
    assert node["node"] == {"fullName": "Robin Rep", "isActive": True}


async def test_a_client_reads_the_hours_a_meeting_is_refused_by(api: Api, org: Org) -> None:
    """R-TRACK-3 decides on `User.workingHours` and `timeZone`: a client can show them."""
    await api.ok("updateUser", {"id": gid("User", org.users["sales1"]), "timeZone": "America/New_York",
                                "workingHours": [{"day": "TUESDAY", "start": "09:00", "end": "17:00"}]}, "user { id }")
    sam = (await users(api, filter={"text": "sales1@"}))["edges"][0]["node"]
    assert sam["timeZone"] == "America/New_York"
    assert sam["workingHours"] == [{"day": "TUESDAY", "start": "09:00", "end": "17:00"}]
    meeting = {"icalUid": "uid-hours@calendar.example", "subject": "Early", "organizer": "sales1@test.relate",
               "requiredAttendees": ["buyer@customer.example"],
               # 13:30 UTC on Tuesday is 08:30 in New York: before Sam's 09:00.
               "start": "2025-01-21T13:30:00Z", "end": "2025-01-21T14:00:00Z"}
    refused = await api.mutate("trackAppointment", meeting, "appointment { id }", as_="sales1")
    assert [e["code"] for e in refused["errors"]] == ["OUTSIDE_WORKING_HOURS"]
    assert "09:00–17:00" in refused["errors"][0]["message"]
    later = {**meeting, "start": "2025-01-21T14:00:00Z", "end": "2025-01-21T15:00:00Z"}
    assert (await api.mutate("trackAppointment", later, "appointment { id }", as_="sales1"))["errors"] == []


async def test_bad_user_input_is_a_typed_error_and_writes_nothing(api: Api, org: Org, db: Database) -> None:
    before = await table_counts(db)
    cases = {
        "DUPLICATE": new_person(org, email="SALES1@test.relate"),
        "VALIDATION": new_person(org, email="not an address"),
    }
    for code, values in cases.items():
        payload = await api.mutate("createUser", values, "user { id }")
        assert [e["code"] for e in payload["errors"]] == [code] and payload["user"] is None
        assert payload["errors"][0]["field"] == ["input", "email"]
    zone = await api.mutate("createUser", new_person(org, timeZone="Mars/Olympus"), "user { id }")
    assert zone["errors"][0]["field"] == ["input", "timeZone"]
    hours = await api.mutate("createUser", new_person(org, workingHours=[
        {"day": "MONDAY", "start": "17:00", "end": "09:00"}, {"day": "TUESDAY", "start": "9am", "end": "17:00"}]),
        "user { id }")
    assert [e["field"] for e in hours["errors"]] == [["input", "workingHours", "0"], ["input", "workingHours", "1"]]
    unit = await api.mutate("createUser", new_person(org, businessUnitId=gid("BusinessUnit", org.team_id)),
                            "user { id }")
    assert [e["code"] for e in unit["errors"]] == ["NOT_FOUND"]
    wrong_type = await api.mutate("createUser", new_person(org, businessUnitId=gid("Team", org.team_id)),
                                  "user { id }")
    assert wrong_type["errors"][0]["field"] == ["input", "businessUnitId"]
    renamed = await api.mutate("updateUser", {"id": gid("User", org.users["sales2"]), "email": "Sales1@TEST.relate",
                                              "fullName": "Never Set"}, "user { id }")
    assert [e["code"] for e in renamed["errors"]] == ["DUPLICATE"]
    assert await table_counts(db) == before
    async with db.read() as session:
        assert await session.scalar(select(func.count()).where(User.name == "Never Set")) == 0


async def test_only_administrators_administer_people(api: Api, org: Org, db: Database) -> None:
    before = await table_counts(db)
    for who in ("manager", "sales1", "norole"):
        created = await api.mutate("createUser", new_person(org), "user { id }", as_=who)
        deactivated = await api.mutate("deactivateUser", {"id": gid("User", org.users["sales2"])}, "user { id }", as_=who)
        updated = await api.mutate("updateUser", {"id": gid("User", org.users[who]), "fullName": "Me"}, "user { id }", as_=who)
        assert {e["code"] for p in (created, deactivated, updated) for e in p["errors"]} == {"FORBIDDEN"}
    assert await table_counts(db) == before


async def test_update_user_replaces_roles_and_changes_rights_on_the_next_request(api: Api, org: Org) -> None:
    roles = await role_ids(api)
    nora = gid("User", org.users["norole"])
    assert (await api("{ viewer { roles } }", as_="norole"))["viewer"]["roles"] == []
    await api.ok("updateUser", {"id": nora, "roleIds": [roles["sales_manager"]], "fullName": " Nora Manager "},
                 "user { fullName }")
    assert (await api("{ viewer { roles user { fullName } } }", as_="norole"))["viewer"] == {
        "roles": ["sales_manager"], "user": {"fullName": "Nora Manager"}}
    await api.ok("updateUser", {"id": nora, "roleIds": []}, "user { id }")
    assert (await api("{ viewer { roles } }", as_="norole"))["viewer"]["roles"] == []


async def test_the_last_active_system_administrator_is_kept(api: Api, org: Org, db: Database) -> None:
    """R-ADM-2: not deactivated, not stripped of the role; with a second one, both are possible."""
    roles = await role_ids(api)
    ada = gid("User", org.users["admin"])
    before = await table_counts(db)
    deactivated = await api.mutate("deactivateUser", {"id": ada}, "user { isActive }")
    stripped = await api.mutate("updateUser", {"id": ada, "roleIds": [roles["salesperson"]]}, "user { id }")
    assert [e["code"] for e in deactivated["errors"] + stripped["errors"]] == ["LAST_ADMINISTRATOR"] * 2
    assert await table_counts(db) == before
    assert (await api("{ viewer { roles } }"))["viewer"]["roles"] == ["system_administrator"]
    await api.ok("updateUser", {"id": gid("User", org.users["manager"]), "roleIds": [roles["system_administrator"]]},
                 "user { id }")
    assert (await api.ok("deactivateUser", {"id": ada}, "user { isActive }"))["user"] == {"isActive": False}
    # The new administrator cannot now leave the organisation without one.
    left = await api.mutate("deactivateUser", {"id": gid("User", org.users["manager"])}, "user { id }", as_="manager")
    assert [e["code"] for e in left["errors"]] == ["LAST_ADMINISTRATOR"]


async def test_a_deactivated_users_token_stops_at_once_and_works_again_after_activation(
        api: Api, org: Org) -> None:
    wes = gid("User", org.users["sales3"])
    assert (await api("{ viewer { user { email } } }", as_="sales3"))["viewer"]["user"]["email"] == "sales3@test.relate"
    assert (await api.ok("deactivateUser", {"id": wes}, "user { isActive }"))["user"] == {"isActive": False}
    refused = await api.raw("{ viewer { user { email } } }", as_="sales3")
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    again = await api.mutate("deactivateUser", {"id": wes}, "user { id }")
    assert [e["code"] for e in again["errors"]] == ["INVALID_STATE"]
    await api.ok("activateUser", {"id": wes}, "user { isActive }")
    assert (await api("{ viewer { user { isActive } } }", as_="sales3"))["viewer"]["user"]["isActive"] is True


async def test_roles_lists_the_built_in_roles(api: Api, db: Database) -> None:
    listed = (await api("{ roles { name builtIn } }", as_="sales1"))["roles"]
    async with db.read() as session:
        names = sorted((await session.scalars(select(Role.name))).all())
    assert [r["name"] for r in listed] == names
    assert {r["name"] for r in listed if r["builtIn"]} == {"salesperson", "sales_manager", "system_administrator"}


REASSIGN = "accounts contacts leads opportunities cases activities"
OWNER = "query($id: ID!) { node(id: $id) { ... on Account { owner { ... on Team { name } ... on User { fullName } } } " \
        "... on Contact { owner { ... on Team { name } ... on User { fullName } } } " \
        "... on Task { owner { ... on Team { name } ... on User { fullName } } } } }"


async def owner_of(api: Api, global_id: str) -> str:
    owner = (await api(OWNER, {"id": global_id}))["node"]["owner"]
    return owner.get("name") or owner["fullName"]


async def test_reassign_records_moves_every_open_record_and_activity_with_counts_per_type(
        api: Api, org: Org, db: Database) -> None:
    """R-ADM-2: open rows move (their timeline counts too); closed and inactive ones stay."""
    sam = gid("User", org.users["sales1"])
    kept = await account(api, "Old Co", ownerId=sam)
    await api.ok("deactivateRecord", {"id": kept["id"]}, "record { id }")
    acme = await account(api, "Acme", ownerId=sam)
    pat = await contact(api, "Pat", "Buyer", ownerId=sam, accountId=acme["id"])
    call = await task(api, "Call Pat", regardingId=pat["id"])
    done = await task(api, "Done already", regardingId=pat["id"])
    await api.ok("completeActivities", {"ids": [done["id"]]}, "results { id }")
    team = gid("Team", org.team_id)
    moved = await api.ok("reassignRecords", {"fromUserId": sam, "toOwnerId": team}, REASSIGN)
    assert {k: v for k, v in moved.items() if k != "errors"} == {
        "accounts": 1, "contacts": 1, "leads": 0, "opportunities": 0, "cases": 0, "activities": 1}
    assert [await owner_of(api, i) for i in (acme["id"], pat["id"], call["id"])] == ["Inside Sales"] * 3
    assert [await owner_of(api, i) for i in (kept["id"], done["id"])] == ["Sam Seller"] * 2
    assert await timeline_owners(db, pat["id"]) == {org.team_id: 1, org.users["sales1"]: 1}
    again = await api.ok("reassignRecords", {"fromUserId": sam, "toOwnerId": team}, REASSIGN)
    assert again["accounts"] == again["activities"] == 0


async def test_reassign_records_refuses_a_bad_target_and_changes_nothing(api: Api, org: Org, db: Database) -> None:
    sam = gid("User", org.users["sales1"])
    await account(api, "Acme", ownerId=sam)
    await api.ok("deactivateUser", {"id": gid("User", org.users["norole"])}, "user { id }")
    before = await table_counts(db)
    cases = {
        "DEACTIVATED": {"fromUserId": sam, "toOwnerId": gid("User", org.users["norole"])},
        "VALIDATION": {"fromUserId": sam, "toOwnerId": sam},
        "NOT_FOUND": {"fromUserId": gid("User", org.team_id), "toOwnerId": sam},
    }
    for code, values in cases.items():
        payload = await api.mutate("reassignRecords", values, "accounts")
        assert [e["code"] for e in payload["errors"]] == [code], payload
    forbidden = await api.mutate("reassignRecords", {"fromUserId": sam, "toOwnerId": gid("User", org.users["sales2"])},
                                 "accounts", as_="manager")
    assert [e["code"] for e in forbidden["errors"]] == ["FORBIDDEN"]
    assert await table_counts(db) == before
