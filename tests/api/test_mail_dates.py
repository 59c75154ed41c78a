"""Mail is dated by when it was sent or received, not when Relate heard of it (R-TRACK-1,
R-TL-1): `sentOn` on the email, and timelines place mail by it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from tests.support.client import Api
from tests.support.record_factories import account

TIMELINE = ("query($id: ID!) { timeline(recordId: $id, first: 20) { edges { node { "
            "... on Email { id subject } ... on Task { id subject } } } } }")


async def track(api: Api, message_id: str, subject: str, sent_on: datetime, regarding: str) -> dict[str, Any]:
    payload = await api.ok("trackEmail", {
        "messageId": message_id, "subject": subject, "from": "buyer@customer.example",
        "to": ["sales1@test.relate"], "sentOn": sent_on.isoformat(), "regardingId": regarding,
    }, "email { id sentOn createdOn }", as_="sales1")
    return payload["email"]  # type: ignore[no-any-return]


async def subjects_on(api: Api, record_id: str) -> list[str]:
    data = await api(TIMELINE, {"id": record_id}, as_="sales1")
    return [e["node"]["subject"] for e in data["timeline"]["edges"]]


async def test_a_tracked_email_sits_on_the_timeline_by_when_it_was_sent(api: Api) -> None:
    company = await account(api, "Import Sports")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    await track(api, "<yesterday@customer.example>", "Sent yesterday", now - timedelta(days=1), company["id"])
    await api.ok("createTask", {"subject": "Made now", "regardingId": company["id"]},
                 "task { id }", as_="sales1")
    old = await track(api, "<old@customer.example>", "Sent three days ago", now - timedelta(days=3), company["id"])
    assert datetime.fromisoformat(old["sentOn"]) == now - timedelta(days=3)
    assert datetime.fromisoformat(old["createdOn"]) > datetime.fromisoformat(old["sentOn"])
    # Newest first: the task (created now), then the mail by when it was sent.
    assert await subjects_on(api, company["id"]) == [
        "Made now", "Sent yesterday", "Sent three days ago"]


async def test_an_email_sent_from_relate_has_its_sent_time(api: Api) -> None:
    sent = (await api.ok("sendEmail", {"subject": "Quote", "to": [{"address": "buyer@customer.example"}]},
                         "email { sentOn createdOn state }", as_="sales1"))["email"]
    assert sent["state"] == "SENT" and sent["sentOn"] == sent["createdOn"]
    later = (await api.ok("sendEmail", {"subject": "Later", "to": [{"address": "buyer@customer.example"}],
                                        "sendAt": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()},
                          "email { sentOn state }", as_="sales1"))["email"]
    assert later == {"sentOn": None, "state": "PENDING_SEND"}
