"""Tracking email and meetings from a mail client (R-TRACK-1…6), over HTTP on every backend."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from sqlalchemy import func, select, update

from graph.commands import tracking
from graph.db import Database
from graph.models import Activity, OutboxEvent, TimelineCount, User
from server.settings import Settings
from tests.support.activity_factories import raw, task
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import account, contact, table_counts
from tests.support.sql_counter import SqlCounter
from tests.support.uploads import stored_files

PARTY = "role address party { __typename ... on Record { id name } ... on User { id fullName } }"
EMAIL = (f"id subject state messageId inReplyTo categories bodyHtml actualEnd attachmentCount version "
         f"regarding {{ id name }} parties {{ {PARTY} }}")
APPOINTMENT = (f"id subject state scheduledStart scheduledEnd location onlineMeetingUrl description version "
               f"regarding {{ id name }} parties {{ {PARTY} }}")
RESULT = ("outcome alreadyTracked autoLinked savedAttachments { fileName contentType size } "
          "refusedAttachments { fileName code message } skippedInlineAttachments")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8cfc0"
                    "00000301010018dd8db00000000049454e44ae426082")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


async def track_email(api: Api, *, as_: str = "sales1", **fields: Any) -> dict[str, Any]:
    """trackEmail's payload (errors kept); `from` defaults to a customer, `to` to sales1."""
    values = {"messageId": "<m1@mail.example>", "subject": "Pricing question", "from": "buyer@customer.example",
              "to": ["sales1@test.relate"], "sentOn": "2025-01-14T09:00:00Z", "bodyHtml": "<p>Hello</p>", **fields}
    return await api.mutate("trackEmail", values, f"{RESULT} email {{ {EMAIL} }}", as_=as_)


async def track_meeting(api: Api, *, as_: str = "sales1", **fields: Any) -> dict[str, Any]:
    """trackAppointment's payload; a Tuesday 10:00–11:00 UTC, inside everyone's 08–18 UTC hours."""
    values = {"icalUid": "uid-1@calendar.example", "subject": "Review", "organizer": "sales1@test.relate",
              "requiredAttendees": ["buyer@customer.example"], "start": "2025-01-21T10:00:00Z",
              "end": "2025-01-21T11:00:00Z", **fields}
    return await api.mutate("trackAppointment", values, f"{RESULT} appointment {{ {APPOINTMENT} }}", as_=as_)


async def timeline(api: Api, record_id: str) -> list[str]:
    """Ids of the activities on a record's timeline (roll-up included), newest first."""
    data = await api("query($id: ID!) { timeline(recordId: $id, first: 100) { edges { node { "
                     "... on Email { id } ... on Appointment { id } ... on Task { id } } } } }", {"id": record_id})
    return [e["node"]["id"] for e in data["timeline"]["edges"]]


async def customer(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """Account "Import Sports" and its contact Chris Preston (buyer@customer.example)."""
    company = await account(api, "Import Sports")
    person = await contact(api, "Chris", "Preston", email="Buyer@Customer.example", accountId=company["id"])
    return company, person


async def activity_rows(db: Database, **where: Any) -> int:
    async with db.read() as session:
        query = select(func.count()).select_from(Activity)
        for name, value in where.items():
            query = query.where(getattr(Activity, name) == value)
        return int(await session.scalar(query) or 0)


# --- R-TRACK-1: parties, links, suggestions ------------------------------------------------

async def test_email_parties_resolve_by_address_and_contacts_timelines_show_it(api: Api) -> None:
    """R-TRACK-1: addresses resolve (any case, "name <address>") to contacts, leads, users; the
    contact's timeline, and its account's, show the unlinked email."""
    company, person = await customer(api)
    lead = (await api.ok("createLead", {"topic": "Skis", "lastName": "Nowak", "email": "nowak@lead.example"},
                         "lead { id }"))["lead"]
    payload = await track_email(api, **{"from": '"Chris Preston" <BUYER@customer.EXAMPLE>',
                                        "to": ["Sam Seller <sales1@test.relate>"],
                                        "cc": ["nowak@lead.example, unknown@nowhere.example"]})
    assert payload["errors"] == []
    assert payload["outcome"] == "CREATED" and payload["alreadyTracked"] is False
    email = payload["email"]
    assert email["state"] == "RECEIVED" and email["regarding"] is None
    assert email["messageId"] == "m1@mail.example"
    assert email["actualEnd"] == "2025-01-14T09:00:00+00:00"
    assert [(p["role"], p["address"], (p["party"] or {}).get("id")) for p in email["parties"]] == [
        ("FROM", "buyer@customer.example", person["id"]),
        ("TO", "sales1@test.relate", email["parties"][1]["party"]["id"]),
        ("CC", "nowak@lead.example", lead["id"]),
        ("CC", "unknown@nowhere.example", None),
    ]
    assert email["parties"][1]["party"]["fullName"] == "Sam Seller"
    assert email["id"] in await timeline(api, person["id"])
    assert email["id"] in await timeline(api, company["id"])
    assert email["id"] in await timeline(api, lead["id"])


async def test_email_from_a_user_is_sent_and_linked_to_the_chosen_record(api: Api) -> None:
    """R-TRACK-1: a regarding record links it; mail a user sent is SENT."""
    company, person = await customer(api)
    payload = await track_email(api, regardingId=company["id"], **{"from": "sales1@test.relate",
                                                                     "to": ["buyer@customer.example"]})
    assert payload["email"]["state"] == "SENT"
    assert payload["email"]["regarding"] == {"id": company["id"], "name": "Import Sports"}


async def test_link_suggestions_offer_accounts_open_opportunities_and_cases_of_the_parties(api: Api) -> None:
    """R-TRACK-1: the records related to the resolved contacts, and who each address is."""
    company, person = await customer(api)
    other = await account(api, "Other Co")
    deal = (await api.ok("createOpportunity", {"topic": "Skis 2025", "customerId": company["id"]},
                         "opportunity { id }"))["opportunity"]
    won = (await api.ok("createOpportunity", {"topic": "Old deal", "customerId": company["id"]},
                        "opportunity { id }"))["opportunity"]
    await api.ok("closeOpportunity", {"id": won["id"], "outcome": "WON"}, "opportunity { id }")
    case = (await api.ok("createCase", {"title": "Broken binding", "customerId": person["id"]}, "case { id }"))["case"]
    await api.ok("createOpportunity", {"topic": "Unrelated", "customerId": other["id"]}, "opportunity { id }")
    data = await api("""query($a: [String!]!) { linkSuggestions(addresses: $a) {
        addresses { address partyType party { ... on Record { id } ... on User { id } } }
        relatedContacts { id fullName }
        suggestions { reason record { __typename id name } } } }""",
                     {"a": ["Chris <buyer@customer.example>", "sales2@test.relate", "nobody@x.example"]},
                     as_="sales1")
    found = data["linkSuggestions"]
    assert [(a["address"], a["partyType"]) for a in found["addresses"]] == [
        ("buyer@customer.example", "CONTACT"), ("sales2@test.relate", "USER"), ("nobody@x.example", None)]
    assert found["relatedContacts"] == [{"id": person["id"], "fullName": "Chris Preston"}]
    assert [(s["record"]["__typename"], s["record"]["id"], s["reason"]) for s in found["suggestions"]] == [
        ("Account", company["id"], "account of Chris Preston"),
        ("Opportunity", deal["id"], "customer is Import Sports"),
        ("Case", case["id"], "customer is Chris Preston"),
    ]


async def test_link_suggestions_cost_the_same_statements_for_one_or_many_parties(api: Api, sql: SqlCounter) -> None:
    """R-TRACK-1 at a constant cost: resolution, suggestions and nested fields are batched."""
    company = await account(api, "Import Sports")
    emails = [f"buyer{i}@customer.example" for i in range(12)]
    for i, address in enumerate(emails):
        person = await contact(api, "Buyer", f"No{i}", email=address, accountId=company["id"])
        await api.ok("createOpportunity", {"topic": f"Deal {i}", "customerId": person["id"]}, "opportunity { id }")
    query = """query($a: [String!]!) { linkSuggestions(addresses: $a, first: 50) {
        addresses { party { ... on Contact { account { name } } } }
        relatedContacts { fullName owner { ... on User { fullName } } account { name } }
        suggestions { reason record { name owner { ... on User { fullName } } } } } }"""
    await api("{ viewer { roles } }", as_="sales1")  # the viewer's scope is cached from here on
    with sql.count() as one:
        small = await api(query, {"a": emails[:1]}, as_="sales1")
    with sql.count() as many:
        large = await api(query, {"a": emails}, as_="sales1")
    assert len(small["linkSuggestions"]["suggestions"]) == 2 and len(large["linkSuggestions"]["suggestions"]) == 13
    assert len(one) == len(many), many


async def test_bad_query_arguments_are_typed_errors(api: Api) -> None:
    body = await api.raw("{ trackedActivity { id } }")
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"
    body = await api.raw('{ linkSuggestions(addresses: ["a@b.example"], first: 1000) { suggestions { reason } } }')
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"
    for argument in ('messageId: "m\\u0000@mail.example"', 'icalUid: "u\\u0000id"', f'messageId: "{"m" * 401}"'):
        body = await api.raw(f"{{ trackedActivity({argument}) {{ id }} }}")
        assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION"], argument[:30]


# --- R-TRACK-2: once only --------------------------------------------------------------------

async def test_tracking_the_same_message_again_returns_the_saved_email(api: Api, db: Database) -> None:
    """R-TRACK-2: no duplicate, whichever spelling of the id; the payload says so."""
    first = await track_email(api)
    again = await track_email(api, messageId="m1@mail.example", subject="Changed", as_="sales2")
    assert again["errors"] == []
    assert again["outcome"] == "ALREADY_TRACKED" and again["alreadyTracked"] is True
    assert again["email"]["id"] == first["email"]["id"] and again["email"]["subject"] == "Pricing question"
    assert await activity_rows(db, type="EMAIL") == 1
    found = await api('{ trackedActivity(messageId: "<m1@mail.example>") { id } }', as_="sales2")
    assert found["trackedActivity"] == {"id": first["email"]["id"]}


async def test_two_concurrent_saves_of_one_message_make_one_email(api: Api, db: Database) -> None:
    """R-TRACK-2 under concurrency: a unique constraint, not a read-then-write race, decides."""
    _, person = await customer(api)
    results = await asyncio.gather(*(track_email(api, messageId="<race@mail.example>", as_=who)
                                     for who in ("sales1", "sales2")))
    assert all(r["errors"] == [] for r in results), results
    assert sorted(r["outcome"] for r in results) == ["ALREADY_TRACKED", "CREATED"]
    assert results[0]["email"]["id"] == results[1]["email"]["id"]
    assert await activity_rows(db, message_id="race@mail.example") == 1
    assert (await timeline(api, person["id"])).count(results[0]["email"]["id"]) == 1
    async with db.read() as session:
        shown = await session.scalar(select(func.sum(TimelineCount.count))
                                     .where(TimelineCount.record_id == raw(person["id"])))
    assert shown == 1


async def test_the_unique_constraint_decides_when_both_saves_miss_each_other(
        api: Api, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-TRACK-2: even when both saves read "not tracked yet" (the worst interleaving, forced here
    by hiding the first lookup of each transaction), the second insert fails on the unique
    message id inside its SAVEPOINT and returns the winner's email."""
    real = tracking.email_by_message_id
    looked: set[int] = set()

    async def misses_first(session: Any, ids: Any) -> Any:
        if id(session) not in looked:
            looked.add(id(session))
            return None
        return await real(session, ids)

    monkeypatch.setattr(tracking, "email_by_message_id", misses_first)
    first = await track_email(api, as_="sales1")
    second = await track_email(api, as_="sales2")
    assert (first["outcome"], second["outcome"]) == ("CREATED", "ALREADY_TRACKED")
    assert second["email"]["id"] == first["email"]["id"] and second["errors"] == []
    assert await activity_rows(db, message_id="m1@mail.example") == 1


async def test_two_concurrent_saves_of_one_meeting_make_one_appointment(api: Api, db: Database) -> None:
    """R-TRACK-2 for meetings: the UID is unique too; the second save finds nothing to change."""
    results = await asyncio.gather(*(track_meeting(api, icalUid="race-uid", as_=who) for who in ("sales1", "sales2")))
    assert all(r["errors"] == [] for r in results), results
    assert sorted(r["outcome"] for r in results) == ["ALREADY_TRACKED", "CREATED"]
    assert await activity_rows(db, ical_uid="race-uid") == 1


# --- R-TRACK-3: drafts, meetings, recurring, working hours ----------------------------------

async def test_a_draft_is_not_saved_until_sent(api: Api, db: Database) -> None:
    """R-TRACK-3: a draft is refused with a clear error and nothing is written; once sent it is saved."""
    before = await table_counts(db)
    payload = await track_email(api, isDraft=True)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_STATE", ["input", "isDraft"])]
    assert "draft" in payload["errors"][0]["message"] and payload["email"] is None
    assert await table_counts(db) == before
    assert (await track_email(api))["outcome"] == "CREATED"


async def test_a_meeting_is_saved_at_once_and_a_later_save_updates_it(api: Api) -> None:
    """R-TRACK-3: the same UID updates the appointment: time, place, attendees (and timelines)."""
    _, person = await customer(api)
    other = await contact(api, "Olga", "Other", email="olga@customer.example")
    first = await track_meeting(api, location="Room 1")
    meeting = first["appointment"]
    assert first["outcome"] == "CREATED" and meeting["state"] == "SCHEDULED"
    assert meeting["id"] in await timeline(api, person["id"])
    same = await track_meeting(api, location="Room 1")
    assert same["outcome"] == "ALREADY_TRACKED" and same["appointment"]["version"] == meeting["version"]
    moved = await track_meeting(api, start="2025-01-22T14:00:00Z", end="2025-01-22T15:30:00Z", location="Room 2",
                                requiredAttendees=["olga@customer.example"])
    assert moved["errors"] == [] and moved["outcome"] == "UPDATED"
    updated = moved["appointment"]
    assert updated["id"] == meeting["id"] and updated["version"] == meeting["version"] + 1
    assert (updated["scheduledStart"], updated["scheduledEnd"], updated["location"]) == (
        "2025-01-22T14:00:00+00:00", "2025-01-22T15:30:00+00:00", "Room 2")
    assert meeting["id"] not in await timeline(api, person["id"])
    assert meeting["id"] in await timeline(api, other["id"])


async def test_meeting_and_sent_times_need_a_time_zone_and_an_order(api: Api, db: Database) -> None:
    """Bad input is a typed error on the field, nothing is saved, never a 500."""
    before = await table_counts(db)
    naive = await track_meeting(api, start="2025-01-21T10:00:00", end=None)
    assert [(e["code"], e["field"]) for e in naive["errors"]] == [
        ("VALIDATION", ["input", "start"]), ("VALIDATION", ["input", "end"])]
    backwards = await track_meeting(api, start="2025-01-21T11:00:00Z", end="2025-01-21T10:00:00Z")
    assert [e["field"] for e in backwards["errors"]] == [["input", "end"]]
    sent = await track_email(api, sentOn="2025-01-14T09:00:00")
    assert [e["field"] for e in sent["errors"]] == [["input", "sentOn"]]
    no_id = await track_email(api, messageId="<>")
    assert [e["field"] for e in no_id["errors"]] == [["input", "messageId"]]
    assert await table_counts(db) == before


async def test_recurring_meetings_are_not_supported(api: Api, db: Database) -> None:
    """R-TRACK-3: a clear NOT_SUPPORTED error; nothing saved."""
    before = await table_counts(db)
    payload = await track_meeting(api, isRecurring=True)
    assert [e["code"] for e in payload["errors"]] == ["NOT_SUPPORTED"]
    assert "recurring" in payload["errors"][0]["message"]
    assert await table_counts(db) == before


async def test_a_meeting_outside_a_participants_working_hours_is_refused_naming_them(
        api: Api, db: Database, org: Org) -> None:
    """R-TRACK-3: every participating user's hours, in their own time zone; the error names who."""
    async with db.unit_of_work() as session:
        await session.execute(update(User).where(User.id == org.users["sales2"]).values(time_zone="America/New_York"))
    # 12:30 UTC is 07:30 in New York: Sasha (optional attendee) has not started yet; Sam has.
    early = await track_meeting(api, optionalAttendees=["sales2@test.relate"],
                                start="2025-01-21T12:30:00Z", end="2025-01-21T13:30:00Z")
    assert [e["code"] for e in early["errors"]] == ["OUTSIDE_WORKING_HOURS"]
    assert "Sasha Seller" in early["errors"][0]["message"] and "Sam Seller" not in early["errors"][0]["message"]
    assert "America/New_York" in early["errors"][0]["message"]
    # Saturday: nobody works; both users are named, one error each.
    weekend = await track_meeting(api, optionalAttendees=["sales2@test.relate"],
                                  start="2025-01-25T14:00:00Z", end="2025-01-25T15:00:00Z")
    assert sorted(e["message"].split(":")[1].split()[0] for e in weekend["errors"]) == ["Sam", "Sasha"]
    # 14:00 UTC is 09:00 in New York: inside both.
    fine = await track_meeting(api, optionalAttendees=["sales2@test.relate"],
                               start="2025-01-21T14:00:00Z", end="2025-01-21T15:00:00Z")
    assert fine["errors"] == [] and fine["outcome"] == "CREATED"
    # Only customers take part: no working hours apply, even at night.
    night = await track_meeting(api, icalUid="night", organizer="buyer@customer.example",
                                start="2025-01-21T22:00:00Z", end="2025-01-21T23:00:00Z")
    assert night["errors"] == []


# --- R-TRACK-4: attachments ------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_chosen_attachments_are_saved_refused_ones_listed_inline_images_skipped(api: Api) -> None:
    """R-TRACK-4: R-ATT-1 applies per file; the email is saved whatever is refused."""
    await api.ok("setAttachmentPolicy", {"maxBytes": 1000}, "policy { maxBytes }")
    payload = await track_email(api, attachments=[
        {"fileName": "offer.pdf", "contentBase64": _b64(PDF)},
        {"fileName": "tool.exe", "contentBase64": _b64(EXE)},
        {"fileName": "big.pdf", "contentBase64": _b64(PDF + b" " * 2000)},
        {"fileName": "logo.png", "contentBase64": _b64(PNG), "isInline": True},
    ])
    assert payload["errors"] == [] and payload["outcome"] == "CREATED"
    assert payload["savedAttachments"] == [{"fileName": "offer.pdf", "contentType": "application/pdf",
                                            "size": len(PDF)}]
    assert [(r["fileName"], r["code"]) for r in payload["refusedAttachments"]] == [
        ("tool.exe", "FILE_TYPE_BLOCKED"), ("big.pdf", "FILE_TOO_LARGE")]
    assert payload["skippedInlineAttachments"] == ["logo.png"]
    assert payload["email"]["attachmentCount"] == 1


async def test_bad_attachment_input_is_a_typed_error(api: Api, db: Database) -> None:
    """R-TRACK-4: neither or both of file and contentBase64, or bad base64: VALIDATION, nothing saved."""
    before = await table_counts(db)
    payload = await track_email(api, attachments=[{"fileName": "a.pdf"}, {"fileName": "b.pdf", "contentBase64": "%%"}])
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", ["input", "attachments", "0"])]
    payload = await track_email(api, attachments=[{"fileName": "b.pdf", "contentBase64": "%%"}])
    assert [e["field"] for e in payload["errors"]] == [["input", "attachments", "0", "contentBase64"]]
    assert await table_counts(db) == before


# --- R-TRACK-5: replies ------------------------------------------------------------------------

async def test_a_reply_to_a_tracked_email_is_tracked_with_the_same_regarding(api: Api) -> None:
    """R-TRACK-5: In-Reply-To names a tracked message → linked like it, automatically."""
    company, _ = await customer(api)
    original = await track_email(api, regardingId=company["id"])
    reply = await track_email(api, messageId="<m2@test.relate>", inReplyTo="<m1@mail.example>",
                              subject="Re: Pricing question", **{"from": "sales1@test.relate",
                                                                 "to": ["buyer@customer.example"]})
    assert reply["errors"] == [] and reply["autoLinked"] is True
    assert reply["email"]["regarding"] == original["email"]["regarding"]
    assert reply["email"]["inReplyTo"] == "m1@mail.example"
    chosen = await track_email(api, messageId="<m3@test.relate>", inReplyTo="<m1@mail.example>",
                               regardingId=(await account(api, "Elsewhere"))["id"])
    assert chosen["autoLinked"] is False and chosen["email"]["regarding"]["name"] == "Elsewhere"


async def test_a_mailbox_sync_saves_only_replies_to_tracked_mail(api: Api, db: Database) -> None:
    """R-TRACK-5 with `onlyReplies`: unrelated mail is not saved; a reply is, linked like the original."""
    company, _ = await customer(api)
    await track_email(api, regardingId=company["id"])
    unrelated = await track_email(api, messageId="<other@x.example>", onlyReplies=True)
    assert unrelated["errors"] == [] and unrelated["outcome"] == "NOT_TRACKED" and unrelated["email"] is None
    assert await activity_rows(db, message_id="other@x.example") == 0
    reply = await track_email(api, messageId="<re@x.example>", inReplyTo="<m1@mail.example>", onlyReplies=True)
    assert reply["outcome"] == "CREATED" and reply["email"]["regarding"]["id"] == company["id"]


# --- R-TRACK-6: edit and delete --------------------------------------------------------------

UPDATE = f"activity {{ ... on Email {{ {EMAIL} }} ... on Appointment {{ {APPOINTMENT} }} }}"


async def test_relink_recategorise_and_change_related_contacts(api: Api) -> None:
    """R-TRACK-6: timelines follow the new link and the new set of related contacts."""
    company, person = await customer(api)
    other_company = await account(api, "Other Co")
    olga = await contact(api, "Olga", "Other", email="olga@other.example", accountId=other_company["id"])
    email = (await track_email(api, regardingId=company["id"]))["email"]
    changed = await api.ok("updateTrackedActivity", {
        "id": email["id"], "regardingId": other_company["id"], "categories": ["Pricing", " Pricing ", "Q1"],
        "relatedContactIds": [olga["id"]], "expectedVersion": email["version"]}, UPDATE, as_="sales1")
    activity = changed["activity"]
    assert activity["regarding"]["id"] == other_company["id"] and activity["categories"] == ["Pricing", "Q1"]
    # Chris is no longer a related contact: his address stays, unresolved; Olga is added as CC.
    assert [(p["role"], p["address"], (p["party"] or {}).get("id")) for p in activity["parties"]] == [
        ("FROM", "buyer@customer.example", None),
        ("TO", "sales1@test.relate", activity["parties"][1]["party"]["id"]),
        ("CC", "olga@other.example", olga["id"]),
    ]
    assert email["id"] not in await timeline(api, person["id"])
    assert email["id"] not in await timeline(api, company["id"])
    assert email["id"] in await timeline(api, olga["id"])
    unlinked = await api.ok("updateTrackedActivity", {"id": email["id"], "regardingId": None}, UPDATE, as_="sales1")
    assert unlinked["activity"]["regarding"] is None
    assert email["id"] in await timeline(api, other_company["id"])  # still, through Olga


async def test_update_refuses_stale_versions_other_peoples_items_and_untracked_activities(api: Api) -> None:
    """R-TRACK-6 with R-API-1 and R-SEC-1: typed errors, nothing changed."""
    email = (await track_email(api))["email"]
    stale = await api.mutate("updateTrackedActivity", {"id": email["id"], "categories": ["x"], "expectedVersion": 9},
                             "activity { id }", as_="sales1")
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    theirs = await api.mutate("updateTrackedActivity", {"id": email["id"], "categories": ["x"]},
                              "activity { id }", as_="sales2")
    assert [e["code"] for e in theirs["errors"]] == ["FORBIDDEN"]
    plain = await task(api, "Call back")
    untracked = await api.mutate("deleteTrackedActivity", {"id": plain["id"]}, "deletedActivityId", as_="sales1")
    assert [e["code"] for e in untracked["errors"]] == ["INVALID_STATE"]
    meeting = (await track_meeting(api))["appointment"]
    categorised = await api.mutate("updateTrackedActivity", {"id": meeting["id"], "categories": ["x"]},
                                   "activity { id }", as_="sales1")
    assert [e["field"] for e in categorised["errors"]] == [["input", "categories"]]


async def test_a_tracked_email_can_be_deleted_from_relate(api: Api, db: Database, settings: Settings) -> None:
    """R-TRACK-6: gone from node() and every timeline (counts too); REMOVED events written; it can
    be tracked again afterwards."""
    company, person = await customer(api)
    email = (await track_email(api, regardingId=company["id"], attachments=[
        {"fileName": "offer.pdf", "contentBase64": _b64(PDF)}]))["email"]
    await api.ok("addNote", {"activityId": email["id"], "text": "Asked for 10% off"}, "note { id }", as_="sales1")
    assert len(stored_files(settings.file_store_dir)) == 1
    deleted = await api.ok("deleteTrackedActivity", {"id": email["id"]}, "deletedActivityId", as_="sales1")
    assert deleted["deletedActivityId"] == email["id"]
    assert (await api("query($id: ID!) { node(id: $id) { id } }", {"id": email["id"]}))["node"] is None
    assert await timeline(api, person["id"]) == [] and await timeline(api, company["id"]) == []
    async with db.read() as session:
        shown = await session.scalar(select(func.coalesce(func.sum(TimelineCount.count), 0))
                                     .where(TimelineCount.record_id.in_([raw(person["id"]), raw(company["id"])])))
        removed = await session.scalar(select(func.count()).select_from(OutboxEvent)
                                       .where(OutboxEvent.payload["change"].as_string() == "REMOVED"))
    assert shown == 0 and removed == 2  # the email and its note
    assert stored_files(settings.file_store_dir) == []
    assert (await track_email(api))["outcome"] == "CREATED"


async def test_only_someone_allowed_to_delete_it_may(api: Api) -> None:
    """R-TRACK-6 with R-SEC-1: another salesperson may not; a manager of the unit may."""
    email = (await track_email(api))["email"]
    refused = await api.mutate("deleteTrackedActivity", {"id": email["id"]}, "deletedActivityId", as_="sales2")
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    await api.ok("deleteTrackedActivity", {"id": email["id"]}, "deletedActivityId", as_="manager")


async def test_a_user_without_rights_cannot_track(api: Api, db: Database) -> None:
    """R-SEC-1: no create right, no tracking; a typed error and nothing written."""
    before = await table_counts(db)
    payload = await track_email(api, as_="norole")
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert await table_counts(db) == before
