"""Limits (R-API-3) and HTTP hardening: query cost, page caps, depth/aliases/tokens,
introspection and GraphiQL switches, websocket origins, CSRF (JSON-only POST, multipart
preflight), body size, rate limit with 429 + Retry-After.

HTTP-level behaviour does not depend on the database: these run on SQLite only.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from graph.db import Database
from schema.build import build_schema
from schema.cost import estimate_cost
from server.app import create_app
from server.limits import RequestRate, rate_storage_url
from server.settings import Settings
from tests.support.client import Api
from tests.support.databases import test_settings as app_settings
from tests.support.org import Org
from tests.support.ws import serve, ws_connect

Client = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def client(db: Database, org: Org, tmp_path: Path) -> Client:
    """An API client on an app with these settings, over the same database and users."""
    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[Api]:
        app = create_app(app_settings(file_store_dir=str(tmp_path / "files"), **overrides), db=db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
            yield Api(http, org.tokens)
    return make


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


# --- query cost ------------------------------------------------------------------------------


def cost(query: str, variables: dict[str, Any] | None = None, **settings: Any) -> int:
    from graphql import parse

    found, _ = estimate_cost(build_schema(Settings(**settings))._schema, parse(query), None, variables, 50)
    return found


def test_r_api_3_cost_is_page_sizes_multiplied_along_nested_lists_and_summed() -> None:
    assert cost("{ viewer { roles user { id } } }") == 2  # viewer, its user: objects, once each
    assert cost("{ liveCursor }") == 0  # scalars are free
    assert cost("{ accounts(first: 500) { edges { node { id } } } }") == 1 + 500 + 500
    assert cost("{ accounts { totalCount pageInfo { hasNextPage } } }") == 1 + 1  # no items asked
    assert cost("{ accounts { edges { node { id } } } }") == 1 + 50 + 50  # default page size
    assert cost("query($n: Int) { accounts(first: $n) { nodes { id owner { __typename } } } }", {"n": 7}) \
        == 1 + 7 + 7
    assert cost("{ quickFind(text: \"a\") { id } }") == 20  # the argument's schema default
    assert cost("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a", "b", "c"]}) == 3
    # Fragments are expanded, aliases counted one by one.
    assert cost("{ a: accounts(first: 10) { ...E } b: accounts(first: 20) { ...E } } "
                "fragment E on AccountConnection { edges { node { id } } }") == (1 + 10 + 10) + (1 + 20 + 20)


async def test_r_api_3_a_query_over_budget_is_refused_with_its_cost_and_nothing_runs(client: Client) -> None:
    query = "{ a: accounts(first: 400) { edges { node { id } } } b: contacts(first: 400) { edges { node { id } } } }"
    async with client(max_cost=1000) as api:
        body = (await api.post(query)).json()
        assert body.get("data") is None
        assert codes(body) == ["QUERY_TOO_COSTLY"]
        assert body["errors"][0]["extensions"]["cost"] == 1602
        assert body["errors"][0]["extensions"]["maxCost"] == 1000
        assert "1,602" in body["errors"][0]["message"] and "1,000" in body["errors"][0]["message"]
        # Variables count too: the same document is fine or too costly by what it asks.
        paged = "query($n: Int) { accounts(first: $n) { edges { node { id } } } }"
        assert (await api.raw(paged, {"n": 10}))["data"]["accounts"]["edges"] == []
        assert codes((await api.post(paged, {"n": 499})).json()) == []  # 1 + 499 + 499
        assert codes((await api.post(paged, {"n": 500})).json()) == ["QUERY_TOO_COSTLY"]  # 1,001


async def test_r_api_3_page_size_is_capped(api: Api) -> None:
    body = await api.raw("{ accounts(first: 501) { edges { cursor } } }")
    assert codes(body) == ["VALIDATION"] and "500" in body["errors"][0]["message"]
    body = await api.raw("{ accounts(first: -1) { edges { cursor } } }")
    assert codes(body) == ["VALIDATION"]


async def test_r_api_3_depth_aliases_and_tokens_are_bounded(client: Client) -> None:
    async with client(max_depth=3, max_aliases=2, max_tokens=60) as api:
        deep = "{ accounts { edges { node { owner { __typename } } } } }"
        assert "exceeds maximum operation depth" in (await api.post(deep)).json()["errors"][0]["message"]
        aliases = "{ a: viewer { roles } b: viewer { roles } c: viewer { roles } }"
        assert "aliases" in (await api.post(aliases)).json()["errors"][0]["message"]
        tokens = "{ " + " ".join(f"f{i}: liveCursor" for i in range(40)) + " }"
        assert "token" in (await api.post(tokens)).json()["errors"][0]["message"].lower()
        assert (await api.raw("{ viewer { roles } }"))["data"]["viewer"]["roles"] == ["system_administrator"]


# --- introspection and GraphiQL --------------------------------------------------------------


async def test_r_api_3_introspection_can_be_switched_off(client: Client) -> None:
    schema_query = "{ __schema { queryType { name } } }"
    type_query = '{ __type(name: "Account") { name } }'
    async with client(introspection=True) as api:
        assert (await api.raw(schema_query))["data"]["__schema"]["queryType"]["name"] == "Query"
    async with client(introspection=False) as api:
        for query in (schema_query, type_query):
            body = (await api.post(query)).json()
            assert body.get("data") is None, body
            assert "introspection" in body["errors"][0]["message"].lower()
        # __typename is not introspection of the schema: clients need it for unions.
        assert (await api.raw("{ viewer { __typename } }"))["data"]["viewer"]["__typename"] == "Viewer"


async def test_graphiql_is_served_only_when_switched_on(client: Client) -> None:
    headers = {"Accept": "text/html"}
    async with client(graphiql=True) as api:
        page = await api.http.get("/graphql", headers=headers)
        assert page.status_code == 200 and "graphiql" in page.text.lower()
    async with client(graphiql=False) as api:
        page = await api.http.get("/graphql", headers=headers)
        assert page.status_code == 404 and "graphiql" not in page.text.lower()
        # Queries over GET still work for clients that want them.
        token = {"Authorization": f"Bearer {api.tokens['sales1']}"}
        answer = await api.http.get("/graphql", params={"query": "{ viewer { roles } }"}, headers=token)
        assert answer.status_code == 200 and answer.json()["data"]["viewer"]["roles"] == ["salesperson"]


# --- CSRF and body size ----------------------------------------------------------------------


async def test_csrf_post_must_be_json_and_mutations_never_run_over_get(api: Api) -> None:
    token = {"Authorization": f"Bearer {api.tokens['admin']}"}
    mutation = 'mutation { createAccount(input: {name: "Forged"}) { errors { code } account { id } } }'
    for content_type, body in (("application/x-www-form-urlencoded", f"query={mutation}"),
                               ("text/plain", '{"query": "' + mutation.replace('"', '\\"') + '"}'),
                               ("application/graphql", mutation)):
        response = await api.http.post("/graphql", content=body, headers={**token, "Content-Type": content_type})
        assert response.status_code == 415, (content_type, response.text)
        assert codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]
    response = await api.http.get("/graphql", params={"query": mutation}, headers=token)
    assert response.status_code in (400, 405), response.text
    assert "mutation" in response.text.lower()
    # A multipart request without the preflight header is refused before it is read.
    files = {"operations": (None, '{"query": "{ viewer { roles } }", "variables": {}}'), "map": (None, "{}")}
    response = await api.http.post("/graphql", files=files, headers=token)
    assert response.status_code == 400 and codes(response.json()) == ["CSRF_PREFLIGHT_REQUIRED"]
    response = await api.http.post("/graphql", files=files, headers={**token, "Apollo-Require-Preflight": "true"})
    assert response.status_code == 200 and response.json()["data"]["viewer"]["roles"] == ["system_administrator"]
    assert (await api("{ accounts { totalCount } }"))["accounts"]["totalCount"] == 0


async def test_a_body_over_the_limit_is_413_declared_or_streamed(client: Client) -> None:
    async with client(max_body_bytes=2000) as api:
        token = {"Authorization": f"Bearer {api.tokens['admin']}", "Content-Type": "application/json"}
        padding = "x" * 3000
        big = ('{"query": "mutation($n: String!) { createAccount(input: {name: $n}) { errors { code } } }", '
               '"variables": {"n": "' + padding + '"}}').encode()
        response = await api.http.post("/graphql", content=big, headers=token)
        assert response.status_code == 413 and codes(response.json()) == ["REQUEST_TOO_LARGE"]

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
            for start in range(0, len(big), 500):
                yield big[start:start + 500]

        response = await api.http.post("/graphql", content=chunks(), headers=token)
        assert response.status_code == 413
        assert (await api("{ accounts { totalCount } }"))["accounts"]["totalCount"] == 0
        assert (await api.post("{ viewer { roles } }")).status_code == 200


# --- rate limit ------------------------------------------------------------------------------


async def test_rate_limit_per_token_answers_429_with_retry_after(client: Client) -> None:
    async with client(rate_limit_per_second=0.5, rate_limit_burst=3) as api:
        began = time.monotonic()
        for _ in range(3):
            assert (await api.post("{ viewer { roles } }", as_="sales1")).status_code == 200
        refused = await api.post("{ viewer { roles } }", as_="sales1")
        elapsed = time.monotonic() - began
        assert refused.status_code == 429
        # 3 in any 6 s (burst / rate): the next one may go when the first leaves the window,
        # 6 s after it was counted, less however long the requests since then took (seconds
        # on a loaded machine), rounded up.
        retry_after = int(refused.headers["Retry-After"])
        assert max(1, math.ceil(6 - elapsed)) <= retry_after <= 6
        assert codes(refused.json()) == ["RATE_LIMITED"]
        assert refused.json()["errors"][0]["extensions"]["retryAfter"] == retry_after
        # Another user's bucket is their own.
        assert (await api.post("{ viewer { roles } }", as_="sales2")).status_code == 200


async def test_the_rate_allows_a_burst_then_says_how_long_to_wait_per_key() -> None:
    rate = RequestRate(per_second=2.0, burst=4, storage_url="memory://")  # 4 in any 2 s
    assert [await rate.wait("a") for _ in range(4)] == [0.0] * 4
    assert 0 < await rate.wait("a") <= 2.0
    assert await rate.wait("b") == 0.0  # every key counts on its own


def test_the_counts_are_shared_through_redis_when_the_broker_is_redis() -> None:
    assert rate_storage_url(app_settings()) == "memory://"
    assert rate_storage_url(app_settings(broadcast_url="redis://cache:6379/0")) == "redis://cache:6379/0"
    assert rate_storage_url(app_settings(broadcast_url="postgresql://db/relate")) == "memory://"
    assert rate_storage_url(app_settings(broadcast_url="redis://cache:6379/0",
                                         rate_limit_storage_url="memory://")) == "memory://"


# --- websocket origins -----------------------------------------------------------------------


async def test_websocket_origin_allow_list(db: Database, org: Org, tmp_path: Path) -> None:
    app = create_app(app_settings(file_store_dir=str(tmp_path / "files"),
                                   ws_allowed_origins=["https://app.example"]), db=db)
    async with serve(app) as url:
        with pytest.raises(InvalidStatus) as refused:
            async with ws_connect(url, org.tokens["sales1"], origin="https://evil.example"):
                pass
        assert refused.value.response.status_code == 403
        for origin in ("https://app.example", None):  # listed, or no browser at all
            async with ws_connect(url, org.tokens["sales1"], origin=origin) as ws:  # type: ignore[arg-type]
                op = await ws.subscribe("subscription { workListChanged { cursor } }")
                await ws.stop(op)
