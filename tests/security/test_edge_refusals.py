"""Every refusal at the HTTP edge has one shape (issue 16): JSON `errors` with a typed
`extensions.code` and the request id (also in `X-Request-Id`), never a plain-text 500, and
nothing written. server/refusals.py makes them all.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pathlib import Path

import httpx
import pytest

from graph.db import Database
from server.app import create_app
from tests.support.client import Api
from tests.support.databases import test_settings as app_settings
from tests.support.org import Org

CREATE = 'mutation { createAccount(input: {name: "Malformed"}) { errors { code } account { id } } }'
CREATE_JSON = json.dumps({"query": CREATE})
DEEP = 1000

# (name, body, code): each body would create an account if it were read as a request.
MALFORMED: list[tuple[str, bytes, str]] = [
    ("array nested 1,000 deep", ("[" * DEEP + "]" * DEEP).encode(), "BAD_REQUEST"),
    ("variables nested 1,000 deep",
     ('{"query": ' + json.dumps(CREATE) + ', "variables": {"v": ' + "[" * DEEP + "]" * DEEP + "}}").encode(),
     "BAD_REQUEST"),
    ("object nested 100,000 deep", ('{"a":' * 100_000 + "1" + "}" * 100_000).encode(), "BAD_REQUEST"),
    ("invalid UTF-8", CREATE_JSON.encode()[:-2] + b'\xff\xfe"}', "BAD_REQUEST"),
    ("null", b"null", "BAD_REQUEST"),
    ("a string", b'"x"', "BAD_REQUEST"),
    ("a number", b"123", "BAD_REQUEST"),
    ("true", b"true", "BAD_REQUEST"),
    ("an empty array", b"[]", "BAD_REQUEST"),
    ("an array of strings", json.dumps([CREATE]).encode(), "BAD_REQUEST"),
    ("empty", b"", "BAD_REQUEST"),
    ("truncated JSON", CREATE_JSON.encode()[:-5], "BAD_REQUEST"),
    ("no query", b'{"variables": {}}', "BAD_REQUEST"),
    ("query not a string", b'{"query": ["mutation"]}', "BAD_REQUEST"),
    ("variables not an object", json.dumps({"query": CREATE, "variables": [1]}).encode(), "BAD_REQUEST"),
    ("operationName not a string", json.dumps({"query": CREATE, "operationName": 7}).encode(), "BAD_REQUEST"),
]


def assert_refusal(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The one shape: JSON, a code, the request id in the body and in the header; no data."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert error["message"] and "Traceback" not in error["message"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["requestId"] == response.headers["X-Request-Id"]
    return error


async def account_count(api: Api) -> int:
    return (await api("{ accounts { totalCount } }"))["accounts"]["totalCount"]


@pytest.mark.parametrize(("name", "body", "code"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_a_malformed_body_is_a_typed_json_refusal_and_changes_nothing(
        api: Api, name: str, body: bytes, code: str) -> None:
    headers = {"Authorization": f"Bearer {api.tokens['admin']}", "Content-Type": "application/json"}
    response = await api.http.post("/graphql", content=body, headers=headers)
    assert_refusal(response, 400, code)
    assert await account_count(api) == 0


async def test_malformed_bodies_without_a_token_get_the_same_answer(api: Api) -> None:
    for _, body, code in MALFORMED[:5]:
        response = await api.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
        assert_refusal(response, 400, code)


async def test_the_request_id_a_client_sends_is_the_one_in_the_refusal(api: Api) -> None:
    response = await api.http.post("/graphql", content=b"null",
                                   headers={"Content-Type": "application/json", "X-Request-Id": "client-42"})
    assert assert_refusal(response, 400, "BAD_REQUEST")["extensions"]["requestId"] == "client-42"


@pytest.mark.parametrize("content_type", ["APPLICATION/JSON", "Application/Json; Charset=UTF-8",
                                          "application/json;charset=utf-8", " application/json "])
async def test_media_types_are_compared_without_case_or_parameters(api: Api, content_type: str) -> None:
    response = await api.http.post("/graphql", content=json.dumps({"query": "{ viewer { roles } }"}),
                                   headers={"Authorization": f"Bearer {api.tokens['sales1']}",
                                            "Content-Type": content_type})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["roles"] == ["salesperson"]


async def test_a_mutation_over_get_is_a_typed_405_and_writes_nothing(api: Api) -> None:
    token = {"Authorization": f"Bearer {api.tokens['admin']}"}
    response = await api.http.get("/graphql", params={"query": CREATE}, headers=token)
    error = assert_refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in error["message"] and response.headers["Allow"] == "POST"
    assert await account_count(api) == 0


async def test_get_variables_nested_too_deep_or_not_json_are_typed(api: Api) -> None:
    token = {"Authorization": f"Bearer {api.tokens['admin']}"}
    for variables in ("[" * DEEP + "]" * DEEP, "not json", "[1]"):
        response = await api.http.get("/graphql", params={"query": "{ viewer { roles } }", "variables": variables},
                                      headers=token)
        assert_refusal(response, 400, "BAD_REQUEST")


async def test_other_methods_are_a_typed_405(api: Api) -> None:
    response = await api.http.put("/graphql", content=CREATE_JSON, headers={"Content-Type": "application/json"})
    assert_refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert await account_count(api) == 0


@pytest.mark.parametrize("as_", [None, "sales1"])
async def test_a_subscription_over_plain_http_is_bad_request_pointing_at_the_websocket(
        api: Api, as_: str | None, caplog: pytest.LogCaptureFixture) -> None:
    """Apollo's HttpLink sends subscriptions this way: an expected mistake, not a bug."""
    with caplog.at_level(logging.INFO):
        response = await api.post("subscription { workListChanged { cursor } }", as_=as_)
    error = assert_refusal(response, 400, "BAD_REQUEST")
    assert "websocket" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # Named among several operations, too.
    document = "query Q { liveCursor } subscription S { workListChanged { cursor } }"
    response = await api.http.post("/graphql", json={"query": document, "operationName": "S"},
                                   headers={"Authorization": f"Bearer {api.tokens['sales1']}"})
    assert_refusal(response, 400, "BAD_REQUEST")
    answered = await api.http.post("/graphql", json={"query": document, "operationName": "Q"},
                                   headers={"Authorization": f"Bearer {api.tokens['sales1']}"})
    assert answered.status_code == 200 and "liveCursor" in answered.json()["data"]
    # A long document (past what is remembered by its text) is read the same way.
    long_id = "x" * 70_000
    response = await api.post(f'subscription {{ timelineChanged(recordId: "{long_id}") {{ cursor }} }}', as_=as_)
    assert_refusal(response, 400, "BAD_REQUEST")


async def test_limiter_refusals_carry_a_code(db: Database, org: Org, tmp_path: Path) -> None:
    app = create_app(app_settings(file_store_dir=str(tmp_path / "files"), max_depth=3, max_aliases=2,
                                   max_cost=100, max_body_bytes=2000, rate_limit_per_second=0.001,
                                   rate_limit_burst=8), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        api = Api(http, org.tokens)
        token = {"Authorization": f"Bearer {api.tokens['admin']}"}
        response = await http.post("/graphql", content=CREATE_JSON, headers={**token, "Content-Type": "text/plain"})
        assert_refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")
        files = {"operations": (None, CREATE_JSON), "map": (None, "{}")}
        assert_refusal(await http.post("/graphql", files=files, headers=token), 400, "CSRF_PREFLIGHT_REQUIRED")
        big = json.dumps({"query": CREATE, "variables": {"pad": "x" * 3000}})
        response = await http.post("/graphql", content=big, headers={**token, "Content-Type": "application/json"})
        assert assert_refusal(response, 413, "REQUEST_TOO_LARGE")["extensions"]["maxBytes"] == 2000
        for query, limit in (("{ accounts { edges { node { owner { __typename } } } } }", "depth"),
                             ("{ a: viewer { roles } b: viewer { roles } c: viewer { roles } }", "aliases")):
            error = (await api.post(query)).json()["errors"][0]
            assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": limit, "max": 3 if limit == "depth" else 2}
        error = (await api.post("{ accounts(first: 100) { edges { node { id } } } }")).json()["errors"][0]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        refused = [await api.post("{ viewer { roles } }", as_="sales1") for _ in range(9)][-1]
        assert assert_refusal(refused, 429, "RATE_LIMITED")["extensions"]["retryAfter"] >= 1
        assert refused.headers["Retry-After"]
        assert await account_count(api) == 0


async def test_a_bug_behind_the_endpoint_is_masked_in_the_same_shape(
        api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Outside GraphQL execution too: JSON with INTERNAL and an error id that is in the log."""
    import server.limits

    def broken(*_: object) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(server.limits, "body_problem", broken)
    with caplog.at_level(logging.ERROR, logger="relate.errors"):
        response = await api.post("{ viewer { roles } }")
    error = assert_refusal(response, 500, "INTERNAL")
    assert "a bug" not in response.text and error["extensions"]["errorId"] in error["message"]
    assert any(error["extensions"]["errorId"] in r.getMessage() for r in caplog.records)
