"""Attachments over the API (R-ATT-1): multipart upload with a CSRF preflight header, policy
checks with nothing stored on refusal, sniffed content types, counts on the owner,
downloads with safe headers, the administrator's policy, and read scope (R-SEC-1)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.db import Database
from graph.files import FileStore
from graph.rules.access import Depth
from server.settings import Settings
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import account, add_custom_role, table_counts
from tests.support.uploads import PREFLIGHT, post_upload, stored_files, upload

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x40\x00\x00\x00PE\x00\x00" + b"\x00" * 200
POLICY = "attachmentPolicy { maxBytes blockedExtensions }"


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def note_on_account(api: Api, *, as_: str = "sales1") -> dict[str, Any]:
    acc = await account(api, "Import Sports")
    payload = await api.ok("addNote", {"recordId": acc["id"], "title": "Offer"}, "note { id }", as_=as_)
    return payload["note"]


async def task(api: Api, *, as_: str = "sales1") -> dict[str, Any]:
    acc = await account(api, "Import Sports")
    return (await api.ok("createTask", {"subject": "Send the offer", "regardingId": acc["id"]}, "task { id }", as_=as_))["task"]




async def set_policy(api: Api, as_: str = "admin", **values: Any) -> dict[str, Any]:
    return await api.mutate("setAttachmentPolicy", values, "policy { maxBytes blockedExtensions }", as_=as_)


async def download(http: httpx.AsyncClient, api: Api, url: str, as_: str | None = "sales1") -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.tokens[as_]}"} if as_ else {}
    return await http.get(url, headers=headers)


# --- upload, sniffing, download -------------------------------------------------------------


async def test_r_att_1_a_png_named_txt_is_stored_as_png_and_downloads_unchanged(
    api: Api, http: httpx.AsyncClient, settings: Settings,
) -> None:
    note = await note_on_account(api)
    payload = await upload(api, {"noteId": note["id"]}, "résumé photo.txt", PNG, as_="sales1", client_type="text/plain")
    assert payload["errors"] == []
    attachment = payload["attachment"]
    assert attachment["fileName"] == "résumé photo.txt"
    assert attachment["contentType"] == "image/png"
    assert attachment["size"] == len(PNG) and attachment["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert attachment["createdBy"] == {"fullName": "Sam Seller"}
    assert payload["note"] == {"id": note["id"], "attachmentCount": 1}
    assert attachment["downloadUrl"] == f"/files/{attachment['id']}"
    assert len(stored_files(settings.file_store_dir)) == 1

    response = await download(http, api, attachment["downloadUrl"], as_="sales2")
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].endswith("filename*=UTF-8''r%C3%A9sum%C3%A9%20photo.txt")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-length"] == str(len(PNG))

    listed = await api("query($id: ID!) { node(id: $id) { ... on Note { attachmentCount attachments { id contentType } } } }",
                       {"id": note["id"]})
    assert listed["node"] == {"attachmentCount": 1, "attachments": [{"id": attachment["id"], "contentType": "image/png"}]}


async def test_r_att_1_office_text_and_csv_files_are_recognised(api: Api) -> None:
    note = await note_on_account(api)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>" * 2000)
    # Large enough that the member names are read from the central directory, not the head.
    assert len(buffer.getvalue()) > 8192
    cases = [("contract.pdf", buffer.getvalue(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
             ("people.csv", b"name,email\nSam,sam@example.com\n", "text/csv"),
             ("readme", "Grüße\n".encode(), "text/plain"),
             ("offer.docx", b"%PDF-1.7\n...", "application/pdf"),
             ("blob.png", bytes(range(256)), "application/octet-stream")]
    for name, data, expected in cases:
        payload = await upload(api, {"noteId": note["id"]}, name, data, as_="sales1", client_type="image/png")
        assert payload["attachment"]["contentType"] == expected, name


async def test_r_att_1_tasks_emails_and_appointments_take_files_calls_and_texts_do_not(api: Api) -> None:
    t = await task(api)
    payload = await upload(api, {"activityId": t["id"]}, "offer.pdf", b"%PDF-1.7\n", as_="sales1")
    assert payload["errors"] == [] and payload["activity"] == {"id": t["id"], "attachmentCount": 1}
    meeting = (await api.ok("createAppointment", {"subject": "Demo", "start": "2030-01-07T10:00:00Z",
                                                  "end": "2030-01-07T11:00:00Z"}, "appointment { id }",
                            as_="sales1"))["appointment"]
    payload = await upload(api, {"activityId": meeting["id"]}, "agenda.pdf", b"%PDF-1.7\n", as_="sales1")
    assert payload["errors"] == [] and payload["activity"] == {"id": meeting["id"], "attachmentCount": 1}
    # A recorded email is SENT, so closed: its files come with it (R-TRACK-4), not afterwards.
    email = (await api.ok("sendEmail", {"subject": "Offer", "to": [{"address": "chris@example.com"}]},
                          "email { id state }", as_="sales1"))["email"]
    assert email["state"] == "SENT"
    late = await upload(api, {"activityId": email["id"]}, "offer.pdf", b"%PDF-1.7\n", as_="sales1")
    assert codes(late) == [("INVALID_STATE", ["input", "activityId"])]
    call = (await api.ok("logPhoneCall", {"subject": "Called", "phoneNumber": "+1 555 0101", "state": "OPEN"},
                         "phoneCall { id }", as_="sales1"))["phoneCall"]
    text = (await api.ok("sendTextMessage", {"text": "On my way", "phoneNumber": "+1 555 0101"},
                         "textMessage { id }", as_="sales1"))["textMessage"]
    for activity in (call, text):
        refused = await upload(api, {"activityId": activity["id"]}, "offer.pdf", b"%PDF-1.7\n", as_="sales1")
        assert codes(refused) == [("NOT_SUPPORTED", ["input", "activityId"])]


async def test_r_act_3_a_closed_activity_takes_files_only_through_a_note(api: Api) -> None:
    t = await task(api)
    await api.ok("completeActivities", {"ids": [t["id"]]}, "results { id }", as_="sales1")
    refused = await upload(api, {"activityId": t["id"]}, "offer.pdf", b"%PDF-1.7\n", as_="sales1")
    assert codes(refused) == [("INVALID_STATE", ["input", "activityId"])]
    note = (await api.ok("addNote", {"activityId": t["id"], "text": "Signed copy"}, "note { id }", as_="sales1"))["note"]
    accepted = await upload(api, {"noteId": note["id"]}, "signed.pdf", b"%PDF-1.7\n", as_="sales1")
    assert accepted["errors"] == [] and accepted["note"]["attachmentCount"] == 1


# --- refusals leave nothing behind ----------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "code"), [
    ("setup.exe", b"%PDF-1.7 innocent bytes", "FILE_TYPE_BLOCKED"),
    ("run.BAT", b"echo hi", "FILE_TYPE_BLOCKED"),
    ("invoice.pdf", PE, "FILE_TYPE_BLOCKED"),
    ("notes.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "FILE_TYPE_BLOCKED"),
    ("big.pdf", b"%PDF-1.7\n" + b"0" * 5000, "FILE_TOO_LARGE"),
])
async def test_r_att_1_refused_files_leave_no_row_and_no_file(
    api: Api, db: Database, settings: Settings, name: str, data: bytes, code: str,
) -> None:
    await set_policy(api, maxBytes=4096)
    note = await note_on_account(api)
    before = await table_counts(db)
    payload = await upload(api, {"noteId": note["id"]}, name, data, as_="sales1")
    assert codes(payload) == [(code, ["input", "file"])]
    assert payload["attachment"] is None
    if code == "FILE_TOO_LARGE":
        assert "4 KB (4096 bytes)" in payload["errors"][0]["message"]
    assert await table_counts(db) == before
    assert stored_files(settings.file_store_dir) == []
    found = await api("query($id: ID!) { node(id: $id) { ... on Note { attachmentCount } } }", {"id": note["id"]})
    assert found["node"] == {"attachmentCount": 0}


async def test_r_att_1_a_body_far_over_the_limit_is_cut_off_before_it_is_spooled(
    api: Api, db: Database, settings: Settings,
) -> None:
    await set_policy(api, maxBytes=1000)
    note = await note_on_account(api)
    before = await table_counts(db)
    response = await post_upload(api, {"noteId": note["id"]}, "huge.pdf", b"%PDF" + b"0" * (1100 * 1024), as_="sales1")
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "FILE_TOO_LARGE"
    assert await table_counts(db) == before
    assert stored_files(settings.file_store_dir) == []


async def test_r_att_1_a_streamed_body_without_a_length_is_cut_off_too(
    api: Api, db: Database, settings: Settings, http: httpx.AsyncClient,
) -> None:
    await set_policy(api, maxBytes=1000)
    note = await note_on_account(api)
    before = await table_counts(db)
    operations = json.dumps({"query": "mutation($input: AddAttachmentInput!) { addAttachment(input: $input) { errors { code } } }",
                             "variables": {"input": {"file": None, "noteId": note["id"]}}})
    head = ("--b\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + operations +
            "\r\n--b\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{\"0\": [\"variables.input.file\"]}"
            "\r\n--b\r\nContent-Disposition: form-data; name=\"0\"; filename=\"huge.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n%PDF").encode()

    async def body() -> Any:  # no Content-Length: the guard counts what arrives
        yield head
        for _ in range(200):
            yield b"0" * 8192
        yield b"\r\n--b--\r\n"

    response = await http.post("/graphql", content=body(), headers={
        "Authorization": f"Bearer {api.tokens['sales1']}", "Content-Type": "multipart/form-data; boundary=b", **PREFLIGHT})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert await table_counts(db) == before
    assert stored_files(settings.file_store_dir) == []


async def test_r_att_1_multipart_without_the_preflight_header_is_refused(
    api: Api, db: Database, settings: Settings, http: httpx.AsyncClient,
) -> None:
    note = await note_on_account(api)
    before = await table_counts(db)
    response = await post_upload(api, {"noteId": note["id"]}, "offer.pdf", b"%PDF-1.7\n", as_="sales1", preflight=False)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"
    assert await table_counts(db) == before
    assert stored_files(settings.file_store_dir) == []
    # JSON requests are not simple requests for a browser: they need no such header.
    plain = await http.post("/graphql", json={"query": "{ attachmentPolicy { maxBytes } }"},
                            headers={"Authorization": f"Bearer {api.tokens['sales1']}"})
    assert plain.status_code == 200 and plain.json()["data"]["attachmentPolicy"]["maxBytes"] > 0


async def test_r_att_1_removing_an_attachment_deletes_its_bytes_after_commit(
    api: Api, http: httpx.AsyncClient, settings: Settings,
) -> None:
    note = await note_on_account(api)
    first = (await upload(api, {"noteId": note["id"]}, "a.pdf", b"%PDF-1.7 a", as_="sales1"))["attachment"]
    second = (await upload(api, {"noteId": note["id"]}, "b.pdf", b"%PDF-1.7 a", as_="sales1"))["attachment"]
    assert len(stored_files(settings.file_store_dir)) == 2
    payload = await api.ok("removeAttachment", {"id": first["id"]}, "removedAttachmentId note { attachmentCount }", as_="sales1")
    assert payload == {"errors": [], "removedAttachmentId": first["id"], "note": {"attachmentCount": 1}}
    assert len(stored_files(settings.file_store_dir)) == 1
    assert (await download(http, api, first["downloadUrl"])).status_code == 404
    assert (await download(http, api, second["downloadUrl"])).content == b"%PDF-1.7 a"
    # Deleting the note takes its remaining files with it.
    await api.ok("deleteNote", {"id": note["id"]}, "deletedNoteId", as_="sales1")
    assert stored_files(settings.file_store_dir) == []


async def test_r_att_1_a_rollback_after_the_file_is_placed_deletes_it(db: Database, tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store")

    async def chunks() -> Any:
        yield b"%PDF-1.7 "
        yield b"rolled back"

    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as session:
            staged = await store.stage(chunks(), 1000)
            await store.publish(session, staged, "ab/placed")
            assert stored_files(store.root) == [store.root / "ab" / "placed"]
            raise RuntimeError("the transaction fails after the rename")
    assert stored_files(store.root) == []


# --- policy ---------------------------------------------------------------------------------


async def test_r_att_1_an_administrator_changes_the_policy_and_it_takes_effect(api: Api, settings: Settings) -> None:
    note = await note_on_account(api)
    assert (await upload(api, {"noteId": note["id"]}, "a.txt", b"hello", as_="sales1"))["errors"] == []
    changed = await set_policy(api, maxBytes=2048, blockedExtensions=[".TXT", "exe"])
    assert changed == {"errors": [], "policy": {"maxBytes": 2048, "blockedExtensions": ["exe", "txt"]}}
    assert (await api(f"{{ {POLICY} }}", as_="sales1"))["attachmentPolicy"] == changed["policy"]
    refused = await upload(api, {"noteId": note["id"]}, "b.txt", b"hello", as_="sales1")
    assert codes(refused) == [("FILE_TYPE_BLOCKED", ["input", "file"])]
    big = await upload(api, {"noteId": note["id"]}, "c.pdf", b"%PDF" + b"0" * 2045, as_="sales1")
    assert codes(big) == [("FILE_TOO_LARGE", ["input", "file"])]
    assert len(stored_files(settings.file_store_dir)) == 1


async def test_r_att_1_only_administrators_change_the_policy(api: Api) -> None:
    before = (await api(f"{{ {POLICY} }}"))["attachmentPolicy"]
    for who in ("sales1", "manager"):
        denied = await set_policy(api, as_=who, maxBytes=1)
        assert codes(denied) == [("FORBIDDEN", None)] and denied["policy"] is None
    invalid = await set_policy(api, maxBytes=0, blockedExtensions=["ok", "../x"])
    assert codes(invalid) == [("VALIDATION", ["input", "maxBytes"]), ("VALIDATION", ["input", "blockedExtensions", "1"])]
    assert (await api(f"{{ {POLICY} }}"))["attachmentPolicy"] == before


# --- read scope -----------------------------------------------------------------------------


async def test_r_sec_1_attachments_outside_read_scope_are_not_found(
    api: Api, db: Database, org: Org, http: httpx.AsyncClient, settings: Settings,
) -> None:
    await add_custom_role(db, org, role="own reader", key="reader", unit="sales",
                          depths={"read": Depth.USER, "create": Depth.USER, "write": Depth.USER,
                                  "append_to": Depth.ORGANIZATION})
    note = await note_on_account(api)
    attachment = (await upload(api, {"noteId": note["id"]}, "a.pdf", b"%PDF-1.7 secret", as_="sales1"))["attachment"]
    t = await task(api)
    on_task = (await upload(api, {"activityId": t["id"]}, "t.pdf", b"%PDF-1.7 task", as_="sales1"))["attachment"]
    query = "query($a: ID!, $b: ID!) { a: node(id: $a) { id } b: node(id: $b) { id } }"
    ids = {"a": attachment["id"], "b": on_task["id"]}
    assert await api(query, ids, as_="reader") == {"a": None, "b": None}
    assert await api(query, ids, as_="sales2") == {"a": {"id": attachment["id"]}, "b": {"id": on_task["id"]}}

    for url in (attachment["downloadUrl"], on_task["downloadUrl"]):
        hidden = await download(http, api, url, as_="reader")
        missing = await download(http, api, "/files/" + "QXR0YWNobWVudDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=", as_="reader")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content
    assert (await download(http, api, "/files/not-an-id")).status_code == 404
    anonymous = await download(http, api, attachment["downloadUrl"], as_=None)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"

    removed = await api.mutate("removeAttachment", {"id": attachment["id"]}, "removedAttachmentId", as_="reader")
    assert codes(removed) == [("NOT_FOUND", ["input", "id"])]
    added = await upload(api, {"noteId": note["id"]}, "b.pdf", b"%PDF-1.7", as_="reader")
    assert codes(added) == [("NOT_FOUND", ["input", "noteId"])]
    added = await upload(api, {"activityId": t["id"]}, "b.pdf", b"%PDF-1.7", as_="reader")
    assert codes(added) == [("NOT_FOUND", ["input", "activityId"])]
    assert len(stored_files(settings.file_store_dir)) == 2


async def test_r_att_1_a_colleague_may_not_remove_a_file_from_a_note_they_cannot_change(api: Api) -> None:
    note = await note_on_account(api)
    attachment = (await upload(api, {"noteId": note["id"]}, "a.pdf", b"%PDF-1.7", as_="sales1"))["attachment"]
    denied = await api.mutate("removeAttachment", {"id": attachment["id"]}, "removedAttachmentId", as_="sales2")
    assert [e["code"] for e in denied["errors"]] == ["FORBIDDEN"]
    not_mine = await upload(api, {"noteId": note["id"]}, "b.pdf", b"%PDF-1.7", as_="sales2")
    assert codes(not_mine) == [("FORBIDDEN", ["input", "noteId"])]


async def test_r_att_1_a_file_sent_as_json_is_a_validation_error(api: Api) -> None:
    note = await note_on_account(api)
    body = await api.raw("mutation($input: AddAttachmentInput!) { addAttachment(input: $input) { errors { code field } } }",
                         {"input": {"file": "aGVsbG8=", "noteId": note["id"]}}, as_="sales1")
    assert body["data"]["addAttachment"]["errors"] == [{"code": "VALIDATION", "field": ["input", "file"]}]
