"""A task on a contact shows the basics: regarding, owner, parties, node lookup."""

from __future__ import annotations

from tests.support.client import Api


async def test_create_task_regarding_a_contact(api: Api) -> None:
    account = (await api.ok("createAccount", {"name": "Import Sports"}, "account { id }"))["account"]
    contact = (await api.ok("createContact", {"firstName": "Chris", "lastName": "Preston", "accountId": account["id"]},
                            "contact { id }"))["contact"]
    task = (await api.ok("createTask", {"subject": "Call back", "regardingId": contact["id"],
                                        "parties": [{"role": "TO", "partyId": contact["id"]}]},
                         "task { id state isPersonal regarding { name } owner { ... on User { fullName } } "
                         "parties { role party { ... on Contact { fullName } } } }", as_="sales1"))["task"]
    assert task["state"] == "OPEN" and task["isPersonal"] is False
    assert task["regarding"] == {"name": "Chris Preston"}
    assert task["owner"] == {"fullName": "Sam Seller"}
    assert task["parties"] == [{"role": "TO", "party": {"fullName": "Chris Preston"}}]
    found = await api("query($id: ID!) { node(id: $id) { __typename ... on Task { subject } } }", {"id": task["id"]})
    assert found["node"] == {"__typename": "Task", "subject": "Call back"}
