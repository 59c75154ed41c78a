"""Timelines over the API: R-TL-1 (page, filters, counts), R-TL-2 (roll-up), R-NOTE-1 on
timelines, R-ACT-3/R-ACT-6 state changes reflected in entries and counts."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from bench.datagen import TimelineShape, load_timeline
from graph.db import Database
from tests.support.client import Api, gid
from tests.support.org import Org

PAGE = """
query($id: ID!, $filter: TimelineFilter, $rollup: RollupType! = RELATED, $first: Int, $after: String,
      $last: Int, $before: String) {
  timeline(recordId: $id, filter: $filter, rollup: $rollup, first: $first, after: $after, last: $last,
           before: $before) {
    totalCount
    counts { total isExact byType { type count } byState { state count } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      cursor entryType relation date
      node {
        __typename
        ... on Activity { id subject description state owner { ... on User { id } ... on Team { id } } }
        ... on Note { id title text owner { ... on User { id } } }
      }
    }
  }
}"""


async def timeline(api: Api, record_id: str, *, as_: str = "admin", **variables: Any) -> dict[str, Any]:
    data = await api(PAGE, {"id": record_id, **variables}, as_=as_)
    return data["timeline"]  # type: ignore[no-any-return]


async def walk(api: Api, record_id: str, *, as_: str = "admin", first: int = 50, **variables: Any) -> list[dict[str, Any]]:
    """Every edge, page by page, following `endCursor`."""
    edges: list[dict[str, Any]] = []
    after = None
    for _ in range(200):
        page = await timeline(api, record_id, as_=as_, first=first, after=after, **variables)
        edges.extend(page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return edges
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the timeline never ended")


def ids(edges: list[dict[str, Any]]) -> list[str]:
    return [e["node"]["id"] for e in edges]


def by_type(page: dict[str, Any]) -> dict[str, int]:
    return {c["type"]: c["count"] for c in page["counts"]["byType"]}


def by_state(page: dict[str, Any]) -> dict[str, int]:
    return {c["state"]: c["count"] for c in page["counts"]["byState"]}


async def account(api: Api, name: str, **fields: Any) -> str:
    return (await api.ok("createAccount", {"name": name, **fields}, "account { id }"))["account"]["id"]


async def contact(api: Api, first: str, last: str, account_id: str | None = None) -> str:
    values = {"firstName": first, "lastName": last, "email": f"{first.lower()}@example.test",
              "businessPhone": "+1 555 0101", "acknowledgeWarnings": True}  # one switchboard number for all
    if account_id:
        values["accountId"] = account_id
    return (await api.ok("createContact", values, "contact { id }"))["contact"]["id"]


async def task(api: Api, subject: str, regarding: str | None = None, *, as_: str = "admin",
               description: str | None = None, parties: list[dict[str, Any]] | None = None) -> str:
    values: dict[str, Any] = {"subject": subject, "description": description, "parties": parties or []}
    if regarding:
        values["regardingId"] = regarding
    return (await api.ok("createTask", values, "task { id }", as_=as_))["task"]["id"]


async def email(api: Api, subject: str, to: str, regarding: str | None = None, *, as_: str = "admin") -> str:
    values: dict[str, Any] = {"subject": subject, "to": [{"partyId": to}]}
    if regarding:
        values["regardingId"] = regarding
    return (await api.ok("sendEmail", values, "email { id }", as_=as_))["email"]["id"]


async def note(api: Api, title: str, *, record: str | None = None, activity: str | None = None,
               text: str | None = None, as_: str = "admin") -> str:
    values = {"title": title, "text": text, "recordId": record, "activityId": activity}
    return (await api.ok("addNote", values, "note { id }", as_=as_))["note"]["id"]


async def bulk(api: Api, name: str, activity_ids: list[str], **extra: Any) -> None:
    payload = await api.ok(name, {"ids": activity_ids, **extra}, "results { ok error { message } }")
    assert all(r["ok"] for r in payload["results"]), payload


# --- R-TL-2: roll-up --------------------------------------------------------------------


async def test_r_tl_2_a_task_about_chris_shows_on_his_accounts_timeline_without_a_link(api: Api) -> None:
    import_sports = await account(api, "Import Sports")
    chris = await contact(api, "Chris", "Preston", import_sports)
    call_back = await task(api, "Call Chris back", chris, as_="sales1")

    on_chris = await timeline(api, chris)
    on_account = await timeline(api, import_sports)
    assert [(e["node"]["id"], e["relation"], e["entryType"]) for e in on_chris["edges"]] == [(call_back, "DIRECT", "TASK")]
    assert [(e["node"]["id"], e["relation"]) for e in on_account["edges"]] == [(call_back, "RELATED")]
    assert on_account["totalCount"] == 1 and by_type(on_account) == {"TASK": 1}
    # The task names only Chris: it is not linked to the account.
    found = await api("query($id: ID!) { node(id: $id) { ... on Task { regarding { id } parties { role } } } }",
                      {"id": call_back})
    assert found["node"] == {"regarding": {"id": chris}, "parties": []}
    # NONE shows only what is about the account itself.
    assert (await timeline(api, import_sports, rollup="NONE"))["edges"] == []


async def test_r_tl_2_an_email_to_a_contact_shows_on_the_contact_and_its_account(api: Api) -> None:
    acme = await account(api, "Acme")
    other = await account(api, "Other Co")
    dana = await contact(api, "Dana", "Scully", acme)
    sent = await email(api, "Proposal", to=dana, regarding=other, as_="sales2")

    on_dana = await timeline(api, dana)
    assert [(e["node"]["id"], e["relation"], e["entryType"]) for e in on_dana["edges"]] == [(sent, "DIRECT", "EMAIL")]
    on_acme = await timeline(api, acme)
    assert [(e["node"]["id"], e["relation"]) for e in on_acme["edges"]] == [(sent, "RELATED")]
    assert by_state(on_acme) == {"SENT": 1} and by_type(on_acme) == {"EMAIL": 1}
    # The regarding record shows it too, directly; a contact party never makes it RELATED there.
    assert [(e["node"]["id"], e["relation"]) for e in (await timeline(api, other))["edges"]] == [(sent, "DIRECT")]


async def test_r_tl_2_moving_a_contact_moves_its_rolled_up_history(api: Api) -> None:
    first, second, third = await account(api, "First"), await account(api, "Second"), await account(api, "Third")
    chris = await contact(api, "Chris", "Preston", first)
    t1 = await task(api, "Visit", chris)
    t2 = await task(api, "Follow up", chris)
    mail = await email(api, "Thanks", to=chris)
    own = await task(api, "Account review", first)

    assert set(ids(await walk(api, first))) == {t1, t2, mail, own}
    await api.ok("updateContact", {"id": chris, "accountId": second}, "contact { id }")
    on_first = await timeline(api, first)
    on_second = await timeline(api, second)
    assert ids(on_first["edges"]) == [own] and on_first["totalCount"] == 1 and by_type(on_first) == {"TASK": 1}
    assert set(ids(on_second["edges"])) == {t1, t2, mail}
    assert on_second["totalCount"] == 3 and by_type(on_second) == {"TASK": 2, "EMAIL": 1}
    assert {e["relation"] for e in on_second["edges"]} == {"RELATED"}

    await api.ok("updateContact", {"id": chris, "accountId": None}, "contact { id }")
    emptied = await timeline(api, second)
    assert emptied["edges"] == [] and emptied["totalCount"] == 0 and emptied["counts"]["byType"] == []
    await api.ok("addContactsToAccount", {"accountId": third, "contactIds": [chris]}, "account { id }")
    on_third = await timeline(api, third)
    assert set(ids(on_third["edges"])) == {t1, t2, mail} and on_third["totalCount"] == 3
    assert by_state(on_third) == {"OPEN": 2, "SENT": 1}
    # Chris's own timeline never changed.
    assert set(ids(await walk(api, chris))) == {t1, t2, mail}


async def test_r_tl_2_rollup_none_related_and_extended(api: Api) -> None:
    parent = await account(api, "Parent")
    child = await account(api, "Child", parentAccountId=parent)
    grandchild = await account(api, "Grandchild", parentAccountId=child)
    stranger = await account(api, "Stranger")
    parent_person = await contact(api, "Pat", "Parent", parent)
    child_person = await contact(api, "Cory", "Child", child)

    on_parent = await task(api, "about parent", parent)
    on_parent_person = await task(api, "about parent's contact", parent_person)
    on_child = await task(api, "about child", child)
    on_child_person = await task(api, "about child's contact", child_person)
    on_grandchild = await task(api, "about grandchild", grandchild)
    # About the child's contact and naming the parent as a party: shown on both accounts.
    shared = await task(api, "shared", child_person, parties=[{"role": "TO", "partyId": parent}])
    await task(api, "elsewhere", stranger)

    none = await walk(api, parent, rollup="NONE")
    assert ids(none) == [shared, on_parent]
    related = await walk(api, parent, rollup="RELATED")
    assert ids(related) == [shared, on_parent_person, on_parent]
    assert [e["relation"] for e in related] == ["DIRECT", "RELATED", "DIRECT"]
    extended = await walk(api, parent, rollup="EXTENDED", first=2)
    assert ids(extended) == [shared, on_grandchild, on_child_person, on_child, on_parent_person, on_parent]
    assert [e["relation"] for e in extended] == ["DIRECT", "RELATED", "RELATED", "RELATED", "RELATED", "DIRECT"]
    narrowed = await timeline(api, parent, rollup="EXTENDED", filter={"text": "CHILD"})
    assert ids(narrowed["edges"]) == [on_grandchild, on_child_person, on_child] and narrowed["totalCount"] == 3
    assert ids((await timeline(api, parent, rollup="EXTENDED", last=2))["edges"]) == [on_parent_person, on_parent]
    page = await timeline(api, parent, rollup="EXTENDED")
    assert page["totalCount"] == 6 and page["counts"]["isExact"] is True and by_type(page) == {"TASK": 6}
    assert (await timeline(api, parent, rollup="NONE"))["totalCount"] == 2
    assert (await timeline(api, parent, rollup="RELATED"))["totalCount"] == 3

    assert ids(await walk(api, child, rollup="EXTENDED")) == [shared, on_grandchild, on_child_person, on_child]
    # A contact has no tree below it: EXTENDED is RELATED.
    assert ids(await walk(api, child_person, rollup="EXTENDED")) == ids(await walk(api, child_person)) == [
        shared, on_child_person]


# --- R-NOTE-1: notes on timelines ---------------------------------------------------------


async def test_r_note_1_a_note_on_an_activity_shows_where_the_activity_shows(api: Api) -> None:
    acme = await account(api, "Acme")
    initech = await account(api, "Initech")
    chris = await contact(api, "Chris", "Preston", acme)
    dana = await contact(api, "Dana", "Scully", initech)
    call = await task(api, "Call Chris", chris)
    voicemail = await note(api, "Left a voicemail", activity=call)
    on_account = await note(api, "Budget approved", record=acme)

    on_chris = await timeline(api, chris)
    assert [(e["node"]["__typename"], e["node"]["id"], e["relation"]) for e in on_chris["edges"]] == [
        ("Note", voicemail, "DIRECT"), ("Task", call, "DIRECT")]
    assert by_type(on_chris) == {"NOTE": 1, "TASK": 1} and by_state(on_chris) == {"OPEN": 1}
    acme_page = await timeline(api, acme)
    assert ids(acme_page["edges"]) == [on_account, voicemail, call]
    assert acme_page["totalCount"] == 3 and by_type(acme_page) == {"NOTE": 2, "TASK": 1}
    notes_only = await timeline(api, acme, filter={"types": ["NOTE"]})
    assert ids(notes_only["edges"]) == [on_account, voicemail] and notes_only["totalCount"] == 2
    # A state filter leaves notes out: they have no state.
    assert ids((await timeline(api, acme, filter={"states": ["OPEN"]}))["edges"]) == [call]

    # The activity now concerns Dana: its note follows it to Dana and Initech.
    await api.ok("updateActivity", {"id": call, "regardingId": dana}, "activity { id }")
    assert ids((await timeline(api, acme))["edges"]) == [on_account]
    assert ids((await timeline(api, chris))["edges"]) == []
    assert ids((await timeline(api, initech))["edges"]) == [voicemail, call]
    assert by_type(await timeline(api, initech)) == {"NOTE": 1, "TASK": 1}


# --- R-ACT-3, R-ACT-6: state changes reach entries and counts ------------------------------


async def test_r_act_6_completing_and_canceling_change_states_on_timelines_and_counts(api: Api) -> None:
    acme = await account(api, "Acme")
    chris = await contact(api, "Chris", "Preston", acme)
    done, dropped, pending = [await task(api, s, chris) for s in ("done", "dropped", "pending")]
    before = await timeline(api, acme)
    assert by_state(before) == {"OPEN": 3}

    await bulk(api, "completeActivities", [done], note={"title": "Went well"})
    await bulk(api, "cancelActivities", [dropped])
    for record in (chris, acme):
        page = await timeline(api, record)
        states = {e["node"]["id"]: e["node"]["state"] for e in page["edges"] if e["entryType"] == "TASK"}
        assert states == {done: "COMPLETED", dropped: "CANCELED", pending: "OPEN"}
        assert by_state(page) == {"COMPLETED": 1, "CANCELED": 1, "OPEN": 1}
        # The completion note shows beside the tasks (R-ACT-6, R-NOTE-1).
        assert by_type(page) == {"TASK": 3, "NOTE": 1} and page["totalCount"] == 4
    open_only = await timeline(api, acme, filter={"states": ["OPEN"]})
    assert ids(open_only["edges"]) == [pending] and open_only["totalCount"] == 1

    await api.ok("reopenActivity", {"id": done}, "activity { id }")
    assert by_state(await timeline(api, acme)) == {"OPEN": 2, "CANCELED": 1}


# --- R-TL-1: filters and counts -------------------------------------------------------------


Edge = dict[str, Any]


def _text_of(edge: Edge) -> str:
    node = edge["node"]
    return " ".join(filter(None, (node.get("subject"), node.get("description"), node.get("title"), node.get("text"))))


async def _mixed_timeline(api: Api, org: Org) -> tuple[str, list[Edge]]:
    acme = await account(api, "Acme")
    chris = await contact(api, "Chris", "Preston", acme)
    dana = await contact(api, "Dana", "Scully", acme)
    made = [
        await task(api, "Quote for 50% discount", chris, as_="sales1"),
        await task(api, "Quote for 500 units", dana, as_="sales1", description="big order"),
        await email(api, "Your QUOTE", to=chris, as_="sales2"),
        await task(api, "Site visit", acme, as_="sales2", description="bring the quote"),
        await email(api, "Invoice", to=dana, regarding=acme, as_="manager"),
    ]
    call = (await api.ok("logPhoneCall", {"subject": "Called about pricing", "to": [{"partyId": dana}]},
                         "phoneCall { id }", as_="sales1"))["phoneCall"]["id"]
    start = datetime.now().astimezone() + timedelta(days=2)
    meeting = (await api.ok("createAppointment", {
        "subject": "Kick-off", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(),
        "regardingId": acme, "requiredAttendees": [{"partyId": chris}]}, "appointment { id }", as_="manager"))
    await note(api, "Pricing note", record=acme, text="they want a quote", as_="sales2")
    await note(api, "Met at fair", activity=made[0], as_="sales1")
    await bulk(api, "completeActivities", [made[0], meeting["appointment"]["id"]])
    await bulk(api, "cancelActivities", [made[3]])
    assert call
    return acme, await walk(api, acme)


async def test_r_tl_1_filters_and_counts_agree_with_the_entries(api: Api, org: Org) -> None:
    acme, everything = await _mixed_timeline(api, org)
    assert len(everything) == 9
    dates = sorted({datetime.fromisoformat(e["date"]) for e in everything})
    middle = dates[len(dates) // 2]
    sales1, sales2 = gid("User", org.users["sales1"]), gid("User", org.users["sales2"])
    cases: list[tuple[dict[str, Any], Callable[[Edge], bool]]] = [
        ({}, lambda e: True),
        ({"types": ["TASK"]}, lambda e: e["entryType"] == "TASK"),
        ({"types": ["NOTE", "EMAIL"]}, lambda e: e["entryType"] in ("NOTE", "EMAIL")),
        ({"states": ["COMPLETED", "SENT"]}, lambda e: e["node"].get("state") in ("COMPLETED", "SENT")),
        ({"ownerIds": [sales2]}, lambda e: e["node"]["owner"]["id"] == sales2),
        ({"types": ["TASK"], "states": ["OPEN"], "ownerIds": [sales1]},
         lambda e: e["entryType"] == "TASK" and e["node"]["state"] == "OPEN" and e["node"]["owner"]["id"] == sales1),
        ({"text": "quote"}, lambda e: "quote" in _text_of(e).lower()),
        ({"text": "50%"}, lambda e: "50%" in _text_of(e)),
        ({"text": "_"}, lambda e: "_" in _text_of(e)),
        ({"since": middle.isoformat()}, lambda e: datetime.fromisoformat(e["date"]) >= middle),
        ({"until": middle.isoformat()}, lambda e: datetime.fromisoformat(e["date"]) < middle),
        ({"since": dates[1].isoformat(), "until": dates[-2].isoformat(), "types": ["TASK", "NOTE"]},
         lambda e: dates[1] <= datetime.fromisoformat(e["date"]) < dates[-2] and e["entryType"] in ("TASK", "NOTE")),
        ({"text": "quote", "ownerIds": [sales1]}, lambda e: "quote" in _text_of(e).lower()
         and e["node"]["owner"]["id"] == sales1),
    ]
    for flt, keep in cases:
        expected = [e for e in everything if keep(e)]
        page = await timeline(api, acme, filter=flt)
        assert ids(page["edges"]) == ids(expected), flt
        assert page["totalCount"] == page["counts"]["total"] == len(expected), flt
        assert page["counts"]["isExact"] is True, flt
        assert by_type(page) == dict(Counter(e["entryType"] for e in expected)), flt
        assert by_state(page) == dict(Counter(e["node"]["state"] for e in expected if e["entryType"] != "NOTE")), flt
    # Sanity: the cases above did narrow something.
    assert len([e for e in everything if "quote" in _text_of(e).lower()]) == 5


async def test_r_tl_1_counts_past_the_cap_say_at_least(api: Api, org: Org, db: Database) -> None:
    acme = await account(api, "Acme")
    shape = TimelineShape(activities=10_050, contacts=20)
    made = await load_timeline(db, shape, account_id=uuid.UUID(bytes=_raw(acme)), owners=[org.users["sales1"]])
    whole = await timeline(api, acme, first=1)
    assert whole["totalCount"] == 10_050 and whole["counts"]["isExact"] is True
    assert sum(by_type(whole).values()) == 10_050
    long_ago = (made.oldest - timedelta(days=1)).isoformat()
    capped = await timeline(api, acme, first=1, filter={"since": long_ago})
    assert capped["counts"]["isExact"] is False and capped["totalCount"] == 10_000
    assert sum(by_type(capped).values()) == sum(by_state(capped).values()) == 10_000
    for kind, n in by_type(capped).items():
        assert n <= by_type(whole)[kind]
    # Narrowed below the cap by text, the count is exact again.
    few = await timeline(api, acme, first=1, filter={"text": "Subject 1000"})
    expected = sum(1 for i in range(10_050) if "subject 1000" in f"subject {i}")
    assert few["counts"]["isExact"] is True and few["totalCount"] == expected


def _raw(global_id: str) -> bytes:
    from resolvers.ids import parse_global_id

    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1].bytes


# --- R-TL-1: pagination -------------------------------------------------------------------


async def test_r_tl_1_pages_walk_every_entry_once_newest_first_both_ways(api: Api) -> None:
    acme = await account(api, "Acme")
    chris = await contact(api, "Chris", "Preston", acme)
    made = []
    for i in range(11):
        made.append(await task(api, f"task {i}", chris if i % 2 else acme))
        if i % 4 == 0:
            made.append(await note(api, f"note {i}", record=acme))
    newest_first = list(reversed(made))
    for size in (1, 4, 13, 50):
        edges = await walk(api, acme, first=size)
        assert ids(edges) == newest_first, size
    dates = [datetime.fromisoformat(e["date"]) for e in await walk(api, acme)]
    assert dates == sorted(dates, reverse=True)

    # Backwards: `last` from the end, then `before` the first cursor of each page.
    seen: list[str] = []
    page = await timeline(api, acme, last=4)
    assert page["pageInfo"]["hasPreviousPage"] is True and page["pageInfo"]["hasNextPage"] is False
    while True:
        seen = ids(page["edges"]) + seen
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        page = await timeline(api, acme, last=4, before=page["pageInfo"]["startCursor"])
    assert seen == newest_first
    # A cursor from the middle, both ways.
    middle = (await timeline(api, acme, first=5))["edges"][-1]["cursor"]
    assert ids((await timeline(api, acme, first=3, after=middle))["edges"]) == newest_first[5:8]
    assert ids((await timeline(api, acme, last=3, before=middle))["edges"]) == newest_first[1:4]


async def test_r_tl_1_entries_with_the_same_date_are_ordered_by_id_and_paged_exactly(
    api: Api, org: Org, db: Database,
) -> None:
    acme = await account(api, "Acme")
    shape = TimelineShape(activities=37, contacts=3, same_date=True)
    await load_timeline(db, shape, account_id=uuid.UUID(bytes=_raw(acme)), owners=[org.users["sales1"]])
    one_page = ids(await walk(api, acme, first=100))
    assert len(one_page) == len(set(one_page)) == 37
    assert len({e["date"] for e in await walk(api, acme)}) == 1
    for size in (1, 5, 36):
        assert ids(await walk(api, acme, first=size)) == one_page


# --- errors ----------------------------------------------------------------------------------


def _error(body: dict[str, Any]) -> tuple[str, str]:
    assert body["data"] == {"timeline": None}, body
    (error,) = body["errors"]
    return error["extensions"]["code"], error["message"]


async def test_r_tl_1_a_missing_or_unreadable_record_is_the_same_not_found(api: Api) -> None:
    acme = await account(api, "Acme")
    await task(api, "secret", acme)
    missing = await api.raw(PAGE, {"id": gid("Account", uuid.uuid4())})
    unreadable = await api.raw(PAGE, {"id": acme}, as_="norole")
    assert _error(missing) == _error(unreadable) == ("NOT_FOUND", "record not found")


@pytest.mark.parametrize(("variables", "field"), [
    ({"first": 501}, "first"),
    ({"first": -1}, "first"),
    ({"after": "not-a-cursor"}, "after"),
    ({"filter": {"since": "2024-01-01T00:00:00"}}, "since"),
    ({"filter": {"text": "x" * 201}}, "text"),
    ({"filter": {"text": "nul\u0000"}}, "text"),
    ({"filter": {"ownerIds": ["nonsense"]}}, "ownerIds"),
])
async def test_r_tl_1_bad_arguments_are_typed_validation_errors(api: Api, variables: dict[str, Any], field: str) -> None:
    acme = await account(api, "Acme")
    body = await api.raw(PAGE, {"id": acme, **variables})
    assert body["data"] == {"timeline": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION"
    assert field in error["extensions"].get("field", []) or field in error["message"], error


async def test_r_tl_1_a_non_record_id_is_refused(api: Api) -> None:
    acme = await account(api, "Acme")
    a_task = await task(api, "t", acme)
    code, _ = _error(await api.raw(PAGE, {"id": a_task}))
    assert code == "VALIDATION"
