"""Writing activities over HTTP: the typed creates, update, complete/cancel/reopen, assign.

Rules: R-ACT-2 (stamps), R-ACT-3 (states, closed is read-only), R-ACT-4 (parties),
R-ACT-5 (regarding), R-ACT-6 (bulk complete/cancel/reopen with a note), R-ACT-7 (assign),
R-CALL-1, R-MAIL-1, R-APPT-1, R-SMS-1, R-REC-2 (deactivated regarding), R-API-1
(expectedVersion), R-SEC-1 (permissions).
"""

from __future__ import annotations

from typing import Any

from graph.db import Database
from tests.support.activity_factories import (
    ACTIVITY_FIELDS,
    notes_on,
    outbox_kinds,
    raw,
    task,
    timeline_owners,
    timeline_states,
)
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import account, contact, table_counts

PARTIES = "parties { role address party { __typename ... on User { fullName } ... on Record { name } } }"
CALL = f"phoneCall {{ {ACTIVITY_FIELDS} phoneNumber direction {PARTIES} }}"
TEXT = f"textMessage {{ {ACTIVITY_FIELDS} description phoneNumber direction {PARTIES} }}"
BULK = "results { id ok activity { id state noteCount version } error { code message field } }"


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


# --- R-CALL-1 ---------------------------------------------------------------------------

async def test_a_logged_call_is_completed_from_me_to_the_contact_on_their_business_phone(api: Api) -> None:
    chris = await contact(api, "Chris", "Preston", businessPhone="+1 555 0101", mobilePhone="+1 555 0199")
    call = (await api.ok("logPhoneCall", {"subject": "Intro call", "to": [{"partyId": chris["id"]}],
                                          "regardingId": chris["id"]}, CALL, as_="sales1"))["phoneCall"]
    assert call["__typename"] == "PhoneCall" and call["type"] == "PHONE_CALL"
    assert call["state"] == "COMPLETED" and call["statusReason"] == "MADE" and call["actualEnd"] is not None
    assert call["direction"] == "OUTGOING" and call["phoneNumber"] == "+1 555 0101"
    assert call["parties"] == [
        {"role": "FROM", "address": None, "party": {"__typename": "User", "fullName": "Sam Seller"}},
        {"role": "TO", "address": None, "party": {"__typename": "Contact", "name": "Chris Preston"}},
    ]


async def test_a_call_uses_the_mobile_phone_when_there_is_no_business_phone(api: Api) -> None:
    kim = await contact(api, "Kim", "Mobile", mobilePhone="+1 555 0177")
    call = (await api.ok("logPhoneCall", {"subject": "Ring Kim", "to": [{"partyId": kim["id"]}]}, CALL))["phoneCall"]
    assert call["phoneNumber"] == "+1 555 0177"


async def test_a_call_to_someone_without_a_number_asks_for_one_and_writes_nothing(api: Api, db: Database) -> None:
    nobody = await contact(api, "No", "Number")
    before = await table_counts(db)
    payload = await api.mutate("logPhoneCall", {"subject": "Ring", "to": [{"partyId": nobody["id"]}]}, CALL)
    assert payload["phoneCall"] is None
    assert payload["errors"][0]["code"] == "MISSING_CONTACT_POINT"
    assert payload["errors"][0]["field"] == ["input", "phoneNumber"]
    assert "No Number" in payload["errors"][0]["message"]
    assert await table_counts(db) == before
    given = await api.ok("logPhoneCall", {"subject": "Ring", "to": [{"partyId": nobody["id"]}],
                                          "phoneNumber": "+44 20 7946 0000"}, CALL)
    assert given["phoneCall"]["phoneNumber"] == "+44 20 7946 0000"


async def test_a_planned_call_stays_open_and_no_other_state_is_accepted(api: Api) -> None:
    planned = await api.ok("logPhoneCall", {"subject": "Call later", "phoneNumber": "+1 555 0123", "state": "OPEN",
                                            "due": "2031-01-05T09:00:00Z"}, CALL)
    assert planned["phoneCall"]["state"] == "OPEN" and planned["phoneCall"]["actualEnd"] is None
    assert planned["phoneCall"]["due"] == "2031-01-05T09:00:00+00:00"
    refused = await api.mutate("logPhoneCall", {"subject": "x", "phoneNumber": "+1 555 0123", "state": "SENT"}, CALL)
    assert codes(refused) == ["VALIDATION"] and refused["errors"][0]["field"] == ["input", "state"]


async def test_do_not_phone_warns_until_acknowledged(api: Api) -> None:
    shy = await contact(api, "Shy", "Person", businessPhone="+1 555 0111", doNotPhone=True)
    warned = await api.mutate("logPhoneCall", {"subject": "Ring", "to": [{"partyId": shy["id"]}]}, CALL)
    assert codes(warned) == ["CONFIRMATION_REQUIRED"] and "Shy Person" in warned["errors"][0]["message"]
    done = await api.ok("logPhoneCall", {"subject": "Ring", "to": [{"partyId": shy["id"]}],
                                         "acknowledgeWarnings": True}, CALL)
    assert done["phoneCall"]["state"] == "COMPLETED"


async def test_an_incoming_call_is_from_the_caller_to_me(api: Api) -> None:
    chris = await contact(api, "Chris", "Caller", businessPhone="+1 555 0102", doNotPhone=True)
    call = (await api.ok("logPhoneCall", {"subject": "Chris called", "direction": "INCOMING",
                                          "from": {"partyId": chris["id"]}}, CALL, as_="sales2"))["phoneCall"]
    assert call["statusReason"] == "RECEIVED" and call["phoneNumber"] == "+1 555 0102"
    assert [(p["role"], p["party"]["__typename"]) for p in call["parties"]] == [("TO", "User"), ("FROM", "Contact")]


async def test_a_bad_phone_number_and_a_bad_party_are_both_reported(api: Api) -> None:
    payload = await api.mutate("logPhoneCall", {"subject": " ", "phoneNumber": "call me maybe",
                                                "to": [{"address": "  "}]}, CALL)
    assert sorted((e["code"], tuple(e["field"])) for e in payload["errors"]) == [
        ("VALIDATION", ("input", "phoneNumber")), ("VALIDATION", ("input", "subject")),
    ]
    party = await api.mutate("logPhoneCall", {"subject": "x", "phoneNumber": "+1 555 0100",
                                              "to": [{"address": "  "}]}, CALL)
    assert party["errors"][0]["field"] == ["input", "to", "0"]


# --- R-MAIL-1 ---------------------------------------------------------------------------

async def test_an_email_is_recorded_as_sent_with_every_party_and_field(api: Api) -> None:
    chris = await contact(api, "Chris", "Preston", email="chris@import.test")
    email = (await api.ok("sendEmail", {
        "subject": "Quote", "bodyHtml": "<p>Hello</p>", "to": [{"partyId": chris["id"]}],
        "cc": [{"address": "boss@import.test"}], "bcc": [{"address": "archive@relate.test"}],
        "messageId": "<m1@relate.test>", "inReplyTo": "<m0@import.test>",
        "categories": [" Sales ", "", "Quote", "Sales"], "regardingId": chris["id"],
    }, f"email {{ {ACTIVITY_FIELDS} bodyHtml messageId inReplyTo categories {PARTIES} }}", as_="sales1"))["email"]
    assert email["state"] == "SENT" and email["statusReason"] == "SENT" and email["actualEnd"] is not None
    # Message ids are stored in one form, without angle brackets, however they were given.
    assert (email["bodyHtml"], email["messageId"], email["inReplyTo"]) == ("<p>Hello</p>", "m1@relate.test",
                                                                           "m0@import.test")
    assert email["categories"] == ["Sales", "Quote"]
    assert [(p["role"], p["address"]) for p in email["parties"]] == [
        ("FROM", None), ("TO", None), ("CC", "boss@import.test"), ("BCC", "archive@relate.test"),
    ]


async def test_an_email_needs_a_recipient_and_a_message_id_once(api: Api) -> None:
    none = await api.mutate("sendEmail", {"subject": "Lost"}, "email { id }")
    assert codes(none) == ["VALIDATION"] and none["errors"][0]["field"] == ["input", "to"]
    first = {"subject": "Hi", "to": [{"address": "a@b.test"}], "messageId": "<same@relate.test>"}
    await api.ok("sendEmail", first, "email { id }")
    again = await api.mutate("sendEmail", first, "email { id }")
    assert codes(again) == ["DUPLICATE"] and again["errors"][0]["field"] == ["input", "messageId"]


# --- R-APPT-1 ---------------------------------------------------------------------------

APPOINTMENT = f"appointment {{ {ACTIVITY_FIELDS} scheduledStart scheduledEnd location onlineMeetingUrl {PARTIES} }}"


async def test_an_appointment_is_scheduled_with_organizer_and_attendees_and_due_at_its_start(api: Api) -> None:
    chris = await contact(api, "Chris", "Preston")
    appt = (await api.ok("createAppointment", {
        "subject": "Demo", "start": "2031-03-01T10:00:00Z", "end": "2031-03-01T11:00:00Z", "location": "HQ",
        "onlineMeetingUrl": "https://meet.example.test/abc", "requiredAttendees": [{"partyId": chris["id"]}],
        "optionalAttendees": [{"address": "guest@example.test"}],
    }, APPOINTMENT, as_="sales1"))["appointment"]
    assert appt["state"] == "SCHEDULED" and appt["actualEnd"] is None
    assert appt["due"] == appt["scheduledStart"] == "2031-03-01T10:00:00+00:00"
    assert (appt["location"], appt["onlineMeetingUrl"]) == ("HQ", "https://meet.example.test/abc")
    assert [p["role"] for p in appt["parties"]] == ["ORGANIZER", "REQUIRED_ATTENDEE", "OPTIONAL_ATTENDEE"]
    assert appt["parties"][0]["party"] == {"__typename": "User", "fullName": "Sam Seller"}


async def test_an_appointment_ending_before_it_starts_is_refused(api: Api) -> None:
    payload = await api.mutate("createAppointment", {
        "subject": "Backwards", "start": "2031-03-01T10:00:00Z", "end": "2031-03-01T09:00:00Z",
        "onlineMeetingUrl": "javascript:alert(1)",
    }, "appointment { id }")
    assert sorted(tuple(e["field"]) for e in payload["errors"]) == [("input", "end"), ("input", "onlineMeetingUrl")]
    same = await api.ok("createAppointment", {"subject": "Instant", "start": "2031-03-01T10:00:00Z",
                                              "end": "2031-03-01T10:00:00Z"}, "appointment { id }")
    assert same["appointment"]["id"]


# --- R-SMS-1 ----------------------------------------------------------------------------

async def test_a_text_message_goes_to_the_business_number_first(api: Api) -> None:
    chris = await contact(api, "Chris", "Preston", businessPhone="+1 555 0101", mobilePhone="+1 555 0199")
    sms = (await api.ok("sendTextMessage", {"text": "Running late\nsee you at 10", "to": [{"partyId": chris["id"]}]},
                        TEXT, as_="sales1"))["textMessage"]
    assert sms["state"] == "COMPLETED" and sms["statusReason"] == "SENT" and sms["direction"] == "OUTGOING"
    assert sms["phoneNumber"] == "+1 555 0101"
    assert sms["subject"] == "Running late" and sms["description"] == "Running late\nsee you at 10"


async def test_a_text_message_without_a_number_is_refused_with_missing_contact_point(api: Api, db: Database) -> None:
    nobody = await contact(api, "No", "Number", doNotText=True)
    before = await table_counts(db)
    payload = await api.mutate("sendTextMessage", {"text": "Hi", "to": [{"partyId": nobody["id"]}]}, TEXT)
    assert codes(payload) == ["MISSING_CONTACT_POINT"] and payload["errors"][0]["field"] == ["input", "phoneNumber"]
    empty = await api.mutate("sendTextMessage", {"text": "  ", "phoneNumber": "+1 555 0100"}, TEXT)
    assert codes(empty) == ["VALIDATION"] and empty["errors"][0]["field"] == ["input", "text"]
    assert await table_counts(db) == before
    warned = await api.mutate("sendTextMessage", {"text": "Hi", "to": [{"partyId": nobody["id"]}],
                                                  "phoneNumber": "+1 555 0100"}, TEXT)
    assert codes(warned) == ["CONFIRMATION_REQUIRED"]


# --- creating: permissions, regarding, idempotency ------------------------------------

async def test_regarding_a_deactivated_record_is_refused(api: Api, db: Database) -> None:
    gone = await account(api, "Gone Ltd")
    await api.ok("deactivateRecord", {"id": gone["id"]}, "record { id }")
    before = await table_counts(db)
    for name, input, selection in (
        ("createTask", {"subject": "x"}, "task { id }"),
        ("logPhoneCall", {"subject": "x", "phoneNumber": "+1 555 0100"}, "phoneCall { id }"),
        ("sendEmail", {"subject": "x", "to": [{"address": "a@b.test"}]}, "email { id }"),
        ("createAppointment", {"subject": "x", "start": "2031-01-01T10:00:00Z", "end": "2031-01-01T11:00:00Z"},
         "appointment { id }"),
        ("sendTextMessage", {"text": "x", "phoneNumber": "+1 555 0100"}, "textMessage { id }"),
    ):
        payload = await api.mutate(name, {**input, "regardingId": gone["id"]}, selection, as_="sales1")
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("DEACTIVATED", ["input", "regardingId"])], name
    assert await table_counts(db) == before


async def test_creating_needs_create_for_the_owner_given(api: Api, org: Org) -> None:
    from tests.support.client import gid

    other = await api.mutate("logPhoneCall", {"subject": "x", "phoneNumber": "+1 555 0100",
                                              "ownerId": gid("User", org.users["sales2"])}, CALL, as_="sales1")
    assert codes(other) == ["FORBIDDEN"] and other["errors"][0]["field"] == ["input", "ownerId"]
    team = await api.ok("logPhoneCall", {"subject": "x", "phoneNumber": "+1 555 0100",
                                         "ownerId": gid("Team", org.team_id)}, CALL, as_="sales1")
    assert team["phoneCall"]["owner"] == {"name": "Inside Sales"}
    nobody = await api.mutate("createTask", {"subject": "x"}, "task { id }", as_="norole")
    assert codes(nobody) == ["FORBIDDEN"]
    managed = await api.ok("createTask", {"subject": "x", "ownerId": gid("User", org.users["sales3"])},
                           "task { owner { ... on User { fullName } } }", as_="manager")
    assert managed["task"]["owner"] == {"fullName": "Wes Westwood"}


async def test_appending_needs_append_to_on_the_regarding_record(api: Api, db: Database, org: Org) -> None:
    from graph.rules.access import Depth
    from tests.support.record_factories import add_custom_role

    await add_custom_role(db, org, role="no_append", key="noappend", unit="sales",
                          depths={"create": Depth.USER, "read": Depth.ORGANIZATION, "write": Depth.USER})
    acme = await account(api, "Acme")
    refused = await api.mutate("createTask", {"subject": "x", "regardingId": acme["id"]}, "task { id }", as_="noappend")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("FORBIDDEN", ["input", "regardingId"])]
    personal = await api.ok("createTask", {"subject": "x"}, "task { id }", as_="noappend")
    assert personal["task"]["id"]


async def test_a_repeated_client_mutation_id_returns_the_first_call(api: Api) -> None:
    input = {"subject": "Once", "phoneNumber": "+1 555 0100", "clientMutationId": "call-1"}
    first = await api.ok("logPhoneCall", input, "phoneCall { id }")
    again = await api.ok("logPhoneCall", {**input, "subject": "Twice"}, "phoneCall { id subject }")
    assert again["phoneCall"] == {"id": first["phoneCall"]["id"], "subject": "Once"}


# --- updateActivity -------------------------------------------------------------------

UPDATED = f"activity {{ {ACTIVITY_FIELDS} description scheduledStart modifiedOn createdOn }}"


async def test_update_changes_the_given_fields_stamps_and_bumps_the_version(api: Api) -> None:
    acme = await account(api, "Acme")
    created = await task(api, "Draft", as_="sales1", description="keep me", regardingId=acme["id"])
    changed = (await api.ok("updateActivity", {"id": created["id"], "expectedVersion": 1, "subject": "Final",
                                               "priority": "HIGH", "due": "2031-02-02T08:00:00Z"},
                            UPDATED, as_="sales1"))["activity"]
    assert (changed["subject"], changed["priority"], changed["due"]) == ("Final", "HIGH", "2031-02-02T08:00:00+00:00")
    assert changed["description"] == "keep me" and changed["version"] == 2
    assert changed["modifiedBy"] == {"fullName": "Sam Seller"} and changed["modifiedOn"] >= changed["createdOn"]
    personal = (await api.ok("updateActivity", {"id": created["id"], "regardingId": None}, UPDATED,
                             as_="sales1"))["activity"]
    assert personal["isPersonal"] is True and personal["regarding"] is None and personal["version"] == 3


async def test_update_with_a_stale_version_conflicts_and_changes_nothing(api: Api, db: Database) -> None:
    created = await task(api, "Draft")
    await api.ok("updateActivity", {"id": created["id"], "subject": "v2"}, "activity { id }", as_="sales1")
    before = await table_counts(db)
    stale = await api.mutate("updateActivity", {"id": created["id"], "expectedVersion": 1, "subject": "v3"},
                             UPDATED, as_="sales1")
    assert codes(stale) == ["CONFLICT"] and stale["errors"][0]["field"] == ["input", "expectedVersion"]
    assert await table_counts(db) == before
    found = await api("query($id: ID!) { node(id: $id) { ... on Task { subject version } } }", {"id": created["id"]})
    assert found["node"] == {"subject": "v2", "version": 2}


async def test_a_closed_activity_is_read_only(api: Api) -> None:
    created = await task(api, "Done soon")
    await api.ok("completeActivities", {"ids": [created["id"]]}, BULK, as_="sales1")
    refused = await api.mutate("updateActivity", {"id": created["id"], "subject": "changed"}, UPDATED, as_="sales1")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_STATE", ["input", "id"])]


async def test_update_needs_write_on_the_activity(api: Api, org: Org) -> None:
    from tests.support.client import gid

    own = await task(api, "Mine", as_="sales1")
    teams = await task(api, "Ours", as_="sales1", ownerId=gid("Team", org.team_id))
    other = await api.mutate("updateActivity", {"id": own["id"], "subject": "x"}, UPDATED, as_="sales2")
    assert [(e["code"], e["field"]) for e in other["errors"]] == [("FORBIDDEN", ["input", "id"])]
    team_mate = await api.ok("updateActivity", {"id": teams["id"], "subject": "Ours, edited"}, UPDATED, as_="sales2")
    assert team_mate["activity"]["subject"] == "Ours, edited"
    west = await api.mutate("updateActivity", {"id": teams["id"], "subject": "x"}, UPDATED, as_="sales3")
    assert codes(west) == ["FORBIDDEN"]
    unreadable = await api.mutate("updateActivity", {"id": own["id"], "subject": "x"}, UPDATED, as_="norole")
    assert codes(unreadable) == ["NOT_FOUND"]
    manager = await api.ok("updateActivity", {"id": own["id"], "subject": "Managed"}, UPDATED, as_="manager")
    assert manager["activity"]["subject"] == "Managed"


async def test_update_checks_fields_by_type_and_the_new_regarding(api: Api) -> None:
    gone = await account(api, "Gone Ltd")
    await api.ok("deactivateRecord", {"id": gone["id"]}, "record { id }")
    created = await task(api, "Task")
    wrong = await api.mutate("updateActivity", {"id": created["id"], "location": "HQ", "subject": ""}, UPDATED,
                             as_="sales1")
    assert sorted(tuple(e["field"]) for e in wrong["errors"]) == [("input", "location"), ("input", "subject")]
    deactivated = await api.mutate("updateActivity", {"id": created["id"], "regardingId": gone["id"]}, UPDATED,
                                   as_="sales1")
    assert [(e["code"], e["field"]) for e in deactivated["errors"]] == [("DEACTIVATED", ["input", "regardingId"])]


async def test_moving_an_appointment_moves_its_due_and_its_due_cannot_be_set_apart(api: Api) -> None:
    appt = (await api.ok("createAppointment", {"subject": "Demo", "start": "2031-03-01T10:00:00Z",
                                               "end": "2031-03-01T11:00:00Z"}, "appointment { id }"))["appointment"]
    moved = await api.ok("updateActivity", {"id": appt["id"], "scheduledStart": "2031-03-01T10:30:00Z"}, UPDATED)
    assert moved["activity"]["due"] == "2031-03-01T10:30:00+00:00"
    apart = await api.mutate("updateActivity", {"id": appt["id"], "due": "2031-04-01T10:00:00Z"}, UPDATED)
    assert apart["errors"][0]["field"] == ["input", "due"]
    backwards = await api.mutate("updateActivity", {"id": appt["id"], "scheduledEnd": "2031-03-01T09:00:00Z"}, UPDATED)
    assert [(e["code"], e["field"]) for e in backwards["errors"]] == [("VALIDATION", ["input", "scheduledEnd"])]
    cleared = await api.mutate("updateActivity", {"id": appt["id"], "scheduledStart": None}, UPDATED)
    assert cleared["errors"][0]["field"] == ["input", "scheduledStart"]


async def test_update_keeps_the_timeline_index_true(api: Api, db: Database) -> None:
    acme = await account(api, "Acme")
    beta = await account(api, "Beta")
    created = await task(api, "Moves", regardingId=acme["id"])
    assert await timeline_states(db, acme["id"]) == {"OPEN": 1}
    await api.ok("updateActivity", {"id": created["id"], "regardingId": beta["id"]}, "activity { id }", as_="sales1")
    assert await timeline_states(db, acme["id"]) == {}
    assert await timeline_states(db, beta["id"]) == {"OPEN": 1}


# --- R-ACT-6: complete, cancel, reopen ---------------------------------------------------

async def test_bulk_complete_does_every_allowed_one_and_says_why_not_for_the_others(
    api: Api, db: Database, org: Org,
) -> None:
    acme = await account(api, "Acme")
    mine = [await task(api, f"Mine {i}", regardingId=acme["id"]) for i in range(2)]
    closed = await task(api, "Already done", regardingId=acme["id"])
    await api.ok("completeActivities", {"ids": [closed["id"]]}, BULK, as_="sales1")
    theirs = await task(api, "Sasha's", as_="sales2", regardingId=acme["id"])
    missing = "VGFzazowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA="  # Task:<nil uuid>
    assert await timeline_states(db, acme["id"]) == {"OPEN": 3, "COMPLETED": 1}
    events_before = (await outbox_kinds(db))["timeline.changed"]

    ids = [mine[0]["id"], closed["id"], theirs["id"], missing, "not-an-id", mine[1]["id"], mine[0]["id"]]
    payload = await api.ok("completeActivities", {"ids": ids, "note": {"title": "Done", "text": "All good"}},
                           BULK, as_="sales1")
    results = {r["id"]: r for r in payload["results"]}
    assert [r["id"] for r in payload["results"]] == ids[:6]
    for done in (mine[0], mine[1]):
        assert results[done["id"]]["ok"] is True and results[done["id"]]["error"] is None
        assert results[done["id"]]["activity"]["state"] == "COMPLETED"
        assert results[done["id"]]["activity"]["noteCount"] == 1
        assert results[done["id"]]["activity"]["version"] == 2
    assert results[closed["id"]]["ok"] is False
    assert results[closed["id"]]["error"]["code"] == "INVALID_STATE"
    assert results[closed["id"]]["error"]["field"] == ["input", "ids", "1"]
    assert results[closed["id"]]["activity"]["noteCount"] == 0
    assert results[theirs["id"]]["error"]["code"] == "FORBIDDEN"
    assert results[theirs["id"]]["activity"]["state"] == "OPEN"
    assert results[missing]["error"]["code"] == "NOT_FOUND" and results[missing]["activity"] is None
    assert results["not-an-id"]["error"]["code"] == "VALIDATION"

    notes = await notes_on(db, mine[0]["id"])
    assert [(n.title, n.text, n.owner_id, n.created_by_id) for n in notes] == [
        ("Done", "All good", org.users["sales1"], org.users["sales1"])
    ]
    assert await notes_on(db, theirs["id"]) == []
    # The states moved on the regarding record's timeline, and the notes joined it.
    assert await timeline_states(db, acme["id"]) == {"OPEN": 1, "COMPLETED": 3, "ACTIVE": 2}
    assert (await outbox_kinds(db))["timeline.changed"] == events_before + 4


async def test_bulk_complete_refuses_the_whole_request_only_for_request_problems(api: Api, db: Database) -> None:
    created = await task(api, "Open")
    before = await table_counts(db)
    empty = await api.mutate("completeActivities", {"ids": []}, BULK, as_="sales1")
    assert codes(empty) == ["VALIDATION"] and empty["results"] == []
    blank_note = await api.mutate("completeActivities", {"ids": [created["id"]], "note": {"title": " "}}, BULK,
                                  as_="sales1")
    assert [(e["code"], e["field"]) for e in blank_note["errors"]] == [("VALIDATION", ["input", "note"])]
    too_many = await api.mutate("completeActivities", {"ids": [created["id"]] * 501}, BULK, as_="sales1")
    assert codes(too_many) == ["VALIDATION"]
    assert await table_counts(db) == before


async def test_each_type_completes_to_its_own_state(api: Api) -> None:
    email = (await api.ok("sendEmail", {"subject": "x", "to": [{"address": "a@b.test"}]}, "email { id }"))["email"]
    appt = (await api.ok("createAppointment", {"subject": "x", "start": "2031-01-01T10:00:00Z",
                                               "end": "2031-01-01T11:00:00Z"}, "appointment { id }"))["appointment"]
    call = (await api.ok("logPhoneCall", {"subject": "x", "phoneNumber": "+1 555 0100", "state": "OPEN"},
                         "phoneCall { id }"))["phoneCall"]
    payload = await api.ok("completeActivities", {"ids": [appt["id"], call["id"], email["id"]]}, BULK)
    assert [(r["ok"], r["activity"]["state"]) for r in payload["results"]] == [
        (True, "COMPLETED"), (True, "COMPLETED"), (False, "SENT"),
    ]


async def test_cancel_then_reopen_returns_each_type_to_its_open_state(api: Api, db: Database) -> None:
    acme = await account(api, "Acme")
    created = await task(api, "Maybe", regardingId=acme["id"])
    appt = (await api.ok("createAppointment", {"subject": "x", "start": "2031-01-01T10:00:00Z",
                                               "end": "2031-01-01T11:00:00Z", "regardingId": acme["id"]},
                         "appointment { id }", as_="sales1"))["appointment"]
    canceled = await api.ok("cancelActivities", {"ids": [created["id"], appt["id"]]}, BULK, as_="sales1")
    assert [r["activity"]["state"] for r in canceled["results"]] == ["CANCELED", "CANCELED"]
    assert await timeline_states(db, acme["id"]) == {"CANCELED": 2}
    again = await api.ok("cancelActivities", {"ids": [created["id"]]}, BULK, as_="sales1")
    assert again["results"][0]["error"]["code"] == "INVALID_STATE"

    reopened = await api.ok("reopenActivity", {"id": created["id"], "expectedVersion": 2},
                            "activity { state statusReason actualEnd version }", as_="sales1")
    assert reopened["activity"] == {"state": "OPEN", "statusReason": "NOT_STARTED", "actualEnd": None, "version": 3}
    appt_open = await api.ok("reopenActivity", {"id": appt["id"]}, "activity { state }", as_="sales1")
    assert appt_open["activity"]["state"] == "SCHEDULED"
    assert await timeline_states(db, acme["id"]) == {"OPEN": 1, "SCHEDULED": 1}
    still_open = await api.mutate("reopenActivity", {"id": created["id"]}, "activity { state }", as_="sales1")
    assert [(e["code"], e["field"]) for e in still_open["errors"]] == [("INVALID_STATE", ["input", "id"])]


async def test_a_sent_email_cannot_be_reopened(api: Api) -> None:
    sent = (await api.ok("sendEmail", {"subject": "x", "to": [{"address": "a@b.test"}]}, "email { id }"))["email"]
    refused = await api.mutate("reopenActivity", {"id": sent["id"]}, "activity { state }")
    assert codes(refused) == ["INVALID_STATE"] and "sent email" in refused["errors"][0]["message"]
    stale = await api.mutate("reopenActivity", {"id": sent["id"], "expectedVersion": 7}, "activity { state }")
    assert codes(stale) == ["CONFLICT"]


async def test_reopen_needs_write(api: Api) -> None:
    created = await task(api, "Mine", as_="sales1")
    await api.ok("completeActivities", {"ids": [created["id"]]}, BULK, as_="sales1")
    refused = await api.mutate("reopenActivity", {"id": created["id"]}, "activity { state }", as_="sales2")
    assert codes(refused) == ["FORBIDDEN"]


# --- R-ACT-7: assign ----------------------------------------------------------------

async def test_assign_gives_activities_to_a_team_and_moves_the_timeline_owner(api: Api, db: Database, org: Org) -> None:
    from tests.support.client import gid

    acme = await account(api, "Acme")
    created = await task(api, "Hand over", regardingId=acme["id"])
    closed = await task(api, "Old", regardingId=acme["id"])
    await api.ok("completeActivities", {"ids": [closed["id"]]}, BULK, as_="sales1")
    payload = await api.ok("assignActivities", {"ids": [created["id"], closed["id"]],
                                                "ownerId": gid("Team", org.team_id)},
                           "results { ok activity { state version owner { ... on Team { name } } } }", as_="sales1")
    assert payload["results"] == [
        {"ok": True, "activity": {"state": "OPEN", "version": 2, "owner": {"name": "Inside Sales"}}},
        {"ok": True, "activity": {"state": "COMPLETED", "version": 3, "owner": {"name": "Inside Sales"}}},
    ]
    assert await timeline_owners(db, acme["id"]) == {org.team_id: 2}
    # Now the team owns them, a team mate may work on them.
    await api.ok("updateActivity", {"id": created["id"], "subject": "Taken"}, "activity { id }", as_="sales2")


async def test_assign_needs_assign_on_each_activity_and_an_active_owner(api: Api, db: Database, org: Org) -> None:
    """R-ACT-7 with the rule of changeOwner: the depth limits what you hand over, not to whom."""
    from tests.support.client import gid

    mine = await task(api, "Mine", as_="sales1")
    theirs = await task(api, "Theirs", as_="sales2")
    mixed = await api.ok("assignActivities", {"ids": [mine["id"], theirs["id"]], "ownerId": gid("User", org.users["sales3"])},
                         BULK, as_="sales1")
    assert [(r["ok"], r["error"] and r["error"]["code"]) for r in mixed["results"]] == [(True, None),
                                                                                      (False, "FORBIDDEN")]
    managed = await api.ok("assignActivities", {"ids": [theirs["id"]], "ownerId": gid("User", org.users["sales3"])},
                           "results { ok activity { owner { ... on User { fullName } } } }", as_="manager")
    assert managed["results"][0]["activity"]["owner"] == {"fullName": "Wes Westwood"}
    unknown = await api.mutate("assignActivities", {"ids": [theirs["id"]], "ownerId": gid("User", raw(mine["id"]))},
                               BULK, as_="manager")
    assert codes(unknown) == ["NOT_FOUND"]


async def test_assigning_to_the_current_owner_changes_nothing(api: Api, org: Org) -> None:
    from tests.support.client import gid

    created = await task(api, "Mine", as_="sales1")
    same = await api.ok("assignActivities", {"ids": [created["id"]], "ownerId": gid("User", org.users["sales1"])},
                        "results { ok activity { version } }", as_="sales1")
    assert same["results"] == [{"ok": True, "activity": {"version": 1}}]
