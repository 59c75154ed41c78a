"""`sendTextMessage` takes the number it is sent from, and a text says which number sent
it (R-SMS-1), as `textFromStep` always could."""

from __future__ import annotations

from typing import Any

from graph.db import Database
from tests.support.client import Api
from tests.support.record_factories import contact, table_counts

TEXT = "textMessage { id direction phoneNumber fromNumber parties { role address } }"


async def send(api: Api, **fields: Any) -> dict[str, Any]:
    return await api.mutate("sendTextMessage", {"text": "Running late", **fields}, TEXT, as_="sales1")


async def test_an_outgoing_text_is_sent_from_the_number_chosen(api: Api) -> None:
    chris = await contact(api, "Chris", "Preston", mobilePhone="+1 555 0199")
    payload = await send(api, to=[{"partyId": chris["id"]}], fromNumber=" +1 555 0300 ")
    assert payload["errors"] == []
    sms = payload["textMessage"]
    assert (sms["direction"], sms["phoneNumber"], sms["fromNumber"]) == ("OUTGOING", "+1 555 0199", "+1 555 0300")
    assert {"role": "FROM", "address": "+1 555 0300"} in sms["parties"]


async def test_a_text_says_which_number_sent_it(api: Api) -> None:
    default = (await send(api, phoneNumber="+1 555 0100"))["textMessage"]
    assert default["fromNumber"] is None  # from the sender's own default number
    incoming = (await send(api, phoneNumber="+1 555 0177", direction="INCOMING"))["textMessage"]
    assert incoming["fromNumber"] == "+1 555 0177"


async def test_a_bad_sending_number_is_refused_at_from_number_and_changes_nothing(api: Api, db: Database) -> None:
    before = await table_counts(db)
    for fields in ({"fromNumber": "not a number"},
                   {"fromNumber": "+1 555 0300", "from": {"address": "+1 555 0301"}},
                   {"fromNumber": "+1 555 0300", "direction": "INCOMING"}):
        payload = await send(api, phoneNumber="+1 555 0100", **fields)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", ["input", "fromNumber"])], fields
    assert await table_counts(db) == before
