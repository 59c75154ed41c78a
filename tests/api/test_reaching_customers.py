"""Reaching customers from the work list (R-WL-3) with the contact rules: R-CALL-1 (number
choice, doNotPhone), R-MAIL-1 (no address, doNotEmail), R-MAIL-2 (sendAt on sendEmail and
from a step), R-SMS-1 (number rules, sending number, inbound replies)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from graph.db import Database
from tests.support.activity_factories import raw
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import contact, table_counts
from tests.support.work_list_factories import (
    ITEM,
    UP_NEXT,
    connect,
    lead,
    make_sequence,
    opportunity,
    work_list_events,
)

PARTIES = "parties { role address party { __typename ... on User { fullName } ... on Record { name } } }"
ACTIVITY = (f"activity {{ id __typename subject state statusReason regarding {{ id }} {PARTIES} "
            "... on PhoneCall { phoneNumber direction } ... on TextMessage { phoneNumber direction description } "
            "... on Email { sendAt bodyHtml } ... on Appointment { onlineMeetingUrl } }")
REACHED = f"{ACTIVITY} step {{ {ITEM} }} next {{ {ITEM} }} {UP_NEXT}"


def later(days: int) -> datetime:
    """A send time `days` from now, to the second (scheduling is relative to the real clock)."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def step_on(api: Api, record: str, steps: list[dict[str, Any]], name: str) -> str:
    """Connect a new sequence of `steps` to `record`; the current item's id."""
    sequence = await make_sequence(api, name, steps)
    return str((await connect(api, sequence["id"], record))["current"]["id"])


CALL_STEPS = [{"kind": "PHONE_CALL", "subject": "Discovery call"}, {"kind": "TASK", "subject": "Write up"}]


# --- R-CALL-1 ------------------------------------------------------------------------------

async def test_a_call_from_a_step_records_subject_from_to_number_and_direction(api: Api, db: Database,
                                                                              org: Org) -> None:
    record = await lead(api, businessPhone="+1 555 0101", mobilePhone="+1 555 0199")
    step = await step_on(api, record, CALL_STEPS, "Calls")
    called = await api.ok("callFromStep", {"id": step}, REACHED, as_="sales1")
    call = called["activity"]
    assert call["id"] == step and call["__typename"] == "PhoneCall" and call["state"] == "OPEN"
    assert (call["subject"], call["phoneNumber"], call["direction"]) == ("Discovery call", "+1 555 0101", "OUTGOING")
    assert call["regarding"] == {"id": record}
    assert [(p["role"], p["party"]) for p in call["parties"]] == [
        ("FROM", {"__typename": "User", "fullName": "Sam Seller"}),
        ("TO", {"__typename": "Lead", "name": "Chris Preston"})]
    assert (await work_list_events(db, org.users["sales1"]))[-1] == ("CALLED", str(raw(record)))
    # The call stays open for notes; completing the step closes it as made.
    done = await api.ok("completeStep", {"id": step}, "step { activity { state } } next { subject }", as_="sales1")
    assert done["step"]["activity"]["state"] == "COMPLETED" and done["next"]["subject"] == "Write up"


async def test_a_contact_with_no_business_phone_is_called_on_the_mobile(api: Api) -> None:
    record = await lead(api, mobilePhone="+1 555 0177")
    step = await step_on(api, record, CALL_STEPS, "Mobile")
    called = await api.ok("callFromStep", {"id": step}, ACTIVITY, as_="sales1")
    assert called["activity"]["phoneNumber"] == "+1 555 0177"


async def test_with_neither_number_the_call_asks_for_one_and_writes_nothing(api: Api, db: Database) -> None:
    record = await lead(api)
    step = await step_on(api, record, CALL_STEPS, "No number")
    before = await table_counts(db)
    refused = await api.mutate("callFromStep", {"id": step}, ACTIVITY, as_="sales1")
    assert codes(refused) == ["MISSING_CONTACT_POINT"] and refused["errors"][0]["field"] == ["input", "phoneNumber"]
    assert "Chris Preston" in refused["errors"][0]["message"]
    assert await table_counts(db) == before
    given = await api.ok("callFromStep", {"id": step, "phoneNumber": "+44 20 7946 0000"}, ACTIVITY, as_="sales1")
    assert given["activity"]["phoneNumber"] == "+44 20 7946 0000"
    bad = await api.mutate("callFromStep", {"id": step, "phoneNumber": "call me"}, ACTIVITY, as_="sales1")
    assert codes(bad) == ["VALIDATION"]


async def test_do_not_phone_on_the_deals_contact_needs_confirmation(api: Api) -> None:
    person = await contact(api, "Dana", "Scully", businessPhone="+1 555 0123", doNotPhone=True, as_="sales1")
    deal = await opportunity(api, "Fleet", customerId=person["id"])
    step = await step_on(api, deal, CALL_STEPS, "Deal calls")
    warned = await api.mutate("callFromStep", {"id": step}, ACTIVITY, as_="sales1")
    assert codes(warned) == ["CONFIRMATION_REQUIRED"] and "Dana Scully" in warned["errors"][0]["message"]
    called = await api.ok("callFromStep", {"id": step, "acknowledgeWarnings": True}, ACTIVITY, as_="sales1")
    assert called["activity"]["parties"][1]["party"] == {"__typename": "Contact", "name": "Dana Scully"}
    assert called["activity"]["phoneNumber"] == "+1 555 0123"


async def test_calling_from_a_task_creates_an_open_call_linked_to_the_record(api: Api) -> None:
    record = await lead(api, businessPhone="+1 555 0101")
    step = await step_on(api, record, [{"kind": "TASK", "subject": "Check in"}], "Tasks")
    called = await api.ok("callFromStep", {"id": step}, REACHED, as_="sales1")
    call = called["activity"]
    assert call["id"] != step and call["__typename"] == "PhoneCall" and call["state"] == "OPEN"
    assert call["regarding"] == {"id": record} and call["subject"] == "Check in"
    assert called["step"]["state"] == "OPEN"  # the task step itself is not done by calling
    assert [m["id"] for m in called["upNext"]["manual"]] == [call["id"]]


# --- R-MAIL-1, R-MAIL-2 ------------------------------------------------------------------------

EMAIL_STEPS = [{"kind": "EMAIL", "subject": "Hello"}, {"kind": "WAIT", "waitDays": 1},
               {"kind": "TASK", "subject": "Follow up"}]


async def test_emailing_from_a_step_sends_its_draft_and_the_next_step_starts(api: Api) -> None:
    record = await lead(api, email="chris@example.test")
    step = await step_on(api, record, EMAIL_STEPS, "Mail")
    sent = await api.ok("emailFromStep", {"id": step, "bodyHtml": "<p>Hi Chris</p>"}, REACHED, as_="sales1")
    assert sent["activity"]["id"] == step and sent["activity"]["state"] == "SENT"
    assert sent["activity"]["bodyHtml"] == "<p>Hi Chris</p>" and sent["activity"]["subject"] == "Hello"
    assert [p["role"] for p in sent["activity"]["parties"]] == ["FROM", "TO"]
    assert sent["step"]["state"] == "COMPLETED" and sent["next"]["subject"] == "Follow up"


async def test_emailing_someone_without_an_address_names_them(api: Api, db: Database) -> None:
    record = await lead(api)
    step = await step_on(api, record, EMAIL_STEPS, "No mail")
    before = await table_counts(db)
    refused = await api.mutate("emailFromStep", {"id": step}, ACTIVITY, as_="sales1")
    assert codes(refused) == ["MISSING_CONTACT_POINT"] and "Chris Preston" in refused["errors"][0]["message"]
    assert await table_counts(db) == before


async def test_send_email_warns_for_no_address_and_do_not_email(api: Api) -> None:
    nobody = await contact(api, "No", "Address")
    refused = await api.mutate("sendEmail", {"subject": "Hi", "to": [{"partyId": nobody["id"]}]}, "email { id }")
    assert codes(refused) == ["MISSING_CONTACT_POINT"] and refused["errors"][0]["field"] == ["input", "to", "0"]
    assert "No Address" in refused["errors"][0]["message"]
    shy = await contact(api, "Shy", "Person", email="shy@example.test", doNotEmail=True)
    warned = await api.mutate("sendEmail", {"subject": "Hi", "to": [{"partyId": shy["id"]}]}, "email { id }")
    assert codes(warned) == ["CONFIRMATION_REQUIRED"] and "Shy Person" in warned["errors"][0]["message"]
    sent = await api.ok("sendEmail", {"subject": "Hi", "to": [{"partyId": shy["id"]}], "acknowledgeWarnings": True},
                        "email { state }")
    assert sent["email"]["state"] == "SENT"


async def test_a_scheduled_email_is_pending_on_the_timeline_until_its_time(api: Api) -> None:
    person = await contact(api, "Chris", "Preston", email="chris@example.test")
    when = later(30)
    scheduled = await api.ok("sendEmail", {"subject": "Later", "to": [{"partyId": person["id"]}],
                                           "regardingId": person["id"], "sendAt": when.isoformat()},
                             "email { id state statusReason sendAt actualEnd }")
    email = scheduled["email"]
    assert (email["state"], email["statusReason"], email["sendAt"], email["actualEnd"]) == (
        "PENDING_SEND", "PENDING_SEND", when.isoformat(), None)
    timeline = await api("query($id: ID!) { timeline(recordId: $id) { edges { node { ... on Email { id state } } } } }",
                         {"id": person["id"]})
    assert timeline["timeline"]["edges"] == [{"node": {"id": email["id"], "state": "PENDING_SEND"}}]
    past = await api.mutate("sendEmail", {"subject": "Past", "to": [{"address": "a@b.test"}],
                                          "sendAt": "2001-01-01T09:00:00Z"}, "email { id }")
    assert codes(past) == ["VALIDATION"] and past["errors"][0]["field"] == ["input", "sendAt"]
    too_far = await api.mutate("sendEmail", {"subject": "Far", "to": [{"address": "a@b.test"}],
                                             "sendAt": later(400).isoformat()}, "email { id }")
    assert codes(too_far) == ["VALIDATION"]


async def test_scheduling_from_a_step_closes_the_step_and_leaves_the_email_pending(api: Api) -> None:
    record = await lead(api, email="chris@example.test")
    step = await step_on(api, record, EMAIL_STEPS, "Scheduled")
    when = later(2)
    sent = await api.ok("emailFromStep", {"id": step, "sendAt": when.isoformat()}, REACHED, as_="sales1")
    assert sent["activity"]["state"] == "PENDING_SEND" and sent["activity"]["sendAt"] == when.isoformat()
    assert sent["step"]["state"] == "COMPLETED" and sent["upNext"]["current"]["subject"] == "Follow up"


async def test_emailing_from_a_task_sends_a_new_email_about_the_record(api: Api) -> None:
    record = await lead(api, email="chris@example.test")
    step = await step_on(api, record, [{"kind": "TASK", "subject": "Brochure"}], "Task mail")
    sent = await api.ok("emailFromStep", {"id": step, "to": [{"address": "buyer@example.test"}]}, REACHED,
                        as_="sales1")
    assert sent["activity"]["id"] != step and sent["activity"]["state"] == "SENT"
    assert sent["activity"]["regarding"] == {"id": record}
    assert [(p["role"], p["address"]) for p in sent["activity"]["parties"]] == [("FROM", None),
                                                                                ("TO", "buyer@example.test")]
    assert sent["step"]["state"] == "OPEN"


# --- R-SMS-1 ------------------------------------------------------------------------------

TEXT_STEPS = [{"kind": "TEXT_MESSAGE", "subject": "Quick text"}, {"kind": "TASK", "subject": "Wait for answer"}]


async def test_a_text_from_a_step_goes_to_the_business_number_and_finishes_the_step(api: Api) -> None:
    record = await lead(api, businessPhone="+1 555 0101", mobilePhone="+1 555 0199")
    step = await step_on(api, record, TEXT_STEPS, "Texts")
    sent = await api.ok("textFromStep", {"id": step, "text": "Are you free at 10?"}, REACHED, as_="sales1")
    text = sent["activity"]
    assert (text["state"], text["statusReason"], text["direction"], text["phoneNumber"]) == (
        "COMPLETED", "SENT", "OUTGOING", "+1 555 0101")
    assert text["description"] == "Are you free at 10?"
    assert sent["step"]["state"] == "COMPLETED" and sent["next"]["subject"] == "Wait for answer"


async def test_the_caller_picks_the_numbers_and_a_missing_number_is_refused(api: Api) -> None:
    record = await lead(api, mobilePhone="+1 555 0199")
    step = await step_on(api, record, TEXT_STEPS, "Picked")
    sent = await api.ok("textFromStep", {"id": step, "text": "Hi", "phoneNumber": "+1 555 0142",
                                         "fromNumber": "+1 555 0900"}, ACTIVITY, as_="sales1")
    assert sent["activity"]["phoneNumber"] == "+1 555 0142"
    assert sent["activity"]["parties"][0] == {"role": "FROM", "address": "+1 555 0900", "party": None}
    nobody = await lead(api, "Nonumber")
    other = await step_on(api, nobody, TEXT_STEPS, "None")
    refused = await api.mutate("textFromStep", {"id": other, "text": "Hi"}, ACTIVITY, as_="sales1")
    assert codes(refused) == ["MISSING_CONTACT_POINT"]
    empty = await api.mutate("textFromStep", {"id": other, "text": " ", "phoneNumber": "+1 555 0100"}, ACTIVITY,
                             as_="sales1")
    assert codes(empty) == ["VALIDATION"] and empty["errors"][0]["field"] == ["input", "text"]


async def test_an_inbound_reply_lands_on_the_same_conversation_and_timeline(api: Api, db: Database,
                                                                           org: Org) -> None:
    record = await lead(api, businessPhone="+1 555 0101")
    step = await step_on(api, record, TEXT_STEPS, "Replies")
    await api.ok("textFromStep", {"id": step, "text": "Are you free at 10?"}, ACTIVITY, as_="sales1")
    reply = await api.ok("receiveTextMessage", {"fromNumber": "+15550101", "text": "Yes, see you then"},
                         f"textMessage {{ id state statusReason direction phoneNumber regarding {{ id }} "
                         f"owner {{ ... on User {{ fullName }} }} {PARTIES} }} inReplyTo {{ id }}", as_="admin")
    message = reply["textMessage"]
    assert reply["inReplyTo"] == {"id": step}
    assert (message["state"], message["statusReason"], message["direction"]) == ("COMPLETED", "RECEIVED", "INCOMING")
    assert message["regarding"] == {"id": record} and message["owner"] == {"fullName": "Sam Seller"}
    assert [(p["role"], p["party"]) for p in message["parties"]] == [
        ("FROM", {"__typename": "Lead", "name": "Chris Preston"}),
        ("TO", {"__typename": "User", "fullName": "Sam Seller"})]
    timeline = await api("query($id: ID!) { timeline(recordId: $id) { edges { node { ... on Activity { id } } } } }",
                         {"id": record}, as_="sales1")
    assert message["id"] in [e["node"]["id"] for e in timeline["timeline"]["edges"]]
    assert (await work_list_events(db, org.users["sales1"]))[-1] == ("TEXT_RECEIVED", str(raw(record)))
    stranger = await api.ok("receiveTextMessage", {"fromNumber": "+1 555 9999", "text": "Who is this?"},
                            "textMessage { regarding { id } } inReplyTo { id }", as_="sales2")
    assert stranger == {"errors": [], "textMessage": {"regarding": None}, "inReplyTo": None}
    bad = await api.mutate("receiveTextMessage", {"fromNumber": "nobody", "text": "x"}, "textMessage { id }")
    assert codes(bad) == ["VALIDATION"] and bad["errors"][0]["field"] == ["input", "fromNumber"]


# --- meetings ------------------------------------------------------------------------------

async def test_joining_a_meeting_opens_its_appointment_and_other_items_are_not_meetings(api: Api) -> None:
    record = await lead(api)
    step = await step_on(api, record, [{"kind": "MEETING", "subject": "Demo"}], "Meetings")
    joined = await api.ok("joinMeetingFromStep", {"id": step}, ACTIVITY, as_="sales1")
    assert joined["activity"]["__typename"] == "Appointment" and joined["activity"]["id"] == step
    task = (await api.ok("createTask", {"subject": "x", "regardingId": record, "due": "2031-01-01T00:00:00Z"},
                         "task { id }", as_="sales1"))["task"]["id"]
    refused = await api.mutate("joinMeetingFromStep", {"id": task}, ACTIVITY, as_="sales1")
    assert codes(refused) == ["VALIDATION"] and refused["errors"][0]["field"] == ["input", "id"]
