"""A browser app on its own origin (R-WEB-1, R-WEB-3, R-WEB-5): a page served by the test
on another port calls Relate across origins, in headless Chromium that reaches nothing
but 127.0.0.1: a query (CORS preflight with Authorization), Apollo's automatic persisted
queries (hash miss → register → hash hit, over POST and GET), a batch of three, a live
subscription over graphql-transport-ws, and `connection_init` with each token key.

The page has no libraries: what it sends is exactly what Apollo's links and graphql-ws
send on the wire, so the test pins the protocol, not a client version.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.ops.browser import Page, chromium
from tests.ops.conftest import Serve
from tests.support.org import Org
from tests.support.ws import serve

APP_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>another origin</title></head><body>
<script>
const ME = "query Me { viewer { user { fullName } } }";
let relate = "", token = "";
window.events = [];
window.setup = (base, t) => { relate = base; token = t; return true; };

async function post(body, extra) {
  const answer = await fetch(relate + "/graphql", {method: "POST", body: JSON.stringify(body),
    headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token,
              "Accept": "application/graphql-response+json,application/json;q=0.9", ...(extra || {})}});
  return {status: answer.status, type: answer.headers.get("content-type"), body: await answer.json()};
}
async function get(params) {
  const answer = await fetch(relate + "/graphql?" + new URLSearchParams(params),
    {headers: {"Authorization": "Bearer " + token, "Accept": "application/graphql-response+json,application/json;q=0.9"}});
  return {status: answer.status, body: await answer.json()};
}
async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, "0")).join("");
}

window.query = () => post({query: ME, operationName: "Me"});

window.persisted = async () => {
  const query = "query Roles { viewer { roles } }";
  const extensions = {persistedQuery: {version: 1, sha256Hash: await sha256(query)}};
  const miss = await post({operationName: "Roles", variables: {}, extensions});
  const register = await post({query, operationName: "Roles", variables: {}, extensions});
  const hit = await post({operationName: "Roles", variables: {}, extensions});
  const other = "query Name { viewer { user { fullName } } }";
  const otherExtensions = {persistedQuery: {version: 1, sha256Hash: await sha256(other)}};
  const params = {operationName: "Name", variables: "{}", extensions: JSON.stringify(otherExtensions)};
  const getMiss = await get(params);
  const getRegister = await get({...params, query: other});
  const getHit = await get(params);
  return {miss, register, hit, getMiss, getRegister, getHit};
};

window.batch = () => post([{query: ME}, {query: "{ viewer { roles } }"}, {query: "{ liveCursor }"}]);

function socket(payload, onNext) {
  return new Promise((resolve) => {
    const ws = new WebSocket(relate.replace("http", "ws") + "/graphql", "graphql-transport-ws");
    ws.onopen = () => ws.send(JSON.stringify({type: "connection_init", payload}));
    ws.onclose = (e) => resolve({closed: e.code, reason: e.reason});
    ws.onmessage = (m) => {
      const message = JSON.parse(m.data);
      if (message.type === "connection_ack") {
        if (!onNext) { ws.close(1000); resolve({ack: true}); return; }
        onNext(ws);
        resolve({ack: true});
      } else if (message.type === "next") {
        window.events.push(message.payload);
      } else if (message.type === "ping") {
        ws.send(JSON.stringify({type: "pong"}));
      }
    };
  });
}

window.subscribe = (recordId, after) => socket({authorization: "Bearer " + token}, (ws) => ws.send(JSON.stringify({
  id: "1", type: "subscribe", payload: {
    query: "subscription($r: ID!, $a: String) { timelineChanged(recordId: $r, after: $a) { cursor change entry { ... on Activity { subject } } } }",
    variables: {r: recordId, a: after}}})));

window.tokenKeys = async (wrong) => {
  const t = wrong ? "not-a-token" : token;
  const payloads = {authorization: {authorization: "Bearer " + t}, Authorization: {Authorization: "Bearer " + t},
                    authToken: {authToken: t}, token: {token: t}, "headers.Authorization": {headers: {Authorization: "Bearer " + t}}};
  const seen = {};
  for (const [key, payload] of Object.entries(payloads)) seen[key] = await socket(payload);
  return seen;
};
</script></body></html>
"""


@asynccontextmanager
async def other_origin() -> AsyncIterator[str]:
    """The browser app's own server: same host, another free port, so another origin."""
    app = Starlette(routes=[Route("/", lambda _: HTMLResponse(APP_PAGE))])
    async with serve(app) as ws_url:
        yield ws_url.replace("ws://", "http://").removesuffix("/graphql")


async def call(page: Page, expression: str) -> Any:
    return await page.evaluate(expression)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_page_on_another_origin_queries_and_subscribes(
    served: Serve, org: Org, browser_path: str, tmp_path: Path,
) -> None:
    async with other_origin() as app_origin, served(cors_origins=[app_origin]) as server, \
            chromium(browser_path, tmp_path) as page:
        api, token = server.api, org.tokens["sales1"]
        await page.navigate(app_origin + "/")
        await page.wait_for("typeof window.setup === 'function'", what="the app page")
        await call(page, f"setup({json.dumps(server.base)}, {json.dumps(token)})")

        queried = await call(page, "query()")
        assert queried["status"] == 200 and queried["type"].startswith("application/graphql-response+json")
        viewer = (await api("{ viewer { user { fullName } } }", as_="sales1"))["viewer"]["user"]["fullName"]
        assert queried["body"]["data"]["viewer"]["user"]["fullName"] == viewer

        apq = await call(page, "persisted()")
        for miss in (apq["miss"], apq["getMiss"]):
            assert miss["status"] == 200
            assert miss["body"] == {"errors": [{"message": "PersistedQueryNotFound",
                                                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
        assert apq["register"]["body"]["data"]["viewer"]["roles"] == apq["hit"]["body"]["data"]["viewer"]["roles"]
        assert apq["hit"]["status"] == 200 and apq["getHit"]["status"] == 200
        assert apq["getRegister"]["body"] == apq["getHit"]["body"]
        assert apq["getHit"]["body"]["data"]["viewer"]["user"]["fullName"] == viewer

        batch = await call(page, "batch()")
        assert batch["status"] == 200 and len(batch["body"]) == 3
        assert [sorted(result["data"]) for result in batch["body"]] == [["viewer"], ["viewer"], ["liveCursor"]]

        assert await call(page, "tokenKeys(false)") == {key: {"ack": True} for key in
                                                        ("authorization", "Authorization", "authToken", "token",
                                                         "headers.Authorization")}
        refused = await call(page, "tokenKeys(true)")
        assert {result["closed"] for result in refused.values()} == {4403}
        assert all("do not retry" in result["reason"] for result in refused.values())

        account = (await api.ok("createAccount", {"name": "Import Sports"}, "account { id }", as_="sales1"))["account"]["id"]
        cursor = (await api("{ liveCursor }", as_="sales1"))["liveCursor"]
        assert await call(page, f"subscribe({json.dumps(account)}, {json.dumps(cursor)})") == {"ack": True}
        await api.ok("createTask", {"subject": "Send the brochure", "regardingId": account}, "task { id }", as_="sales1")
        event = await page.wait_for("window.events.length > 0 && window.events[0]", what="the live event")
        assert event["data"]["timelineChanged"]["entry"] == {"subject": "Send the brochure"}
        requests, problems = list(page.requests), list(page.problems)
    assert not [url for url in requests if not url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:"))]
    assert problems == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_an_origin_not_configured_is_refused(
    served: Serve, org: Org, browser_path: str, tmp_path: Path,
) -> None:
    async with other_origin() as app_origin, served() as server, chromium(browser_path, tmp_path) as page:
        await page.navigate(app_origin + "/")
        await page.wait_for("typeof window.setup === 'function'", what="the app page")
        await call(page, f"setup({json.dumps(server.base)}, {json.dumps(org.tokens['sales1'])})")
        failed = await call(page, "query().then(() => 'answered', (e) => e.name)")
        closed = await call(page, "tokenKeys(false).then(seen => seen.authorization)")
        page.problems.clear()  # the browser logs the refusals it enforced
    assert failed == "TypeError"  # the browser withheld the answer: no CORS headers
    assert closed["closed"] == 1006  # the upgrade was refused with 403
