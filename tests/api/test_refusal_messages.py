"""Refusals say what fits what the client did (API conventions: errors are data, with a
clear message): a size limit is stated once, and a deactivated record named by a create
is not one being changed."""

from __future__ import annotations

from graph.db import Database
from tests.support.client import Api
from tests.support.record_factories import account, table_counts
from tests.support.uploads import upload


async def test_a_size_limit_is_stated_once(api: Api) -> None:
    await api.mutate("setAttachmentPolicy", {"maxBytes": 1000}, "policy { maxBytes }", as_="admin")
    company = await account(api, "Import Sports")
    note = (await api.ok("addNote", {"recordId": company["id"], "title": "Offer"}, "note { id }",
                         as_="sales1"))["note"]
    refused = await upload(api, {"noteId": note["id"]}, "big.pdf", b"%PDF-1.7\n" + b"0" * 1500, as_="sales1")
    [error] = refused["errors"]
    assert error["code"] == "FILE_TOO_LARGE"
    assert error["message"] == "the file is larger than the limit of 1000 bytes"


async def test_a_deactivated_record_named_by_a_create_says_nothing_can_be_linked_to_it(api: Api,
                                                                                      db: Database) -> None:
    company = await account(api, "Closed Shop")
    await api.ok("deactivateRecord", {"id": company["id"]}, "record { id }")
    before = await table_counts(db)
    refused = await api.mutate("createContact", {"firstName": "Chris", "lastName": "Preston",
                                                 "accountId": company["id"]}, "contact { id }")
    [error] = refused["errors"]
    assert (error["code"], error["field"]) == ("DEACTIVATED", ["input", "accountId"])
    assert "changing" not in error["message"]
    assert error["message"] == "account 'Closed Shop' is inactive; activate it before linking anything to it"
    assert await table_counts(db) == before


async def test_refusals_name_a_record_type_as_it_is_called_after_a_rename(api: Api) -> None:
    await api.ok("renameRecordType", {"recordType": "ACCOUNT", "singular": "Company", "plural": "Companies"},
                 "recordType { singular }")
    company = await account(api, "Closed Shop")
    await api.ok("deactivateRecord", {"id": company["id"]}, "record { id }")
    contact = await api.mutate("createContact", {"firstName": "Chris", "lastName": "Preston",
                                                 "accountId": company["id"]}, "contact { id }")
    task = await api.mutate("createTask", {"subject": "Call", "regardingId": company["id"]}, "task { id }")
    changed = await api.mutate("updateAccount", {"id": company["id"], "name": "Open Shop"}, "account { id }")
    for payload in (contact, task, changed):
        [error] = payload["errors"]
        assert error["code"] == "DEACTIVATED"
        assert error["message"].startswith("company 'Closed Shop' is inactive"), error["message"]
