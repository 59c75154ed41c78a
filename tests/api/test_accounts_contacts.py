"""Accounts and contacts over the API: R-ACC-1, R-CON-1, R-CON-2, R-REC-2, R-API-1, R-API-2."""

from __future__ import annotations

import asyncio
from typing import Any

from graph.db import Database
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import CONTACT_FIELDS, account, contact, record_row, table_counts

NODE_CONTACT = f"query($id: ID!) {{ node(id: $id) {{ ... on Contact {{ {CONTACT_FIELDS} }} }} }}"
STAMPS = ("version createdOn modifiedOn createdBy { ... on User { fullName } } "
          "modifiedBy { ... on User { fullName } }")


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def names(api: Api, list_name: str, *, include_inactive: bool | None = None, as_: str = "admin") -> list[str]:
    arg = "" if include_inactive is None else f"(includeInactive: {str(include_inactive).lower()})"
    data = await api(f"{{ {list_name}{arg} {{ totalCount nodes {{ name }} }} }}", as_=as_)
    found = [n["name"] for n in data[list_name]["nodes"]]
    assert data[list_name]["totalCount"] == len(found)
    return found


# --- R-ACC-1: only the name is required ------------------------------------------------


async def test_r_acc_1_an_account_needs_only_a_name(api: Api) -> None:
    payload = await api.ok("createAccount", {"name": "  Import Sports  "},
                           "account { name phone email website industry address { city } state version }")
    assert payload["account"] == {"name": "Import Sports", "phone": None, "email": None, "website": None,
                                  "industry": None, "address": None, "state": "ACTIVE", "version": 1}


async def test_r_acc_1_an_empty_or_blank_name_is_refused_and_nothing_is_written(api: Api, db: Database) -> None:
    before = await table_counts(db)
    for name in ("", "   ", "\t\n"):
        payload = await api.mutate("createAccount", {"name": name}, "account { id }")
        assert payload["account"] is None
        assert codes(payload) == [("VALIDATION", ["input", "name"])]
    assert await table_counts(db) == before


async def test_r_acc_1_an_update_cannot_blank_the_name(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    for name in ("", "  ", None):
        payload = await api.mutate("updateAccount", {"id": acc["id"], "name": name}, "account { id }")
        assert codes(payload) == [("VALIDATION", ["input", "name"])]
    row = await record_row(db, acc["id"])
    assert (row["name"], row["version"]) == ("Import Sports", 1)


async def test_r_acc_1_account_email_and_phone_shapes_are_checked(api: Api, db: Database) -> None:
    before = await table_counts(db)
    payload = await api.mutate("createAccount", {"name": "X", "email": "nobody", "phone": "call me"}, "account { id }")
    assert sorted(codes(payload)) == [("VALIDATION", ["input", "email"]), ("VALIDATION", ["input", "phone"])]
    assert await table_counts(db) == before


# --- R-CON-1: first and last name required, contact points checked, preferences ----------


async def test_r_con_1_a_contact_needs_first_and_last_name(api: Api, db: Database) -> None:
    before = await table_counts(db)
    payload = await api.mutate("createContact", {"firstName": " ", "lastName": ""}, "contact { id }")
    assert payload["contact"] is None
    assert codes(payload) == [("VALIDATION", ["input", "firstName"]), ("VALIDATION", ["input", "lastName"])]
    payload = await api.mutate("createContact", {"firstName": "Chris", "lastName": " "}, "contact { id }")
    assert codes(payload) == [("VALIDATION", ["input", "lastName"])]
    assert await table_counts(db) == before

    made = await contact(api, " Chris ", "Preston")
    assert (made["name"], made["firstName"], made["lastName"]) == ("Chris Preston", "Chris", "Preston")


async def test_r_con_1_email_and_phone_shapes_are_checked(api: Api, db: Database) -> None:
    before = await table_counts(db)
    for field, value in (
        ("email", "chris@"), ("email", "chris preston@example.com"), ("email", "chris@example"),
        ("businessPhone", "ring ring"), ("mobilePhone", "12"), ("businessPhone", "+1 555 0100 ext. nine"),
    ):
        payload = await api.mutate("createContact", {"firstName": "Chris", "lastName": "Preston", field: value},
                                   "contact { id }")
        assert codes(payload) == [("VALIDATION", ["input", field])], value
        assert value in payload["errors"][0]["message"]
    assert await table_counts(db) == before


async def test_r_con_1_good_contact_points_are_kept_and_empty_ones_cleared(api: Api) -> None:
    made = await contact(api, "Chris", "Preston", email="chris@importsports.example",
                         businessPhone="+1 (555) 010-2000", mobilePhone="+44 7700 900123")
    assert (made["email"], made["businessPhone"], made["mobilePhone"]) == (
        "chris@importsports.example", "+1 (555) 010-2000", "+44 7700 900123")
    payload = await api.ok("updateContact", {"id": made["id"], "email": "", "mobilePhone": None},
                           "contact { email businessPhone mobilePhone }")
    assert payload["contact"] == {"email": None, "businessPhone": "+1 (555) 010-2000", "mobilePhone": None}


async def test_r_con_1_contact_preferences_round_trip(api: Api) -> None:
    made = await contact(api, "Chris", "Preston", doNotPhone=True)
    assert (made["doNotPhone"], made["doNotEmail"], made["doNotText"]) == (True, False, False)
    await api.ok("updateContact", {"id": made["id"], "doNotEmail": True, "doNotText": True}, "contact { id }")
    await api.ok("updateContact", {"id": made["id"], "doNotPhone": False}, "contact { id }")
    read = (await api(NODE_CONTACT, {"id": made["id"]}))["node"]
    assert (read["doNotPhone"], read["doNotEmail"], read["doNotText"]) == (False, True, True)


# --- R-CON-2: at most one account; all or nothing ---------------------------------------


async def test_r_con_2_contacts_are_added_to_an_account(api: Api) -> None:
    acc = await account(api, "Import Sports")
    a, b = await contact(api, "Chris", "Preston"), await contact(api, "Dana", "Lee")
    payload = await api.ok("addContactsToAccount", {"accountId": acc["id"], "contactIds": [a["id"], b["id"]]},
                           "account { id } contacts { id version account { name } }")
    assert [(c["id"], c["version"], c["account"]) for c in payload["contacts"]] == [
        (a["id"], 2, {"name": "Import Sports"}), (b["id"], 2, {"name": "Import Sports"})]
    listed = await api("query($a: ID!) { contacts(filter: {accountId: $a}) { totalCount nodes { name } } }",
                       {"a": acc["id"]})
    assert listed["contacts"]["totalCount"] == 2


async def test_r_con_2_a_contact_of_another_account_is_refused_naming_it_and_nothing_changes(
    api: Api, db: Database,
) -> None:
    mine, other = await account(api, "Import Sports"), await account(api, "Fourth Coffee")
    taken = await contact(api, "Chris", "Preston", accountId=other["id"])
    free1, free2 = await contact(api, "Dana", "Lee"), await contact(api, "Eli", "Moss")
    rows_before = [await record_row(db, c["id"]) for c in (free1, taken, free2)]
    before = await table_counts(db)

    payload = await api.mutate("addContactsToAccount",
                               {"accountId": mine["id"], "contactIds": [free1["id"], taken["id"], free2["id"]]},
                               "account { id } contacts { id }")

    assert payload["account"] is None and payload["contacts"] is None
    assert codes(payload) == [("CONTACT_HAS_OTHER_ACCOUNT", ["input", "contactIds", "1"])]
    assert "Fourth Coffee" in payload["errors"][0]["message"]
    assert "Chris Preston" in payload["errors"][0]["message"]
    assert [await record_row(db, c["id"]) for c in (free1, taken, free2)] == rows_before
    assert await table_counts(db) == before
    still = (await api(NODE_CONTACT, {"id": free1["id"]}))["node"]
    assert still["account"] is None and still["version"] == 1


async def test_r_con_2_adding_a_contact_already_on_that_account_is_harmless(api: Api) -> None:
    acc = await account(api, "Import Sports")
    c = await contact(api, "Chris", "Preston", accountId=acc["id"])
    payload = await api.ok("addContactsToAccount", {"accountId": acc["id"], "contactIds": [c["id"], c["id"]]},
                           "contacts { id version }")
    assert payload["contacts"] == [{"id": c["id"], "version": 1}]


async def test_r_con_2_update_contact_moves_it_to_another_account(api: Api) -> None:
    old, new = await account(api, "Import Sports"), await account(api, "Fourth Coffee")
    c = await contact(api, "Chris", "Preston", accountId=old["id"])
    assert c["account"]["name"] == "Import Sports"
    payload = await api.ok("updateContact", {"id": c["id"], "accountId": new["id"]}, "contact { account { name } version }")
    assert payload["contact"] == {"account": {"name": "Fourth Coffee"}, "version": 2}
    payload = await api.ok("updateContact", {"id": c["id"], "accountId": None}, "contact { account { name } }")
    assert payload["contact"]["account"] is None


async def test_r_con_2_the_account_id_must_name_an_account(api: Api, db: Database, org: Org) -> None:
    c = await contact(api, "Chris", "Preston")
    other = await contact(api, "Dana", "Lee")
    before = await table_counts(db)
    # A Contact id where an Account id is expected: refused by type, before any lookup.
    payload = await api.mutate("updateContact", {"id": c["id"], "accountId": other["id"]}, "contact { id }")
    assert codes(payload) == [("VALIDATION", ["input", "accountId"])]
    # An Account-typed id that really names a contact is not found as an account either.
    forged = gid("Account", (await record_row(db, other["id"]))["id"])
    payload = await api.mutate("updateContact", {"id": c["id"], "accountId": forged}, "contact { id }")
    assert payload["errors"][0]["field"] == ["input", "accountId"]
    assert payload["errors"][0]["code"] in ("VALIDATION", "NOT_FOUND")
    assert await table_counts(db) == before
    assert (await record_row(db, c["id"]))["version"] == 1


# --- R-REC-2: deactivate / activate -----------------------------------------------------


async def test_r_rec_2_a_deactivated_account_is_read_only_hidden_and_can_be_activated(
    api: Api, db: Database, org: Org,
) -> None:
    acc = await account(api, "Import Sports")
    await account(api, "Fourth Coffee")
    member = await contact(api, "Chris", "Preston", accountId=acc["id"])
    loose = await contact(api, "Dana", "Lee")

    payload = await api.ok("deactivateRecord", {"id": acc["id"]}, "record { state version }")
    assert payload["record"] == {"state": "INACTIVE", "version": 2}
    before = await table_counts(db)
    row = await record_row(db, acc["id"])

    refused = [
        await api.mutate("updateAccount", {"id": acc["id"], "phone": "+1 555 0199"}, "account { id }"),
        await api.mutate("changeOwner", {"id": acc["id"], "ownerId": gid("User", org.users["sales1"])}, "record { id }"),
        await api.mutate("addContactsToAccount", {"accountId": acc["id"], "contactIds": [loose["id"]]}, "account { id }"),
        await api.mutate("createContact", {"firstName": "New", "lastName": "Person", "accountId": acc["id"]},
                         "contact { id }"),
        await api.mutate("updateContact", {"id": loose["id"], "accountId": acc["id"]}, "contact { id }"),
        await api.mutate("deactivateRecord", {"id": acc["id"]}, "record { id }"),
    ]
    assert [p["errors"][0]["code"] for p in refused] == ["DEACTIVATED"] * 5 + ["INVALID_STATE"]
    assert "Import Sports" in refused[0]["errors"][0]["message"]
    assert refused[3]["errors"][0]["field"] == ["input", "accountId"]
    assert await table_counts(db) == before
    assert await record_row(db, acc["id"]) == row

    assert await names(api, "accounts") == ["Fourth Coffee"]
    assert await names(api, "accounts", include_inactive=True) == ["Fourth Coffee", "Import Sports"]
    # Its contact stays active and keeps the link; the account is still readable by id.
    kept = (await api(NODE_CONTACT, {"id": member["id"]}))["node"]
    assert kept["state"] == "ACTIVE" and kept["account"] == {"id": acc["id"], "name": "Import Sports"}

    payload = await api.ok("activateRecord", {"id": acc["id"]}, "record { state version }")
    assert payload["record"] == {"state": "ACTIVE", "version": 3}
    await api.ok("updateAccount", {"id": acc["id"], "phone": "+1 555 0199"}, "account { id }")
    assert await names(api, "accounts") == ["Fourth Coffee", "Import Sports"]


async def test_r_rec_2_a_deactivated_contact_is_read_only_and_hidden(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    c = await contact(api, "Chris", "Preston")
    await contact(api, "Dana", "Lee")
    await api.ok("deactivateRecord", {"id": c["id"], "expectedVersion": 1}, "record { id }")
    before = await table_counts(db)

    payload = await api.mutate("updateContact", {"id": c["id"], "jobTitle": "Buyer"}, "contact { id }")
    assert codes(payload)[0][0] == "DEACTIVATED"
    payload = await api.mutate("addContactsToAccount", {"accountId": acc["id"], "contactIds": [c["id"]]},
                               "account { id }")
    assert codes(payload) == [("DEACTIVATED", ["input", "contactIds", "0"])]
    assert await table_counts(db) == before

    assert await names(api, "contacts") == ["Dana Lee"]
    assert await names(api, "contacts", include_inactive=True) == ["Chris Preston", "Dana Lee"]
    found = await api('{ quickFind(text: "Chris") { name } }')
    assert found["quickFind"] == []

    await api.ok("activateRecord", {"id": c["id"]}, "record { id }")
    payload = await api.ok("updateContact", {"id": c["id"], "jobTitle": "Buyer"}, "contact { version state }")
    assert payload["contact"] == {"version": 4, "state": "ACTIVE"}


# --- R-API-1: versions and system stamps ------------------------------------------------


async def test_r_api_1_a_stale_expected_version_conflicts_and_changes_nothing(
    api: Api, db: Database, org: Org,
) -> None:
    acc = await account(api, "Import Sports")
    await api.ok("updateAccount", {"id": acc["id"], "expectedVersion": 1, "phone": "+1 555 0101"}, "account { id }")
    row = await record_row(db, acc["id"])
    before = await table_counts(db)
    payload = await api.mutate("updateAccount", {"id": acc["id"], "expectedVersion": 1, "name": "Renamed"},
                               "account { id }")
    assert payload["account"] is None
    assert codes(payload) == [("CONFLICT", ["input", "expectedVersion"])]
    assert await record_row(db, acc["id"]) == row
    assert await table_counts(db) == before
    for name, extra in (("deactivateRecord", {}), ("changeOwner", {"ownerId": gid("User", org.users["sales1"])})):
        stale = await api.mutate(name, {"id": acc["id"], "expectedVersion": 1, **extra}, "record { id }")
        assert codes(stale) == [("CONFLICT", ["input", "expectedVersion"])], name
    assert await record_row(db, acc["id"]) == row


async def test_r_api_1_version_increments_on_every_write(api: Api, org: Org) -> None:
    acc = await account(api, "Import Sports")
    c = await contact(api, "Chris", "Preston")
    assert (acc["version"], c["version"]) == (1, 1)
    steps = [
        ("updateAccount", {"id": acc["id"], "expectedVersion": 1, "website": "https://importsports.example"}, "account"),
        ("updateAccount", {"id": acc["id"], "expectedVersion": 2, "industry": "Retail"}, "account"),
        ("changeOwner", {"id": acc["id"], "expectedVersion": 3, "ownerId": gid("User", org.users["manager"])}, "record"),
        ("deactivateRecord", {"id": acc["id"], "expectedVersion": 4}, "record"),
        ("activateRecord", {"id": acc["id"], "expectedVersion": 5}, "record"),
    ]
    for expected, (name, input_, key) in enumerate(steps, start=2):
        payload = await api.ok(name, input_, f"{key} {{ version }}")
        assert payload[key]["version"] == expected, name
    await api.ok("addContactsToAccount", {"accountId": acc["id"], "contactIds": [c["id"]]}, "account { id }")
    read = (await api(NODE_CONTACT, {"id": c["id"]}))["node"]
    assert read["version"] == 2


async def test_r_api_1_stamps_are_set_by_the_system(api: Api, db: Database) -> None:
    made = (await api.ok("createAccount", {"name": "Import Sports"}, f"account {{ id {STAMPS} }}",
                         as_="sales1"))["account"]
    assert made["createdBy"] == made["modifiedBy"] == {"fullName": "Sam Seller"}
    assert made["createdOn"] == made["modifiedOn"] and made["version"] == 1
    changed = (await api.ok("updateAccount", {"id": made["id"], "phone": "+1 555 0101"}, f"account {{ {STAMPS} }}",
                            as_="manager"))["account"]
    assert changed["createdBy"] == {"fullName": "Sam Seller"}
    assert changed["modifiedBy"] == {"fullName": "Morgan Manager"}
    assert changed["createdOn"] == made["createdOn"] and changed["modifiedOn"] > made["modifiedOn"]

    # Clients cannot set them: the inputs have no such fields.
    before = await table_counts(db)
    for forged in ({"createdOn": "2001-01-01T00:00:00Z"}, {"createdBy": "x"}, {"modifiedBy": "x"}, {"version": 9}):
        body = await api.raw("mutation($input: CreateAccountInput!) { createAccount(input: $input) { errors { code } } }",
                             {"input": {"name": "Forged", **forged}})
        assert body.get("data") is None and body["errors"], forged
        body = await api.raw("mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { errors { code } } }",
                             {"input": {"id": made["id"], **forged}})
        assert body.get("data") is None and body["errors"], forged
    assert await table_counts(db) == before
    assert (await record_row(db, made["id"]))["version"] == 2


# --- R-API-2: safe retries ----------------------------------------------------------------


async def test_r_api_2_a_repeated_client_mutation_id_returns_the_first_result(api: Api, db: Database) -> None:
    first = await api.ok("createAccount", {"name": "Import Sports", "clientMutationId": "k-1"}, "account { id }")
    before = await table_counts(db)
    again = await api.ok("createAccount", {"name": "Import Sports", "clientMutationId": "k-1"}, "account { id }")
    assert again["account"]["id"] == first["account"]["id"]
    assert await table_counts(db) == before
    assert (await api("{ accounts { totalCount } }"))["accounts"]["totalCount"] == 1

    # Another key, or another user with the same key, is another create.
    await api.ok("createAccount", {"name": "Import Sports", "clientMutationId": "k-2", "acknowledgeWarnings": True},
                 "account { id }")
    theirs = await api.ok("createAccount", {"name": "Import Sports", "clientMutationId": "k-1",
                                            "acknowledgeWarnings": True}, "account { id }", as_="sales1")
    assert theirs["account"]["id"] != first["account"]["id"]
    assert (await api("{ accounts { totalCount } }"))["accounts"]["totalCount"] == 3


async def test_r_api_2_contacts_are_idempotent_too_and_failures_are_not_remembered(api: Api) -> None:
    bad = await api.mutate("createContact", {"firstName": "", "lastName": "Lee", "clientMutationId": "c-1"},
                           "contact { id }")
    assert codes(bad) == [("VALIDATION", ["input", "firstName"])]
    one = await api.ok("createContact", {"firstName": "Dana", "lastName": "Lee", "clientMutationId": "c-1"},
                       "contact { id }")
    two = await api.ok("createContact", {"firstName": "Dana", "lastName": "Lee", "clientMutationId": "c-1"},
                       "contact { id }")
    assert one["contact"]["id"] == two["contact"]["id"]
    assert (await api("{ contacts { totalCount } }"))["contacts"]["totalCount"] == 1


async def test_r_api_2_concurrent_retries_create_one_record_and_all_get_it(api: Api, db: Database) -> None:
    """A client retrying while its first call is still running gets the same result, not a bug."""
    query = ("mutation($i: CreateAccountInput!) { createAccount(input: $i) { errors { code } account { id } } }")
    bodies = await asyncio.gather(*(api.raw(query, {"i": {"name": "Import Sports", "clientMutationId": "same"}})
                                    for _ in range(6)))
    assert all(not b.get("errors") and b["data"]["createAccount"]["errors"] == [] for b in bodies), bodies
    assert len({b["data"]["createAccount"]["account"]["id"] for b in bodies}) == 1
    assert (await table_counts(db))["records"] == 1


async def test_r_api_1_concurrent_writers_with_one_version_one_wins(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    payloads = await asyncio.gather(*(
        api.mutate("updateAccount", {"id": acc["id"], "expectedVersion": 1, "phone": f"+1 555 010{i}"},
                   "account { version }") for i in range(5)))
    outcomes = sorted(p["errors"][0]["code"] if p["errors"] else "OK" for p in payloads)
    assert outcomes == ["CONFLICT"] * 4 + ["OK"]
    assert (await record_row(db, acc["id"]))["version"] == 2


async def test_r_con_2_a_contact_raced_onto_two_accounts_lands_on_one(api: Api, db: Database) -> None:
    a, b = await account(api, "Import Sports"), await account(api, "Fourth Coffee")
    c = await contact(api, "Chris", "Preston")
    payloads = await asyncio.gather(*(
        api.mutate("addContactsToAccount", {"accountId": target["id"], "contactIds": [c["id"]]}, "account { name }")
        for target in (a, b, a, b)))
    winners = {p["account"]["name"] for p in payloads if not p["errors"]}
    assert len(winners) == 1
    [winner] = winners
    losers = [p["errors"][0] for p in payloads if p["errors"]]
    assert len(losers) == 2  # both calls for the other account
    assert all(e["code"] == "CONTACT_HAS_OTHER_ACCOUNT" and winner in e["message"] for e in losers)
    assert (await record_row(db, c["id"]))["version"] == 2
