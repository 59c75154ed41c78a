"""Custom field values on live events (R-QRY-2, R-LIVE-1): a change names the field and the
pushed record carries the new value."""

from __future__ import annotations

from tests.live.conftest import Connect, account_with_contact, live_cursor
from tests.support.client import Api

SUB = """subscription($id: ID!, $after: String) { recordChanged(id: $id, after: $after) {
    change changedFields record { id ... on Account { customField(name: "tier") {
        ... on ChoiceFieldValue { choice } } } } } }"""


async def test_a_custom_value_change_is_pushed_with_the_field_named(api: Api, connect: Connect) -> None:
    await api.ok("defineCustomField", {"recordType": "ACCOUNT", "name": "tier", "label": "Tier", "type": "CHOICE",
                                       "choices": ["Gold", "Silver"]}, "field { id }")
    account, _ = await account_with_contact(api)
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        op = await ws.subscribe(SUB, {"id": account, "after": after})
        await api.ok("updateAccount", {"id": account, "customFields": [{"name": "tier", "choice": "Gold"}]},
                     "account { id }")
        event = (await ws.next(op))["recordChanged"]
    assert event["changedFields"] == ["customFields.tier"]
    assert event["record"] == {"id": account, "customField": {"choice": "Gold"}}
