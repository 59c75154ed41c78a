"""The recycle bin over the API (R-QRY-4): delete hides everywhere, restore brings back on
every timeline, the purge deletes rows and files; refusals change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from graph.db import Database
from graph.files import FileStore
from graph.models import utcnow
from server.recycle_bin import PurgeJob
from tests.support.activity_factories import task
from tests.support.client import Api
from tests.support.index_check import kept_and_recomputed
from tests.support.record_factories import account, contact, table_counts
from tests.support.uploads import stored_files, upload

RESULTS = "results { id ok error { code message field } }"
TIMELINE = """query($id: ID!) { timeline(recordId: $id, first: 100) {
  counts { total byType { type count } byState { state count } } edges { node { ... on Activity { id } ... on Note { id } } } } }"""
SEEN = """query($id: ID!, $text: String!) { node(id: $id) { id }
  contacts(filter: {text: $text}) { totalCount }
  quickFind(text: $text) { ... on Contact { id } }
  myActivities: activities(filter: {owner: ANY}) { totalCount } }"""


async def timeline(api: Api, record_id: str, as_: str = "admin") -> dict[str, Any]:
    page = (await api(TIMELINE, {"id": record_id}, as_=as_))["timeline"]
    return {"counts": page["counts"], "ids": sorted(e["node"]["id"] for e in page["edges"])}


async def build(api: Api) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """An account, a contact of it with three tasks and a note: the contact's history rolls up."""
    acme = await account(api, "Acme", as_="sales1")
    ada = await contact(api, "Ada", "Zed", accountId=acme["id"], as_="sales1")
    tasks = [(await task(api, f"call {i}", regardingId=ada["id"]))["id"] for i in range(3)]
    await api.ok("addNote", {"recordId": ada["id"], "text": "likes tea"}, "note { id }", as_="sales1")
    await task(api, "about the account", regardingId=acme["id"])
    return acme, ada, tasks


async def test_delete_then_restore_round_trips_a_contact_with_its_roll_up(api: Api, db: Database) -> None:
    acme, ada, _ = await build(api)
    before_account = await timeline(api, acme["id"])
    before_contact = await timeline(api, ada["id"])
    assert before_account["counts"]["total"] == 5

    deleted = await api.ok("deleteRecords", {"ids": [ada["id"]]}, RESULTS, as_="sales1")
    assert deleted["results"] == [{"id": ada["id"], "ok": True, "error": None}]

    seen = await api(SEEN, {"id": ada["id"], "text": "Ada"}, as_="sales1")
    assert seen["node"] is None and seen["contacts"]["totalCount"] == 0 and seen["quickFind"] == []
    after = await timeline(api, acme["id"])
    assert after["counts"]["total"] == 1 and len(after["ids"]) == 1  # only the account's own task
    missing = await api.raw(TIMELINE, {"id": ada["id"]})
    assert missing["data"] is None or missing["data"]["timeline"] is None
    items = (await api("{ deletedItems { id kind name deletedOn } }", as_="sales1"))["deletedItems"]
    assert [(i["id"], i["kind"], i["name"]) for i in items] == [(ada["id"], "RECORD", "Ada Zed")]

    restored = await api.ok("restore", {"ids": [ada["id"]]}, RESULTS, as_="sales1")
    assert restored["results"][0]["ok"] is True
    assert await timeline(api, acme["id"]) == before_account
    assert await timeline(api, ada["id"]) == before_contact
    assert (await api("{ deletedItems { id } }", as_="sales1"))["deletedItems"] == []
    kept, fresh = await kept_and_recomputed(db)
    assert kept == fresh


async def test_deleting_activities_hides_them_and_restore_brings_them_back(api: Api, db: Database) -> None:
    acme, ada, tasks = await build(api)
    before = await timeline(api, acme["id"])
    result = await api.ok("deleteActivities", {"ids": [tasks[0], tasks[1]]}, RESULTS, as_="sales1")
    assert [r["ok"] for r in result["results"]] == [True, True]
    after = await timeline(api, acme["id"])
    assert after["counts"]["total"] == before["counts"]["total"] - 2
    assert tasks[0] not in after["ids"] and tasks[0] not in (await timeline(api, ada["id"]))["ids"]
    assert (await api("query($id: ID!) { node(id: $id) { id } }", {"id": tasks[0]}))["node"] is None
    again = await api.ok("deleteActivities", {"ids": [tasks[0]]}, RESULTS, as_="sales1")
    assert again["results"][0]["error"]["code"] == "NOT_FOUND"
    await api.ok("restore", {"ids": [tasks[0], tasks[1]]}, RESULTS, as_="sales1")
    assert await timeline(api, acme["id"]) == before
    kept, fresh = await kept_and_recomputed(db)
    assert kept == fresh


async def test_without_the_delete_right_nothing_changes(api: Api, db: Database) -> None:
    acme, ada, tasks = await build(api)
    before = await table_counts(db)
    # A salesperson reads the whole organisation but deletes only their own rows.
    refused = await api.ok("deleteRecords", {"ids": [ada["id"], acme["id"], "bm90IGFuIGlk"]}, RESULTS, as_="sales2")
    assert [r["error"]["code"] for r in refused["results"]] == ["FORBIDDEN", "FORBIDDEN", "VALIDATION"]
    assert [r["error"]["field"] for r in refused["results"]][:2] == [["input", "ids", "0"], ["input", "ids", "1"]]
    refused = await api.ok("deleteActivities", {"ids": [tasks[0]]}, RESULTS, as_="sales2")
    assert refused["results"][0]["error"]["code"] == "FORBIDDEN"
    assert await table_counts(db) == before
    await api.ok("deleteRecords", {"ids": [ada["id"]]}, RESULTS, as_="sales1")
    refused = await api.ok("restore", {"ids": [ada["id"]]}, RESULTS, as_="sales2")
    assert refused["results"][0]["error"]["code"] == "FORBIDDEN"
    assert (await api("{ deletedItems { id } }", as_="sales2"))["deletedItems"] == [{"id": ada["id"]}]


async def test_the_purge_deletes_rows_and_their_files_after_the_period(api: Api, db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    acme, ada, tasks = await build(api)
    await upload(api, {"activityId": tasks[0]}, "a.txt", b"hello", as_="sales1")
    note = await api.ok("addNote", {"activityId": tasks[1], "text": "n"}, "note { id }", as_="sales1")
    await upload(api, {"noteId": note["note"]["id"]}, "b.txt", b"world", as_="sales1")
    await upload(api, {"activityId": tasks[2]}, "c.txt", b"kept", as_="sales1")
    assert len(stored_files(settings.file_store_dir)) == 3
    await api.ok("deleteActivities", {"ids": tasks[:2]}, RESULTS, as_="sales1")
    await api.ok("deleteRecords", {"ids": [ada["id"]]}, RESULTS, as_="sales1")

    job = PurgeJob(db, FileStore(settings.file_store_dir), keep_days=30, clock=lambda: utcnow() + timedelta(days=29))
    assert await job.run_once() == 0  # still within the period: restorable
    job.clock = lambda: utcnow() + timedelta(days=31)
    assert await job.run_once() == 3
    assert len(stored_files(settings.file_store_dir)) == 1  # only the file of the task that stayed
    assert (await api("{ deletedItems { id } }", as_="sales1"))["deletedItems"] == []
    refused = await api.ok("restore", {"ids": [ada["id"]]}, RESULTS, as_="sales1")
    assert refused["results"][0]["error"]["code"] == "NOT_FOUND"
    page = await timeline(api, acme["id"])
    assert page["counts"]["total"] == 1  # the account's own task; the contact's history went with it
    kept, fresh = await kept_and_recomputed(db)
    assert kept == fresh
