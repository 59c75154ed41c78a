""""My activities" (R-VIEW-1): filters by owner, type, state, regarding and due range,
orderings with keyset cursors (due may be null), and counts under the same filter.
Read scope (R-SEC-1) holds for the list and the counts alike."""

from __future__ import annotations

from typing import Any

from tests.support.activity_factories import task
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import account

LIST = """
query($filter: ActivityFilter, $orderBy: [ActivityOrder!], $first: Int, $after: String, $last: Int, $before: String) {
  activities(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id subject due state type priority } }
  }
}"""
COUNTS = """
query($filter: ActivityFilter) {
  activityCounts(filter: $filter) { total byType { type count } byState { state count } }
}"""


async def listed(api: Api, as_: str = "sales1", **variables: Any) -> dict[str, Any]:
    return (await api(LIST, variables, as_=as_))["activities"]


async def subjects(api: Api, as_: str = "sales1", **variables: Any) -> list[str]:
    return [e["node"]["subject"] for e in (await listed(api, as_, **variables))["edges"]]


async def counted(api: Api, as_: str = "sales1", **variables: Any) -> dict[str, Any]:
    found = (await api(COUNTS, variables, as_=as_))["activityCounts"]
    return {"total": found["total"], "byType": {c["type"]: c["count"] for c in found["byType"]},
            "byState": {c["state"]: c["count"] for c in found["byState"]}}


async def error_code(api: Api, query: str, variables: dict[str, Any], as_: str = "sales1") -> tuple[str, Any]:
    body = await api.raw(query, variables, as_=as_)
    assert body["errors"], body
    return body["errors"][0]["extensions"]["code"], body["errors"][0]["extensions"].get("field")


async def test_owner_filter_me_by_default_my_teams_any_and_given_owners(api: Api, org: Org) -> None:
    await task(api, "Mine A", as_="sales1")
    await task(api, "Mine B", as_="sales1")
    await task(api, "Sasha's", as_="sales2")
    await task(api, "Team's", as_="sales1", ownerId=gid("Team", org.team_id))
    await task(api, "Wes's", as_="manager", ownerId=gid("User", org.users["sales3"]))
    assert sorted(await subjects(api)) == ["Mine A", "Mine B"]
    assert await subjects(api, filter={"owner": "ME"}) == await subjects(api)
    assert await subjects(api, filter={"owner": "MY_TEAMS"}) == ["Team's"]
    assert sorted(await subjects(api, filter={"owner": "ANY"})) == ["Mine A", "Mine B", "Sasha's", "Team's", "Wes's"]
    given = {"ownerIds": [gid("User", org.users["sales2"]), gid("User", org.users["sales3"])]}
    assert sorted(await subjects(api, filter=given)) == ["Sasha's", "Wes's"]
    assert (await listed(api, filter={"owner": "ANY"}))["totalCount"] == 5
    assert await subjects(api, "sales3", filter={"owner": "MY_TEAMS"}) == []
    both = {"filter": {"owner": "ANY", "ownerIds": [gid("User", org.users["sales2"])]}}
    assert await error_code(api, LIST, both) == ("VALIDATION", ["filter", "ownerIds"])
    assert (await error_code(api, LIST, {"filter": {"ownerIds": ["nope"]}}))[0] == "VALIDATION"


async def test_nothing_unreadable_is_listed_or_counted(api: Api) -> None:
    await task(api, "Mine", as_="sales1")
    assert await subjects(api, "norole", filter={"owner": "ANY"}) == []
    assert (await listed(api, "norole", filter={"owner": "ANY"}))["totalCount"] == 0
    assert await counted(api, "norole", filter={"owner": "ANY"}) == {"total": 0, "byType": {}, "byState": {}}


async def _mixed(api: Api) -> None:
    """One of each: open task, canceled task, completed call, sent email, scheduled appointment."""
    await task(api, "Open task")
    canceled = await task(api, "Canceled task")
    await api.ok("cancelActivities", {"ids": [canceled["id"]]}, "results { ok }", as_="sales1")
    await api.ok("logPhoneCall", {"subject": "Call", "phoneNumber": "+1 555 0100"}, "phoneCall { id }", as_="sales1")
    await api.ok("sendEmail", {"subject": "Email", "to": [{"address": "a@b.test"}]}, "email { id }", as_="sales1")
    await api.ok("createAppointment", {"subject": "Meeting", "start": "2031-01-01T10:00:00Z",
                                       "end": "2031-01-01T11:00:00Z"}, "appointment { id }", as_="sales1")


async def test_types_states_and_state_groups_with_the_same_counts(api: Api) -> None:
    await _mixed(api)
    assert sorted(await subjects(api, filter={"stateGroup": "OPEN"})) == ["Meeting", "Open task"]
    assert sorted(await subjects(api, filter={"stateGroup": "CLOSED"})) == ["Call", "Canceled task", "Email"]
    assert sorted(await subjects(api, filter={"stateGroup": "ALL"})) == sorted(await subjects(api))
    assert await subjects(api, filter={"states": ["SENT"]}) == ["Email"]
    assert await subjects(api, filter={"states": ["SENT"], "stateGroup": "OPEN"}) == []
    assert sorted(await subjects(api, filter={"types": ["PHONE_CALL", "EMAIL"]})) == ["Call", "Email"]

    assert await counted(api) == {
        "total": 5,
        "byType": {"TASK": 2, "PHONE_CALL": 1, "EMAIL": 1, "APPOINTMENT": 1},
        "byState": {"OPEN": 1, "CANCELED": 1, "COMPLETED": 1, "SENT": 1, "SCHEDULED": 1},
    }
    assert await counted(api, filter={"stateGroup": "CLOSED", "types": ["TASK", "EMAIL"]}) == {
        "total": 2, "byType": {"TASK": 1, "EMAIL": 1}, "byState": {"CANCELED": 1, "SENT": 1},
    }
    assert (await listed(api, filter={"stateGroup": "CLOSED", "types": ["TASK", "EMAIL"]}))["totalCount"] == 2


async def test_regarding_a_record_or_personal_only(api: Api) -> None:
    acme = await account(api, "Acme")
    beta = await account(api, "Beta")
    await task(api, "About Acme", regardingId=acme["id"])
    await task(api, "About Beta", regardingId=beta["id"])
    await task(api, "Personal reminder")
    assert await subjects(api, filter={"regarding": {"recordId": acme["id"]}}) == ["About Acme"]
    assert await subjects(api, filter={"regardingNone": True}) == ["Personal reminder"]
    assert (await counted(api, filter={"regardingNone": True}))["total"] == 1
    both = {"filter": {"regarding": {"recordId": acme["id"]}, "regardingNone": True}}
    assert await error_code(api, LIST, both) == ("VALIDATION", ["filter", "regardingNone"])
    assert await error_code(api, COUNTS, both) == ("VALIDATION", ["filter", "regardingNone"])


DUES = {"Third": "2031-01-03T09:00:00Z", "First": "2031-01-01T09:00:00Z", "Second": "2031-01-02T09:00:00Z"}


async def _dated(api: Api) -> None:
    for subject, due in DUES.items():
        await task(api, subject, due=due)
    await task(api, "Undated X")
    await task(api, "Undated Y")


async def test_due_range_is_half_open(api: Api) -> None:
    await _dated(api)
    window = {"dueAfter": "2031-01-01T09:00:00Z", "dueBefore": "2031-01-03T09:00:00Z"}
    assert await subjects(api, filter=window) == ["First", "Second"]
    assert await subjects(api, filter={"dueAfter": "2031-01-02T00:00:00Z"}) == ["Second", "Third"]
    assert (await counted(api, filter=window))["total"] == 2


async def test_ordering_by_due_puts_undated_ones_last_in_both_directions(api: Api) -> None:
    await _dated(api)
    ascending = await subjects(api)
    assert ascending[:3] == ["First", "Second", "Third"] and sorted(ascending[3:]) == ["Undated X", "Undated Y"]
    descending = await subjects(api, orderBy=[{"field": "DUE", "direction": "DESC"}])
    assert descending[:3] == ["Third", "Second", "First"] and sorted(descending[3:]) == ["Undated X", "Undated Y"]
    assert await subjects(api, orderBy=[{"field": "DUE"}]) == ascending


async def test_due_pages_walk_across_the_undated_ones_forwards_and_backwards(api: Api) -> None:
    await _dated(api)
    for order in ([{"field": "DUE"}], [{"field": "DUE", "direction": "DESC"}]):
        whole = await subjects(api, orderBy=order)
        walked: list[str] = []
        after = None
        while True:
            page = await listed(api, orderBy=order, first=2, after=after)
            walked += [e["node"]["subject"] for e in page["edges"]]
            assert page["totalCount"] == 5
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert walked == whole
        back: list[str] = []
        before = None
        while True:
            page = await listed(api, orderBy=order, last=2, before=before)
            back = [e["node"]["subject"] for e in page["edges"]] + back
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            before = page["pageInfo"]["startCursor"]
        assert back == whole


async def test_a_cursor_of_another_ordering_is_refused(api: Api) -> None:
    await _dated(api)
    page = await listed(api, first=1)
    other = {"orderBy": [{"field": "DUE", "direction": "DESC"}], "after": page["pageInfo"]["endCursor"]}
    assert await error_code(api, LIST, other) == ("VALIDATION", ["after"])
    assert (await error_code(api, LIST, {"after": "garbage"}))[0] == "VALIDATION"
    assert (await error_code(api, LIST, {"first": 501}))[0] == "VALIDATION"


async def test_ordering_by_priority_created_and_modified(api: Api) -> None:
    await task(api, "Low", priority="LOW")
    high = await task(api, "High", priority="HIGH")
    await task(api, "Normal")
    by_priority = await subjects(api, orderBy=[{"field": "PRIORITY", "direction": "DESC"}])
    assert by_priority == ["High", "Normal", "Low"]
    assert await subjects(api, orderBy=[{"field": "PRIORITY"}]) == ["Low", "Normal", "High"]
    assert await subjects(api, orderBy=[{"field": "CREATED_ON", "direction": "DESC"}]) == ["Normal", "High", "Low"]
    await api.ok("updateActivity", {"id": high["id"], "description": "touched"}, "activity { id }", as_="sales1")
    assert (await subjects(api, orderBy=[{"field": "MODIFIED_ON", "direction": "DESC"}]))[0] == "High"
    page = await listed(api, orderBy=[{"field": "PRIORITY", "direction": "DESC"}], first=1)
    rest = await listed(api, orderBy=[{"field": "PRIORITY", "direction": "DESC"}], first=5,
                        after=page["pageInfo"]["endCursor"])
    assert [e["node"]["subject"] for e in rest["edges"]] == ["Normal", "Low"]


async def test_completing_moves_an_activity_between_the_open_and_closed_lists(api: Api) -> None:
    created = await task(api, "Finish me")
    assert (await counted(api, filter={"stateGroup": "OPEN"}))["total"] == 1
    await api.ok("completeActivities", {"ids": [created["id"]]}, "results { ok }", as_="sales1")
    assert (await counted(api, filter={"stateGroup": "OPEN"}))["total"] == 0
    assert await subjects(api, filter={"stateGroup": "CLOSED"}) == ["Finish me"]
