"""Sign-in with the organisation's identity provider (R-AUTH-1), against a real issuer.

The test is the issuer: it makes its own RSA keys, serves their JWKS over HTTP on
127.0.0.1 (a free port) and signs access tokens. Relate must accept a good token over HTTP
and websockets, and answer every bad one exactly as it answers no token: UNAUTHENTICATED,
nothing else learned.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph.db import Database
from server import identity
from server.app import create_app
from tests.support.client import gid
from tests.support.databases import test_settings as make_settings
from tests.support.org import Org
from tests.support.ws import serve, ws_connect

ISSUER = "https://login.example/tenant"
AUDIENCE = "api://relate"
VIEWER = "{ viewer { roles user { email fullName businessUnit { name } } } }"


@dataclass
class Issuer:
    """Keys by kid; the JWKS served lists `published` of them."""

    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)
    fetches: int = 0
    url: str = ""
    # When set, the JWKS endpoint answers only once it is: a slow identity provider.
    gate: asyncio.Event | None = None
    asked: asyncio.Event = field(default_factory=asyncio.Event)

    def new_key(self, kid: str, publish: bool = True) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if publish:
            self.published.append(kid)

    def jwks(self) -> dict[str, Any]:
        found = []
        for kid in self.published:
            jwk = json.loads(RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
            found.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": found}

    def token(self, kid: str = "k1", *, key_of: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now - 5, "exp": now + 600,
                "email": "sales1@test.relate", **claims}
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.keys[key_of or kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    found = Issuer()
    found.new_key("k1")

    async def jwks(request: Request) -> JSONResponse:
        found.fetches += 1
        found.asked.set()
        if found.gate is not None:
            await found.gate.wait()
        return JSONResponse(found.jwks())

    async with serve(Starlette(routes=[Route("/keys", jwks)])) as ws_url:
        found.url = ws_url.replace("ws://", "http://").replace("/graphql", "/keys")
        yield found


def provider_settings(issuer: Issuer, tmp_path: Path, **overrides: Any) -> Any:
    values: dict[str, Any] = {"file_store_dir": str(tmp_path / "files"), "oidc_issuer": ISSUER,
                              "oidc_audience": AUDIENCE, "oidc_jwks_url": issuer.url,
                              "oidc_jwks_min_refresh_seconds": 0.0, **overrides}
    return make_settings(**values)


@pytest.fixture
def relate(db: Database, org: Org, issuer: Issuer, tmp_path: Path) -> Callable[..., Any]:
    def make(**overrides: Any) -> Any:
        return create_app(provider_settings(issuer, tmp_path, **overrides), db=db)
    return make


async def ask(app: Any, token: str | None, query: str = VIEWER) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        response = await http.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def refused(body: dict[str, Any]) -> dict[str, Any]:
    """What a refused request learns: the whole body, which must be the no-token one."""
    assert body["data"] is None
    return body


async def test_a_token_from_the_issuer_signs_in_over_http(relate: Callable[..., Any], issuer: Issuer) -> None:
    body = await ask(relate(), issuer.token())
    assert body["data"]["viewer"] == {"roles": ["salesperson"], "user": {
        "email": "sales1@test.relate", "fullName": "Sam Seller", "businessUnit": {"name": "Sales"}}}
    again = await ask(relate(), issuer.token(email="SALES1@Test.Relate"))
    assert again["data"]["viewer"]["user"]["email"] == "sales1@test.relate"  # emails ignore case


async def test_every_bad_token_is_refused_exactly_like_no_token(
        relate: Callable[..., Any], issuer: Issuer, org: Org, db: Database) -> None:
    app = relate()
    baseline = refused(await ask(app, None))
    assert [e["extensions"]["code"] for e in baseline["errors"]] == ["UNAUTHENTICATED"]
    issuer.new_key("stranger", publish=False)
    now = int(time.time())
    header = {"alg": "none", "typ": "JWT", "kid": "k1"}
    unsigned = ".".join(jwt.utils.base64url_encode(json.dumps(part).encode()).decode() for part in (
        header, {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, "email": "sales1@test.relate"})) + "."
    # HS256 with the issuer's public key as the shared secret: the classic algorithm confusion.
    public_pem = issuer.keys["k1"].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = ".".join(jwt.utils.base64url_encode(json.dumps(part).encode()).decode() for part in (
        {"alg": "HS256", "typ": "JWT", "kid": "k1"},
        {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, "email": "sales1@test.relate"}))
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    hmac_with_public_key = f"{signing_input}.{jwt.utils.base64url_encode(signature).decode()}"
    await ask(app, issuer.token())  # the keys are cached from here on
    bad = {
        "expired": issuer.token(exp=now - 120, iat=now - 900, nbf=now - 900),
        "not yet valid": issuer.token(nbf=now + 3600),
        "wrong audience": issuer.token(aud="api://someone-else"),
        "wrong issuer": issuer.token(iss="https://evil.example"),
        "no expiry": issuer.token(exp=None),
        "wrong key": issuer.token(kid="k1", key_of="stranger"),
        "unknown kid": issuer.token(kid="stranger"),
        "alg none": unsigned,
        "HS256": hmac_with_public_key,
        "garbage": "a.b.c",
        "unknown user": issuer.token(email="nobody@test.relate"),
        "no email claim": issuer.token(email=None),
    }
    for case, token in bad.items():
        assert refused(await ask(app, token)) == baseline, case
    # A deactivated user's valid token stops at once.
    admin = issuer.token(email="admin@test.relate")
    assert (await ask(app, admin))["data"]["viewer"]["user"]["email"] == "admin@test.relate"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        done = await http.post("/graphql", json={"query": "mutation($i: DeactivateUserInput!) { deactivateUser(input: $i) "
                                                          "{ errors { code } } }",
                                                 "variables": {"i": {"id": gid("User", org.users["sales1"])}}},
                               headers={"Authorization": f"Bearer {admin}"})
    assert done.json()["data"]["deactivateUser"]["errors"] == []
    assert refused(await ask(app, issuer.token())) == baseline


async def test_keys_are_cached_and_fetched_again_for_a_new_kid(relate: Callable[..., Any], issuer: Issuer) -> None:
    app = relate()
    for _ in range(3):
        assert (await ask(app, issuer.token()))["data"]["viewer"] is not None
    assert issuer.fetches == 1
    issuer.new_key("k2")  # the provider rotates its keys
    assert (await ask(app, issuer.token(kid="k2")))["data"]["viewer"]["user"]["email"] == "sales1@test.relate"
    assert issuer.fetches == 2


async def test_unknown_kids_do_not_make_relate_fetch_keys_every_time(
        relate: Callable[..., Any], issuer: Issuer) -> None:
    app = relate(oidc_jwks_min_refresh_seconds=3600.0)
    await ask(app, issuer.token())
    issuer.new_key("stranger", publish=False)
    for _ in range(3):
        refused(await ask(app, issuer.token(kid="stranger")))
    assert issuer.fetches == 1


async def test_unknown_users_join_the_configured_unit_and_role_just_in_time(
        relate: Callable[..., Any], issuer: Issuer, db: Database) -> None:
    app = relate(oidc_jit_business_unit="Sales West", oidc_jit_role="salesperson")
    email = f"new.{uuid.uuid4().hex[:8]}@test.relate"
    body = await ask(app, issuer.token(email=email, name="New Person"))
    assert body["data"]["viewer"] == {"roles": ["salesperson"], "user": {
        "email": email, "fullName": "New Person", "businessUnit": {"name": "Sales West"}}}
    again = await ask(app, issuer.token(email=email))
    assert again["data"]["viewer"]["user"]["email"] == email
    users = (await ask(app, issuer.token(email="admin@test.relate"),
                       '{ users(filter: {text: "new."}) { totalCount } }'))["data"]["users"]
    assert users["totalCount"] == 1


async def test_a_token_from_the_issuer_signs_in_over_a_websocket(
        db: Database, org: Org, issuer: Issuer, tmp_path: Path) -> None:
    app = create_app(provider_settings(issuer, tmp_path), db=db)
    async with serve(app) as url:
        async with ws_connect(url, issuer.token()) as ws:
            op = await ws.subscribe("subscription { workListChanged { cursor } }", {})
            assert op
        async with ws_connect(url, None, init=False) as ws:
            await ws._send({"type": "connection_init",
                            "payload": {"authorization": f"Bearer {issuer.token(aud='api://someone-else')}"}})
            assert (await ws.closed()).code == 4403


async def test_a_slow_key_fetch_does_not_stall_other_requests(
        relate: Callable[..., Any], issuer: Issuer, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """The JWKS is fetched without blocking the event loop: a Relate token is served meanwhile."""
    # The fetch waits at the gate until this test opens it, whatever the machine's load:
    # its own time limit (5 s) once ran out first, while the other request was served.
    monkeypatch.setattr(identity, "FETCH_TIMEOUT_SECONDS", 120.0)
    app = relate()
    issuer.gate = asyncio.Event()
    signing_in = asyncio.create_task(ask(app, issuer.token()))
    try:
        await asyncio.wait_for(issuer.asked.wait(), 60)  # the fetch has reached the provider and waits there
        other = await asyncio.wait_for(ask(app, org.tokens["sales2"]), 60)
        assert other["data"]["viewer"]["user"]["email"] == "sales2@test.relate"
        assert not signing_in.done()
    finally:
        issuer.gate.set()
    assert (await asyncio.wait_for(signing_in, 60))["data"]["viewer"]["user"]["email"] == "sales1@test.relate"
