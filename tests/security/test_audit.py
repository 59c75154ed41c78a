"""The audit trail: every write to a record, activity or note leaves who, when and which
fields changed old → new, readable by administrators only (issue "Security and
reliability"; R-SEC-1 for who may read it, R-API-1 for the version it names)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from graph.db import Database
from graph.models import AuditEntry
from tests.support.client import Api, gid
from tests.support.org import Org

TRAIL = """
query($id: ID!, $first: Int, $after: String) {
  auditTrail(recordId: $id, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      action subjectId subjectType changedOn version
      actor { ... on User { fullName } }
      changes { field oldValue newValue }
    } }
  }
}
"""


async def trail(api: Api, record_id: str, as_: str = "admin", **kw: Any) -> list[dict[str, Any]]:
    data = await api(TRAIL, {"id": record_id, **kw}, as_=as_)
    return [edge["node"] for edge in data["auditTrail"]["edges"]]


async def test_record_changes_are_kept_with_who_when_and_old_to_new(api: Api, org: Org) -> None:
    account = (await api.ok("createAccount", {"name": "Import Sports", "phone": "+1 555 0101"},
                            "account { id }", as_="sales1"))["account"]["id"]
    await api.ok("updateAccount", {"id": account, "phone": "+1 555 0102", "website": "https://import.example"},
                 "account { id }", as_="sales1")
    await api.ok("changeOwner", {"id": account, "ownerId": gid("User", org.users["sales2"])}, "record { id }",
                 as_="manager")

    entries = await trail(api, account)
    assert [e["action"] for e in entries] == ["UPDATED", "UPDATED", "CREATED"]  # newest first
    owner, update, created = entries
    assert owner["actor"] == {"fullName": "Morgan Manager"} and owner["version"] == 3
    assert {"field": "ownerId", "oldValue": str(org.users["sales1"]), "newValue": str(org.users["sales2"])} \
        in owner["changes"]
    assert update["actor"] == {"fullName": "Sam Seller"} and update["version"] == 2
    assert sorted(update["changes"], key=lambda c: c["field"]) == [
        {"field": "phone", "oldValue": "+1 555 0101", "newValue": "+1 555 0102"},
        {"field": "website", "oldValue": None, "newValue": "https://import.example"},
    ]
    assert created["actor"] == {"fullName": "Sam Seller"} and created["changes"] == []
    assert {e["subjectId"] for e in entries} == {account} and entries[0]["subjectType"] == "Account"
    assert entries[0]["changedOn"] >= entries[1]["changedOn"] >= entries[2]["changedOn"]


async def test_activity_changes_and_note_deletion_are_audited(api: Api, org: Org) -> None:
    task = (await api.ok("createTask", {"subject": "Call back", "priority": "LOW"}, "task { id }",
                         as_="sales1"))["task"]["id"]
    await api.ok("completeActivities", {"ids": [task]}, "results { id }", as_="sales1")
    entries = await trail(api, task)
    assert [e["action"] for e in entries] == ["UPDATED", "CREATED"]
    fields = {c["field"]: (c["oldValue"], c["newValue"]) for c in entries[0]["changes"]}
    assert fields["state"] == ("OPEN", "COMPLETED")
    assert entries[0]["actor"] == {"fullName": "Sam Seller"}

    account = (await api.ok("createAccount", {"name": "Noted"}, "account { id }", as_="sales1"))["account"]["id"]
    note = (await api.ok("addNote", {"recordId": account, "title": "Met them", "text": "Nice people"},
                         "note { id }", as_="sales1"))["note"]["id"]
    await api.ok("deleteNote", {"id": note}, "", as_="sales1")
    entries = await trail(api, note)
    assert entries[0]["action"] == "DELETED" and entries[-1]["action"] == "CREATED"
    assert entries[0]["actor"] == {"fullName": "Sam Seller"}  # learnt from the transaction


async def test_only_administrators_read_the_trail(api: Api) -> None:
    account = (await api.ok("createAccount", {"name": "Private"}, "account { id }", as_="sales1"))["account"]["id"]
    for user in ("sales1", "manager", "norole"):
        body = await api.raw(TRAIL, {"id": account}, as_=user)
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], user
    body = await api.raw(TRAIL, {"id": account}, as_=None)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_refused_write_leaves_no_entry_and_pages_are_cursored(api: Api, db: Database) -> None:
    account = (await api.ok("createAccount", {"name": "Paged"}, "account { id }", as_="sales1"))["account"]["id"]
    for n in range(4):
        await api.ok("updateAccount", {"id": account, "phone": f"+1 555 010{n}"}, "account { id }", as_="sales1")
    async with db.read() as session:
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
    refused = await api.mutate("updateAccount", {"id": account, "phone": "+1 555 0199", "expectedVersion": 1},
                               "account { id }", as_="sales1")
    assert refused["errors"][0]["code"] == "CONFLICT"
    refused = await api.mutate("updateAccount", {"id": account, "phone": "+1 555 0199"}, "account { id }",
                               as_="sales3")
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == before

    first = await api(TRAIL, {"id": account, "first": 2}, as_="admin")
    assert first["auditTrail"]["totalCount"] == 5 and first["auditTrail"]["pageInfo"]["hasNextPage"]
    rest = await trail(api, account, first=10, after=first["auditTrail"]["pageInfo"]["endCursor"])
    versions = [e["node"]["version"] for e in first["auditTrail"]["edges"]] + [e["version"] for e in rest]
    assert versions == [5, 4, 3, 2, 1]
