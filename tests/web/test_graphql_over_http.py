"""GraphQL over HTTP for stock clients (R-WEB-3): media types and their status codes,
Apollo's automatic persisted queries, batches; and CORS for other origins (R-WEB-1)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from server.app import create_app
from tests.support.databases import test_settings as settings_for_test
from tests.support.org import Org

VIEWER = "query Me { viewer { user { fullName } } }"
VIEWER_HASH = hashlib.sha256(VIEWER.encode()).hexdigest()
GRAPHQL_RESPONSE = "application/graphql-response+json"
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"


def persisted(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@pytest.fixture
def auth(org: Org) -> dict[str, str]:
    return {"Authorization": f"Bearer {org.tokens['admin']}"}


async def test_graphql_response_media_type_when_asked(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    """Accept: application/graphql-response+json gets it, 200 for an executed operation."""
    answer = await http.post("/graphql", json={"query": VIEWER}, headers={**auth, "Accept": APOLLO_ACCEPT})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert answer.json()["data"]["viewer"]["user"]["fullName"]


async def test_request_errors_are_400_without_data_under_graphql_response(
        http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    """A validation failure never executed: 400 and no `data` entry with the new media type,
    the legacy 200 with application/json."""
    bad = {"query": "{ viewer { noSuchField } }"}
    strict = await http.post("/graphql", json=bad, headers={**auth, "Accept": GRAPHQL_RESPONSE})
    assert strict.status_code == 400
    assert strict.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in strict.json() and strict.json()["errors"]
    legacy = await http.post("/graphql", json=bad, headers={**auth, "Accept": "application/json"})
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")
    syntax = await http.post("/graphql", json={"query": "{ viewer "}, headers={**auth, "Accept": GRAPHQL_RESPONSE})
    assert syntax.status_code == 400 and "data" not in syntax.json()


async def test_field_errors_stay_200_under_graphql_response(http: httpx.AsyncClient) -> None:
    """Executed but refused (no token): data is there, so 200 even with the strict type."""
    answer = await http.post("/graphql", json={"query": VIEWER}, headers={"Accept": GRAPHQL_RESPONSE})
    assert answer.status_code == 200
    assert "data" in answer.json() and answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unacceptable_accept_is_406(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    answer = await http.post("/graphql", json={"query": VIEWER}, headers={**auth, "Accept": "text/csv"})
    assert answer.status_code == 406
    assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


async def test_persisted_query_round_trip_post(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    """Apollo's protocol: hash only → PersistedQueryNotFound; query + hash registers and runs;
    hash only again runs the registered query."""
    headers = {**auth, "Accept": APOLLO_ACCEPT}
    miss = await http.post("/graphql", json={"operationName": "Me", "variables": {},
                                             "extensions": persisted(VIEWER_HASH)}, headers=headers)
    assert miss.status_code == 200
    assert miss.json() == {"errors": [{"message": "PersistedQueryNotFound",
                                       "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
    register = await http.post("/graphql", json={"query": VIEWER, "operationName": "Me", "variables": {},
                                                 "extensions": persisted(VIEWER_HASH)}, headers=headers)
    assert register.status_code == 200 and register.json()["data"]["viewer"]["user"]["fullName"]
    hit = await http.post("/graphql", json={"operationName": "Me", "variables": {},
                                            "extensions": persisted(VIEWER_HASH)}, headers=headers)
    assert hit.status_code == 200 and hit.json() == register.json()


async def test_persisted_query_round_trip_get(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    """A GET carrying only the hash (Apollo's useGETForHashedQueries) runs the query; it
    never answers with GraphiQL's page."""
    params = {"operationName": "Me", "variables": "{}", "extensions": json.dumps(persisted(VIEWER_HASH))}
    headers = {**auth, "Accept": APOLLO_ACCEPT}
    miss = await http.get("/graphql", params=params, headers=headers)
    assert miss.status_code == 200
    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    register = await http.get("/graphql", params={**params, "query": VIEWER}, headers=headers)
    assert register.json()["data"]["viewer"]["user"]["fullName"]
    hit = await http.get("/graphql", params=params, headers={**auth, "Accept": "text/html,application/json;q=0.9"})
    assert hit.status_code == 200 and hit.json() == register.json()


async def test_persisted_query_hash_mismatch_is_refused_and_not_registered(
        http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    wrong = hashlib.sha256(b"{ something else }").hexdigest()
    answer = await http.post("/graphql", json={"query": VIEWER, "extensions": persisted(wrong)}, headers=auth)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    later = await http.post("/graphql", json={"extensions": persisted(wrong)}, headers=auth)
    assert later.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    odd = await http.post("/graphql", json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": wrong}}},
                          headers=auth)
    assert odd.status_code == 400 and odd.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_batch_of_three_answers_in_order(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    """BatchHttpLink: a JSON array runs each operation and answers an array in order; one
    failing operation does not sink the others."""
    batch = [{"query": VIEWER}, {"query": "{ viewer { noSuchField } }"},
             {"query": "query Roles { viewer { roles } }", "operationName": "Roles"}]
    answer = await http.post("/graphql", json=batch, headers=auth)
    assert answer.status_code == 200
    first, second, third = answer.json()
    assert first["data"]["viewer"]["user"]["fullName"]
    assert second["errors"] and not second.get("data")
    assert third["data"]["viewer"]["roles"]


async def test_batches_are_capped_and_can_be_turned_off(db, org: Org, tmp_path) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {org.tokens['admin']}"}
    for batch_max, size, code in ((2, 3, "BATCH_TOO_LARGE"), (0, 1, "BATCHING_DISABLED")):
        app = create_app(settings_for_test(file_store_dir=str(tmp_path / "files"), batch_max=batch_max), db=db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as client:
            answer = await client.post("/graphql", json=[{"query": VIEWER}] * size, headers=headers)
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["extensions"]["code"] == code


async def test_cors_preflight_and_answer_for_a_configured_origin(db, org: Org, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """R-WEB-1: the configured origin gets a preflight allowing the headers Relate reads;
    another origin gets none."""
    app = create_app(settings_for_test(file_store_dir=str(tmp_path / "files"),
                                   cors_origins=["https://app.example"]), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as client:
        preflight = await client.options("/graphql", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, apollo-require-preflight"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert {"authorization", "content-type", "apollo-require-preflight"} <= {h.strip() for h in allowed.split(",")}
        assert "access-control-allow-credentials" not in preflight.headers
        answer = await client.post("/graphql", json={"query": VIEWER}, headers={
            "Origin": "https://app.example", "Authorization": f"Bearer {org.tokens['admin']}"})
        assert answer.headers["access-control-allow-origin"] == "https://app.example"
        assert answer.json()["data"]["viewer"]["user"]["fullName"]
        foreign = await client.options("/graphql", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert foreign.status_code == 400 and "access-control-allow-origin" not in foreign.headers


async def test_no_cors_answers_by_default(http: httpx.AsyncClient) -> None:
    preflight = await http.options("/graphql", headers={"Origin": "https://app.example",
                                                        "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
