"""Message ids have one stored form and every sent email has one (R-MAIL-1, R-MAIL-2,
R-TRACK-2, R-TRACK-5): stored without angle brackets, accepted with or without them, so a
customer's reply (In-Reply-To `<id>`) to an email sent from Relate is matched."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from tests.support.client import Api
from tests.support.record_factories import account

EMAIL = "email { id messageId inReplyTo regarding { id } }"
TRACKED = "autoLinked email { id messageId inReplyTo regarding { id } }"


async def send(api: Api, **fields: Any) -> dict[str, Any]:
    values = {"subject": "Quote", "to": [{"address": "buyer@customer.example"}], **fields}
    return (await api.ok("sendEmail", values, EMAIL, as_="sales1"))["email"]  # type: ignore[no-any-return]


async def test_an_email_sent_at_once_has_a_message_id_without_brackets(api: Api) -> None:
    now = await send(api)
    assert now["messageId"] and not now["messageId"].startswith("<") and "@" in now["messageId"]
    later = await send(api, sendAt=(datetime.now(timezone.utc) + timedelta(days=1)).isoformat())
    assert later["messageId"] and not later["messageId"].startswith("<")
    assert now["messageId"] != later["messageId"]


async def test_a_message_id_is_stored_in_one_form_however_it_is_given(api: Api) -> None:
    bracketed = await send(api, messageId="<given@relate.test>", inReplyTo="<earlier@customer.example>")
    assert (bracketed["messageId"], bracketed["inReplyTo"]) == ("given@relate.test", "earlier@customer.example")
    # The same id given without brackets is the same message.
    again = await api.mutate("sendEmail", {"subject": "Quote", "to": [{"address": "a@b.test"}],
                                           "messageId": "given@relate.test"}, "email { id }", as_="sales1")
    assert [e["code"] for e in again["errors"]] == ["DUPLICATE"]


async def test_a_customers_reply_to_a_sent_email_is_matched(api: Api) -> None:
    company = await account(api, "Import Sports")
    sent = await send(api, regardingId=company["id"])
    reply = await api.mutate("trackEmail", {
        "messageId": "<reply-1@customer.example>", "inReplyTo": f"<{sent['messageId']}>", "subject": "Re: Quote",
        "from": "buyer@customer.example", "to": ["sales1@test.relate"], "sentOn": "2025-01-14T09:00:00Z",
    }, TRACKED, as_="sales1")
    assert reply["errors"] == [] and reply["autoLinked"] is True
    assert reply["email"]["regarding"] == {"id": company["id"]}
    assert reply["email"]["inReplyTo"] == sent["messageId"]
