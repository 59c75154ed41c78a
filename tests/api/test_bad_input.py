"""Bad input never 500s and changes nothing (SPEC §9, R-API-3): every refusal is a typed error
with HTTP 200; keyset pagination walks every row once, both ways, and refuses foreign cursors."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from graph.db import Database
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import account, contact, record_row, table_counts

TYPED = {"VALIDATION", "NOT_FOUND", "FORBIDDEN", "CONFLICT", "DEACTIVATED", "INVALID_STATE",
         "CONTACT_HAS_OTHER_ACCOUNT"}


async def post_ascii(api: Api, query: str, variables: dict[str, Any] | None = None, *,
                     as_: str = "admin") -> dict[str, Any]:
    """The response body (HTTP 200 asserted) for a request sent as ASCII JSON, so that text
    no UTF-8 encoder takes (a lone surrogate) still travels, as the escape a client may send."""
    response = await api.http.post(
        "/graphql", content=json.dumps({"query": query, "variables": variables or {}}),
        headers={"Authorization": f"Bearer {api.tokens[as_]}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def refused_as_query_error(api: Api, query: str, variables: dict[str, Any] | None = None,
                                 *, code: str | None = "VALIDATION", as_: str = "admin") -> list[dict[str, Any]]:
    """HTTP 200, no data, errors that are not masked bugs (and carry `code` when given)."""
    body = await post_ascii(api, query, variables, as_=as_)
    assert body.get("data") is None, body
    errors = body["errors"]
    assert errors and all("internal error" not in e["message"] for e in errors), errors
    if code is not None:
        assert errors[0]["extensions"]["code"] == code, errors
    return errors


@pytest.fixture
async def world(api: Api) -> dict[str, Any]:
    acc = await account(api, "Import Sports")
    gone = await account(api, "Closed Down")
    await api.ok("deactivateRecord", {"id": gone["id"]}, "record { id }")
    person = await contact(api, "Chris", "Preston", accountId=acc["id"])
    return {"account": acc, "gone": gone, "contact": person}


# --- mutations: payload errors, nothing written ------------------------------------------

MALFORMED_IDS = ["not-an-id", "", "   ", "QWNjb3VudDpub3QtYS11dWlk",  # "Account:not-a-uuid"
                 base64.b64encode(b"Account").decode(), "%%%", "x" * 5000,
                 base64.b64encode(b"\xff\xfe:zz").decode()]


def bad_mutations(w: dict[str, Any], org: Org) -> list[tuple[str, dict[str, Any], str, str, list[str] | None]]:
    """(mutation, input, selection, expected code, expected field)."""
    acc, gone, person = w["account"]["id"], w["gone"]["id"], w["contact"]["id"]
    unknown_acc, unknown_contact = gid("Account", uuid.uuid4()), gid("Contact", uuid.uuid4())
    cases = [
        ("createAccount", {"name": ""}, "account { id }", "VALIDATION", ["input", "name"]),
        ("createAccount", {"name": "x" * 401}, "account { id }", "VALIDATION", ["input", "name"]),
        ("createAccount", {"name": "Nul\x00Co"}, "account { id }", "VALIDATION", ["input", "name"]),
        ("createAccount", {"name": "Ok", "clientMutationId": "k" * 201}, "account { id }", "VALIDATION",
         ["input", "clientMutationId"]),
        ("createAccount", {"name": "Ok", "address": {"city": "c" * 101}}, "account { id }", "VALIDATION",
         ["input", "address", "city"]),
        ("createAccount", {"name": "Ok", "parentAccountId": person}, "account { id }", "VALIDATION",
         ["input", "parentAccountId"]),
        ("createAccount", {"name": "Ok", "parentAccountId": unknown_acc}, "account { id }", "NOT_FOUND",
         ["input", "parentAccountId"]),
        ("createAccount", {"name": "Ok", "ownerId": acc}, "account { id }", "VALIDATION", ["input", "ownerId"]),
        ("createAccount", {"name": "Ok", "ownerId": gid("User", uuid.uuid4())}, "account { id }", "NOT_FOUND",
         ["input", "ownerId"]),
        ("createContact", {"firstName": "", "lastName": "Lee"}, "contact { id }", "VALIDATION", ["input", "firstName"]),
        ("createContact", {"firstName": "Dana", "lastName": "Lee", "accountId": unknown_acc}, "contact { id }",
         "NOT_FOUND", ["input", "accountId"]),
        ("createContact", {"firstName": "Dana", "lastName": "Lee", "accountId": person}, "contact { id }",
         "VALIDATION", ["input", "accountId"]),
        ("updateAccount", {"id": unknown_acc, "name": "X"}, "account { id }", "NOT_FOUND", ["input", "id"]),
        ("updateAccount", {"id": person, "name": "X"}, "account { id }", "VALIDATION", ["input", "id"]),
        ("updateAccount", {"id": acc, "expectedVersion": 7, "name": "X"}, "account { id }", "CONFLICT",
         ["input", "expectedVersion"]),
        ("updateAccount", {"id": acc, "parentAccountId": acc}, "account { id }", "VALIDATION",
         ["input", "parentAccountId"]),
        ("updateAccount", {"id": gone, "name": "X"}, "account { id }", "DEACTIVATED", None),
        ("updateContact", {"id": acc, "jobTitle": "X"}, "contact { id }", "VALIDATION", ["input", "id"]),
        ("updateContact", {"id": unknown_contact, "jobTitle": "X"}, "contact { id }", "NOT_FOUND", ["input", "id"]),
        ("updateContact", {"id": person, "lastName": None}, "contact { id }", "VALIDATION", ["input", "lastName"]),
        ("updateContact", {"id": person, "doNotPhone": None}, "contact { id }", "VALIDATION", ["input", "doNotPhone"]),
        ("addContactsToAccount", {"accountId": person, "contactIds": [person]}, "account { id }", "VALIDATION",
         ["input", "accountId"]),
        ("addContactsToAccount", {"accountId": acc, "contactIds": [acc]}, "account { id }", "VALIDATION",
         ["input", "contactIds", "0"]),
        ("addContactsToAccount", {"accountId": acc, "contactIds": [person, unknown_contact]}, "account { id }",
         "NOT_FOUND", ["input", "contactIds", "1"]),
        ("addContactsToAccount", {"accountId": gone, "contactIds": [person]}, "account { id }", "DEACTIVATED",
         ["input", "accountId"]),
        ("changeOwner", {"id": acc, "ownerId": person}, "record { id }", "VALIDATION", ["input", "ownerId"]),
        ("changeOwner", {"id": acc, "ownerId": gid("Team", uuid.uuid4())}, "record { id }", "NOT_FOUND",
         ["input", "ownerId"]),
        ("changeOwner", {"id": gone, "ownerId": gid("User", org.users["sales1"])}, "record { id }", "DEACTIVATED",
         None),
        ("changeOwner", {"id": gid("User", org.users["sales1"]), "ownerId": gid("User", org.users["sales1"])},
         "record { id }", "VALIDATION", ["input", "id"]),
        ("deactivateRecord", {"id": gone}, "record { id }", "INVALID_STATE", ["input", "id"]),
        ("activateRecord", {"id": acc}, "record { id }", "INVALID_STATE", ["input", "id"]),
        ("deactivateRecord", {"id": unknown_contact}, "record { id }", "NOT_FOUND", ["input", "id"]),
    ]
    for bad in MALFORMED_IDS:
        cases += [
            ("updateAccount", {"id": bad, "name": "X"}, "account { id }", "VALIDATION", ["input", "id"]),
            ("updateContact", {"id": person, "accountId": bad}, "contact { id }", "VALIDATION", ["input", "accountId"]),
            ("addContactsToAccount", {"accountId": acc, "contactIds": [person, bad]}, "account { id }", "VALIDATION",
             ["input", "contactIds", "1"]),
            ("deactivateRecord", {"id": bad}, "record { id }", "VALIDATION", ["input", "id"]),
        ]
    return cases


async def test_bad_mutations_get_typed_payload_errors_and_write_nothing(
    api: Api, db: Database, org: Org, world: dict[str, Any],
) -> None:
    before = await table_counts(db)
    rows = {k: await record_row(db, v["id"]) for k, v in world.items()}
    for name, input_, selection, code, field in bad_mutations(world, org):
        payload = await api.mutate(name, input_, selection)
        assert payload["errors"], (name, input_)
        first = payload["errors"][0]
        assert (first["code"], first["field"]) == (code, field), (name, input_, payload["errors"])
        assert first["message"]
        assert all(e["code"] in TYPED for e in payload["errors"])
        result_key = selection.split()[0]
        assert payload[result_key] is None
    assert await table_counts(db) == before
    assert {k: await record_row(db, v["id"]) for k, v in world.items()} == rows


UNSTORABLE = [
    ("createAccount", {"name": "Lone \ud800 Surrogate"}, ["input", "name"]),
    ("createAccount", {"name": "Ok", "website": "\udfff"}, ["input", "website"]),
    ("createContact", {"firstName": "Dana", "lastName": "Lee", "email": "d\ud800@x.example"}, ["input", "email"]),
    ("createContact", {"firstName": "Dana", "lastName": "Lee", "address": {"line": "\u0000"}},
     ["input", "address", "line"]),
    ("createContact", {"firstName": "Dana", "lastName": "Lee", "clientMutationId": "\ud800"},
     ["input", "clientMutationId"]),
    # Found by the PostgreSQL fuzz: each was an internal error there.
    ("createLead", {"topic": "Bikes", "lastName": "Lee", "clientMutationId": "retry\u0000"},
     ["input", "clientMutationId"]),
    ("createTask", {"subject": "Call\u0000back"}, ["input", "subject"]),
    ("createTask", {"subject": "Call back", "clientMutationId": "k\u0000"}, ["input", "clientMutationId"]),
]


async def test_text_no_database_can_store_is_a_validation_error(api: Api, db: Database) -> None:
    before = await table_counts(db)
    for name, input_, field in UNSTORABLE:
        kind = name[0].upper() + name[1:]
        body = await post_ascii(api, f"mutation($i: {kind}Input!) {{ {name}(input: $i) {{ errors {{ code field }} }} }}",
                                {"i": input_})
        assert body["data"][name]["errors"] == [{"code": "VALIDATION", "field": field}], input_
    assert await table_counts(db) == before


SCHEMA_REFUSED = [
    {},  # name missing altogether
    {"name": None},
    {"name": 42},
    {"name": "Ok", "createdOn": "2020-01-01T00:00:00Z"},
    {"name": "Ok", "doNotPhone": "yes"},
]


async def test_inputs_the_schema_refuses_are_graphql_errors(api: Api, db: Database) -> None:
    before = await table_counts(db)
    for input_ in SCHEMA_REFUSED:
        await refused_as_query_error(
            api, "mutation($input: CreateAccountInput!) { createAccount(input: $input) { account { id } } }",
            {"input": input_}, code=None)
    assert await table_counts(db) == before


async def test_the_same_failure_through_every_surface_is_200(api: Api, db: Database) -> None:
    before = await table_counts(db)
    for query in (
        "{ accounts { ",  # syntax error
        "{ accounts { nope } }",  # unknown field
        "mutation { createAccount(input: {}) { errors { code } } }",
        'query { contacts(first: "ten") { totalCount } }',
        "query($f: Int!) { contacts(first: $f) { totalCount } }",
    ):
        await refused_as_query_error(api, query, {"f": 2**40} if "$f" in query else None, code=None)
    assert await table_counts(db) == before


# --- queries: limits, ids, cursors, page sizes --------------------------------------------


def nested(depth: int) -> str:
    """`account { primaryContact { account { … } } }` `depth` levels deep."""
    inner = "id"
    for level in range(depth):
        inner = f"{'account' if level % 2 == 0 else 'primaryContact'} {{ id {inner} }}"
    return f"{{ contacts {{ nodes {{ {inner} }} }} }}"


async def test_a_query_twenty_levels_deep_is_refused(api: Api, world: dict[str, Any]) -> None:
    errors = await refused_as_query_error(api, nested(20), code=None)
    assert "depth" in errors[0]["message"]
    # A reasonable depth works.
    data = await api(nested(3))
    assert data["contacts"]["nodes"][0]["account"]["id"] == world["account"]["id"]


async def test_a_hundred_aliases_are_refused(api: Api) -> None:
    query = "{ " + " ".join(f"a{i}: accounts {{ totalCount }}" for i in range(100)) + " }"
    errors = await refused_as_query_error(api, query, code=None)
    assert "aliases" in errors[0]["message"]


async def test_page_sizes_and_cursors_are_checked(api: Api, world: dict[str, Any]) -> None:
    for args, field in (
        ("first: 100000", ["first"]), ("first: -1", ["first"]), ("last: 100000", ["last"]), ("last: -5", ["last"]),
        ('after: "not a cursor"', ["after"]), ('before: "bm90IGEgY3Vyc29y"', ["before"]),
    ):
        for list_name in ("accounts", "contacts"):
            errors = await refused_as_query_error(api, f"{{ {list_name}({args}) {{ totalCount }} }}")
            assert errors[0]["extensions"]["field"] == field, args
    # An empty cursor means "from the start".
    assert (await api('{ contacts(after: "") { totalCount } }'))["contacts"]["totalCount"] == 1


def forged(signature: str, values: Any) -> str:
    """A cursor as the server would encode it, with whatever values a forger chooses."""
    body = json.dumps([signature, values]).encode()
    return base64.urlsafe_b64encode(body).decode().rstrip("=")


FORGED_CURSORS = [
    forged("NAME+,ID+", [5, {"u": str(uuid.uuid4())}]),
    forged("NAME+,ID+", [["a"], {"u": str(uuid.uuid4())}]),
    forged("NAME+,ID+", ["Chris", "not-a-uuid"]),
    forged("NAME+,ID+", ["Chris", {"u": "nope"}]),
    forged("NAME+,ID+", ["Chris\u0000", {"u": str(uuid.uuid4())}]),
    forged("NAME+,ID+", ["Chris"]),
    forged("NAME+,ID+", {"a": 1, "b": 2}),
    forged("CREATED_ON+,ID+", [{"t": "2020-01-01T00:00:00"}, {"u": str(uuid.uuid4())}]),
    forged("CREATED_ON+,ID+", [{"t": 5}, {"u": str(uuid.uuid4())}]),
    base64.urlsafe_b64encode(b'"just a string"').decode(),
    base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
    base64.urlsafe_b64encode(b"null").decode(),
]


async def test_forged_cursors_are_validation_errors_not_bugs(api: Api, world: dict[str, Any]) -> None:
    for cursor in FORGED_CURSORS:
        for order in ("", ", orderBy: [{field: CREATED_ON}]"):
            await refused_as_query_error(api, f"query($c: String!) {{ contacts(after: $c{order}) {{ totalCount }} }}",
                                         {"c": cursor})


async def test_unknown_and_malformed_ids_read_as_null(api: Api, world: dict[str, Any]) -> None:
    contact_uuid = base64.b64decode(world["contact"]["id"]).decode().split(":", 1)[1]
    # Unknown, malformed, of an unknown type, and an Account id forged from a Contact's uuid.
    ids = [*MALFORMED_IDS, gid("Account", uuid.uuid4()), gid("Account", contact_uuid), gid("Nothing", uuid.uuid4())]
    data = await api("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert data["nodes"] == [None] * len(ids)
    for one in ids:
        assert (await api("query($id: ID!) { node(id: $id) { id } }", {"id": one}))["node"] is None
    await refused_as_query_error(api, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                                 {"ids": [gid("Account", uuid.uuid4())] * 501})


SEARCHES = [
    ("query($t: String!) { accounts(filter: {text: $t}) { totalCount } }", ["filter", "text"]),
    ("query($t: String!) { accounts(filter: {industry: $t}) { totalCount } }", ["filter", "industry"]),
    ("query($t: String!) { contacts(filter: {email: $t}) { totalCount } }", ["filter", "email"]),
    ("query($t: String!) { contacts(filter: {city: $t}) { totalCount } }", ["filter", "city"]),
    ("query($t: String!) { quickFind(text: $t) { name } }", ["text"]),
]


async def test_unusable_search_text_is_a_validation_error(api: Api) -> None:
    for query, field in SEARCHES:
        for bad in ("\u0000x", "\ud800x", "y" * 401):
            errors = await refused_as_query_error(api, query, {"t": bad})
            assert errors[0]["extensions"]["field"] == field, (query, bad)


async def test_wildcards_in_search_text_match_literally(api: Api) -> None:
    await account(api, "100% Sports")
    await account(api, "Fourth_Coffee")
    await account(api, "Other")
    for text, expected in (("%", ["100% Sports"]), ("_", ["Fourth_Coffee"]), ("\\", [])):
        found = await api("query($t: String!) { accounts(filter: {text: $t}) { nodes { name } } }", {"t": text})
        assert [n["name"] for n in found["accounts"]["nodes"]] == expected, text
        quick = await api("query($t: String!) { quickFind(text: $t) { name } }", {"t": text + " "})
        assert [n["name"] for n in quick["quickFind"]] == ([] if len(text.strip()) < 2 else expected)


async def test_list_filters_narrow_as_documented(api: Api, world: dict[str, Any]) -> None:
    await account(api, "Fourth Coffee", industry="Retail", address={"city": "Seattle"})
    await account(api, "Contoso", industry="retail", address={"city": "Redmond"})
    data = await api('{ a: accounts(filter: {industry: "RETAIL"}) { nodes { name } }'
                     '  b: accounts(filter: {city: " seattle "}) { nodes { name } } }')
    assert [n["name"] for n in data["a"]["nodes"]] == ["Contoso", "Fourth Coffee"]
    assert [n["name"] for n in data["b"]["nodes"]] == ["Fourth Coffee"]


# --- keyset pagination ---------------------------------------------------------------------

CONTACT_PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $order: [RecordOrder!]) {
  contacts(first: $first, after: $after, last: $last, before: $before, orderBy: $order, includeInactive: true) {
    totalCount
    edges { cursor node { id name createdOn } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def walk(api: Api, order: list[dict[str, str]] | None, *, backwards: bool = False, size: int = 7) -> list[dict[str, Any]]:
    """Every contact, one page of `size` at a time, following cursors forwards or backwards."""
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        variables: dict[str, Any] = {"order": order}
        variables.update({"last": size, "before": cursor} if backwards else {"first": size, "after": cursor})
        conn = (await api(CONTACT_PAGE, variables))["contacts"]
        page = [e["node"] for e in conn["edges"]]
        assert len(page) <= size
        info = conn["pageInfo"]
        seen = page + seen if backwards else seen + page
        more = info["hasPreviousPage"] if backwards else info["hasNextPage"]
        if not more:
            assert len(seen) == conn["totalCount"]
            return seen
        assert len(page) == size
        cursor = info["startCursor"] if backwards else info["endCursor"]
    raise AssertionError("pagination did not end")


@pytest.fixture
async def many_contacts(api: Api) -> list[str]:
    """30 contacts, some with equal names (ties are broken by id), one deactivated."""
    made = []
    for i in range(30):
        last = "Same" if i % 5 == 0 else f"{(i * 7) % 30:02}"
        made.append((await contact(api, "Pat", last))["id"])
    await api.ok("deactivateRecord", {"id": made[3]}, "record { id }")
    return made


async def test_keyset_pages_walk_every_contact_once_in_order_both_ways(api: Api, many_contacts: list[str]) -> None:
    forward = await walk(api, None)
    ids = [n["id"] for n in forward]
    assert sorted(ids) == sorted(many_contacts) and len(set(ids)) == 30
    names = [n["name"] for n in forward]
    assert names == sorted(names)
    reference = (await api(CONTACT_PAGE, {"first": 500}))["contacts"]["edges"]
    assert ids == [e["node"]["id"] for e in reference]

    backward = await walk(api, None, backwards=True)
    assert [n["id"] for n in backward] == ids


async def test_keyset_pages_follow_the_requested_ordering(api: Api, many_contacts: list[str]) -> None:
    ascending = [n["id"] for n in await walk(api, None)]
    descending = await walk(api, [{"field": "NAME", "direction": "DESC"}])
    assert [n["id"] for n in descending] == ascending[::-1]
    assert [n["id"] for n in await walk(api, [{"field": "NAME", "direction": "DESC"}], backwards=True)] == \
        ascending[::-1]

    created = await walk(api, [{"field": "CREATED_ON"}], size=4)
    assert [n["id"] for n in created] == many_contacts
    newest = await walk(api, [{"field": "CREATED_ON", "direction": "DESC"}], backwards=True, size=11)
    assert [n["id"] for n in newest] == many_contacts[::-1]


async def test_page_info_at_the_ends(api: Api, many_contacts: list[str]) -> None:
    first = (await api(CONTACT_PAGE, {"first": 30}))["contacts"]
    assert first["pageInfo"]["hasNextPage"] is False and first["pageInfo"]["hasPreviousPage"] is False
    head = (await api(CONTACT_PAGE, {"first": 29}))["contacts"]
    assert head["pageInfo"]["hasNextPage"] is True
    tail = (await api(CONTACT_PAGE, {"first": 5, "after": head["pageInfo"]["endCursor"]}))["contacts"]
    assert len(tail["edges"]) == 1 and tail["pageInfo"] == {
        "hasNextPage": False, "hasPreviousPage": True,
        "startCursor": tail["edges"][0]["cursor"], "endCursor": tail["edges"][0]["cursor"]}
    empty = (await api(CONTACT_PAGE, {"first": 5, "after": tail["pageInfo"]["endCursor"]}))["contacts"]
    assert empty["edges"] == [] and empty["pageInfo"]["startCursor"] is None


async def test_a_cursor_from_another_ordering_is_refused(api: Api, many_contacts: list[str]) -> None:
    by_name = (await api(CONTACT_PAGE, {"first": 3}))["contacts"]["pageInfo"]["endCursor"]
    for order in ([{"field": "NAME", "direction": "DESC"}], [{"field": "CREATED_ON"}],
                  [{"field": "MODIFIED_ON", "direction": "DESC"}]):
        for arg in ("after", "before"):
            errors = await refused_as_query_error(api, CONTACT_PAGE, {"first" if arg == "after" else "last": 3,
                                                                      arg: by_name, "order": order})
            assert errors[0]["extensions"]["field"] == [arg]
