"""Notes over the API: R-NOTE-1 (on a record or an activity, shown where it shows),
R-ACT-3 (a closed activity still takes notes), R-REC-2 (not on a deactivated record),
R-API-1 (expectedVersion), R-SEC-1 (read scope)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from graph.db import Database
from graph.models import TimelineCount, TimelineEntry
from graph.rules.access import Depth
from resolvers.ids import parse_global_id
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import account, add_custom_role, contact, table_counts

NOTE = ("note { id title text version attachmentCount owner { ... on User { fullName } } "
        "createdBy { ... on User { fullName } } about { __typename id } }")


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def raw(global_id: str) -> Any:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def task(api: Api, regarding: str | None, *, as_: str = "sales1") -> dict[str, Any]:
    payload = await api.ok("createTask", {"subject": "Send the offer", "regardingId": regarding},
                           "task { id noteCount state }", as_=as_)
    return payload["task"]


async def close_activity(api: Api, global_id: str) -> None:
    payload = await api.ok("completeActivities", {"ids": [global_id]}, "results { id }", as_="sales1")
    assert len(payload["results"]) == 1


async def shown_on(db: Database, note_id: str) -> set[Any]:
    """The records whose timeline index holds the note."""
    async with db.read() as session:
        rows = await session.scalars(select(TimelineEntry.record_id).where(TimelineEntry.note_id == raw(note_id)))
        return set(rows)


async def note_counts(db: Database) -> int:
    async with db.read() as session:
        rows = await session.scalars(select(TimelineCount.count).where(TimelineCount.entry_type == "NOTE"))
        return sum(rows)


async def test_r_note_1_a_note_on_a_record_shows_on_its_timeline_and_its_parents(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    person = await contact(api, "Chris", "Preston", accountId=acc["id"])
    payload = await api.ok("addNote", {"recordId": person["id"], "title": " Call notes ", "text": "Wants a quote"},
                           NOTE, as_="sales1")
    note = payload["note"]
    assert note["title"] == "Call notes" and note["text"] == "Wants a quote"
    assert note["version"] == 1 and note["attachmentCount"] == 0
    assert note["owner"] == note["createdBy"] == {"fullName": "Sam Seller"}
    assert note["about"] == {"__typename": "Contact", "id": person["id"]}
    assert await shown_on(db, note["id"]) == {raw(person["id"]), raw(acc["id"])}
    found = await api("query($id: ID!) { node(id: $id) { __typename ... on Note { title } } }", {"id": note["id"]})
    assert found["node"] == {"__typename": "Note", "title": "Call notes"}


async def test_r_note_1_a_note_on_an_activity_shows_where_the_activity_shows(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    person = await contact(api, "Chris", "Preston", accountId=acc["id"])
    t = await task(api, person["id"])
    note = (await api.ok("addNote", {"activityId": t["id"], "text": "Left a voicemail"}, NOTE, as_="sales2"))["note"]
    assert note["about"] == {"__typename": "Task", "id": t["id"]}
    assert await shown_on(db, note["id"]) == {raw(person["id"]), raw(acc["id"])}
    found = await api("query($id: ID!) { node(id: $id) { ... on Task { noteCount } } }", {"id": t["id"]})
    assert found["node"] == {"noteCount": 1}


async def test_r_act_3_a_closed_activity_still_takes_notes(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    t = await task(api, acc["id"])
    await close_activity(api, t["id"])
    payload = await api.ok("addNote", {"activityId": t["id"], "title": "Outcome", "text": "Signed"}, NOTE, as_="sales1")
    assert payload["note"]["about"]["id"] == t["id"]
    found = await api("query($id: ID!) { node(id: $id) { ... on Task { state noteCount } } }", {"id": t["id"]})
    assert found["node"] == {"state": "COMPLETED", "noteCount": 1}


async def test_r_rec_2_no_note_on_a_deactivated_record_and_nothing_is_written(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    await api.ok("deactivateRecord", {"id": acc["id"]}, "record { id }")
    before = await table_counts(db)
    payload = await api.mutate("addNote", {"recordId": acc["id"], "text": "Too late"}, "note { id }", as_="sales1")
    assert payload["note"] is None and [e["code"] for e in payload["errors"]] == ["DEACTIVATED"]
    assert await table_counts(db) == before


async def test_r_note_1_a_note_names_exactly_one_target_and_has_content(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    t = await task(api, acc["id"])
    before = await table_counts(db)
    both = await api.mutate("addNote", {"recordId": acc["id"], "activityId": t["id"], "text": "x"}, "note { id }")
    neither = await api.mutate("addNote", {"text": "x"}, "note { id }")
    empty = await api.mutate("addNote", {"recordId": acc["id"], "title": "  ", "text": ""}, "note { id }")
    wrong_type = await api.mutate("addNote", {"recordId": t["id"], "text": "x"}, "note { id }")
    assert codes(both) == codes(neither) == [("VALIDATION", ["input"])]
    assert codes(empty) == [("VALIDATION", ["input", "text"])]
    assert codes(wrong_type) == [("VALIDATION", ["input", "recordId"])]
    assert await table_counts(db) == before


async def test_r_api_1_update_note_checks_the_version_and_the_writer(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    note = (await api.ok("addNote", {"recordId": acc["id"], "title": "Draft", "text": "v1"}, NOTE, as_="sales1"))["note"]
    changed = await api.ok("updateNote", {"id": note["id"], "text": "v2", "expectedVersion": 1},
                           "note { title text version }", as_="sales1")
    assert changed["note"] == {"title": "Draft", "text": "v2", "version": 2}
    stale = await api.mutate("updateNote", {"id": note["id"], "text": "v3", "expectedVersion": 1}, "note { id }", as_="sales1")
    assert codes(stale) == [("CONFLICT", ["input", "expectedVersion"])]
    # A colleague reads the note (organisation-wide read) but may not change it (USER write).
    other = await api.mutate("updateNote", {"id": note["id"], "text": "mine now"}, "note { id }", as_="sales2")
    assert codes(other) == [("FORBIDDEN", ["input", "id"])]
    blanked = await api.mutate("updateNote", {"id": note["id"], "title": None, "text": " "}, "note { id }", as_="sales1")
    assert codes(blanked) == [("VALIDATION", ["input", "text"])]
    found = await api("query($id: ID!) { node(id: $id) { ... on Note { text version } } }", {"id": note["id"]})
    assert found["node"] == {"text": "v2", "version": 2}


async def test_r_note_1_deleting_a_note_takes_it_off_every_timeline(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    person = await contact(api, "Chris", "Preston", accountId=acc["id"])
    t = await task(api, person["id"])
    note = (await api.ok("addNote", {"activityId": t["id"], "text": "Left a voicemail"}, NOTE, as_="sales1"))["note"]
    assert await note_counts(db) == 2  # the contact's timeline and the account's
    denied = await api.mutate("deleteNote", {"id": note["id"]}, "deletedNoteId", as_="sales2")
    assert codes(denied) == [("FORBIDDEN", ["input", "id"])]
    payload = await api.ok("deleteNote", {"id": note["id"], "expectedVersion": 1}, "deletedNoteId", as_="sales1")
    assert payload["deletedNoteId"] == note["id"]
    assert await shown_on(db, note["id"]) == set()
    assert await note_counts(db) == 0
    found = await api("query($n: ID!, $t: ID!) { note: node(id: $n) { id } task: node(id: $t) { ... on Task { noteCount } } }",
                      {"n": note["id"], "t": t["id"]})
    assert found == {"note": None, "task": {"noteCount": 0}}


async def test_r_sec_1_a_note_outside_read_scope_is_not_found(api: Api, db: Database, org: Org) -> None:
    await add_custom_role(db, org, role="own reader", key="reader", unit="sales",
                          depths={"read": Depth.USER, "create": Depth.USER, "write": Depth.USER,
                                  "append_to": Depth.ORGANIZATION})
    acc = await account(api, "Import Sports")
    note = (await api.ok("addNote", {"recordId": acc["id"], "text": "Private"}, NOTE, as_="sales1"))["note"]
    query = "query($id: ID!) { node(id: $id) { id } }"
    assert (await api(query, {"id": note["id"]}, as_="reader"))["node"] is None
    assert (await api(query, {"id": note["id"]}, as_="sales2"))["node"] == {"id": note["id"]}
    payload = await api.mutate("updateNote", {"id": note["id"], "text": "x"}, "note { id }", as_="reader")
    assert codes(payload) == [("NOT_FOUND", ["input", "id"])]


async def test_notes_load_related_rows_in_batches_whatever_their_number(api: Api, db: Database, sql: Any) -> None:
    """Owner, creator, attachments and `about` of many notes: one batch per kind (DESIGN §2)."""
    acc = await account(api, "Import Sports")
    t = await task(api, acc["id"])
    ids = []
    for i in range(6):
        target = {"recordId": acc["id"]} if i % 2 else {"activityId": t["id"]}
        ids.append((await api.ok("addNote", {**target, "text": f"note {i}"}, "note { id }", as_="sales1"))["note"]["id"])
    query = ("query($ids: [ID!]!) { nodes(ids: $ids) { ... on Note { text owner { ... on User { fullName } } "
             "createdBy { ... on User { fullName } } attachments { fileName } about { id } } } }")

    async def statements(some: list[str]) -> int:
        with sql.count() as seen:
            data = await api(query, {"ids": some}, as_="sales2")
        assert all(n["about"] is not None for n in data["nodes"])
        return len(seen)

    await api(query, {"ids": ids[:1]}, as_="sales2")  # the viewer's scope is built and cached once
    # Token, notes, principals, records, activities: five statements for 2 notes or 6.
    assert await statements(ids[:2]) == await statements(ids) == 5
