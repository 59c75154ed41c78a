"""Issue 15's "Done when", as a script a new organisation would run (SPEC §11), on SQLite and
PostgreSQL: from an empty database, only the CLI and the GraphQL API.

An administrator, two units (North, South), a team, a custom role that reads only its own
unit, three users. Nina (North) cannot see South's account anywhere (list, node, timeline,
counts, reports, quick find, subscriptions); once it is shared with her she sees it, its
timeline and its live events; once unshared, her open subscription ends with a typed error.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from graph.db import Database
from server.app import create_app
from server.settings import get_settings
from tests.support.cli import arelate
from tests.support.ws import StreamEnded, serve, ws_connect

SECURED = ("ACCOUNT", "CONTACT", "LEAD", "OPPORTUNITY", "CASE", "ACTIVITY", "NOTE")
TIMELINE_SUB = """subscription($id: ID!, $after: String) { timelineChanged(recordId: $id, after: $after) {
  entry { ... on Task { subject } } } }"""
SEES = """query($id: ID!) {
  accounts(first: 50) { totalCount edges { node { name } } }
  node(id: $id) { ... on Account { name } }
  quickFind(text: "wind") { name }
  pipelineReport { count }
}"""
REPORT = "query($id: ID!) { activityReport(filter: {recordId: $id}) { total } }"
TIMELINE = "query($id: ID!) { timeline(recordId: $id, first: 10) { edges { node { ... on Task { subject } } } } }"


@pytest.fixture
async def empty_database(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """An empty database the CLI and a served app are pointed at (settings from the environment)."""
    schema = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'organisation.db'}"
    else:
        url = os.environ["RELATE_TEST_DATABASE_URL"]
        schema = f"relate_org_{uuid.uuid4().hex[:10]}"
        monkeypatch.setenv("RELATE_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("RELATE_DATABASE_URL", url)
    monkeypatch.setenv("RELATE_BROADCAST_URL", "memory://")
    monkeypatch.setenv("RELATE_FILE_STORE_DIR", str(tmp_path / "files"))
    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_settings.cache_clear()
        if schema is not None:
            cleanup = Database.connect(url, pool_size=1)
            async with cleanup.writer.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await cleanup.dispose()


class Client:
    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http, self.token = http, token

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}},
                                        headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code == 200, response.text
        return response.json()

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.raw(query, variables)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def ok(self, name: str, values: dict[str, Any], selection: str) -> dict[str, Any]:
        type_name = name[0].upper() + name[1:] + "Input"
        data = await self(f"mutation($i: {type_name}!) {{ {name}(input: $i) {{ errors {{ code message }} {selection} }} }}",
                          {"i": values})
        assert data[name]["errors"] == [], data[name]["errors"]
        return data[name]


async def cli_token(*args: str) -> str:
    result = await arelate(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


async def test_a_new_organisation_from_an_empty_database(empty_database: str) -> None:
    assert (await arelate("migrate")).exit_code == 0
    admin_token = await cli_token("admin", "create", "cleo@acme.example", "--name", "Cleo Admin")
    app = create_app(get_settings())
    async with serve(app) as ws_url:
        base = ws_url.replace("ws://", "http://").removesuffix("/graphql")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            admin = Client(http, admin_token)
            root = (await admin("{ businessUnits { id name } }"))["businessUnits"][0]["id"]
            north = (await admin.ok("createBusinessUnit", {"name": "North", "parentId": root}, "businessUnit { id }"))
            south = (await admin.ok("createBusinessUnit", {"name": "South", "parentId": root}, "businessUnit { id }"))
            north_id, south_id = north["businessUnit"]["id"], south["businessUnit"]["id"]
            roles = {r["name"]: r["id"] for r in (await admin("{ roles { id name } }"))["roles"]}
            regional = (await admin.ok("copyRole", {"roleId": roles["salesperson"], "name": "Regional seller"},
                                       "role { id }"))["role"]["id"]
            await admin.ok("updateRolePrivileges", {"roleId": regional, "privileges": [
                {"recordType": t, "action": "READ", "depth": "BUSINESS_UNIT"} for t in SECURED]}, "role { id }")
            people = {}
            for key, unit in (("nina", north_id), ("olaf", north_id), ("sam", south_id)):
                made = await admin.ok("createUser", {"email": f"{key}@acme.example", "fullName": key.title(),
                                                     "businessUnitId": unit, "roleIds": [regional]}, "user { id }")
                people[key] = made["user"]["id"]
            await admin.ok("createTeam", {"name": "North sellers", "businessUnitId": north_id,
                                          "memberIds": [people["nina"], people["olaf"]]}, "team { id }")
            nina = Client(http, await cli_token("token", "create", "nina@acme.example"))
            sam = Client(http, await cli_token("token", "create", "sam@acme.example"))

            await nina.ok("createAccount", {"name": "Northstar"}, "account { id }")
            southwind = (await sam.ok("createAccount", {"name": "Southwind"}, "account { id }"))["account"]["id"]
            await sam.ok("createTask", {"subject": "Call Southwind", "regardingId": southwind}, "task { id }")
            await sam.ok("createOpportunity", {"topic": "Southwind renewal", "customerId": southwind},
                         "opportunity { id }")

            async def what_nina_sees() -> dict[str, Any]:
                data = await nina(SEES, {"id": southwind})
                timeline = await nina.raw(TIMELINE, {"id": southwind})
                report = await nina.raw(REPORT, {"id": southwind})
                return {"accounts": sorted(e["node"]["name"] for e in data["accounts"]["edges"]),
                        "count": data["accounts"]["totalCount"], "node": data["node"],
                        "quickFind": [r["name"] for r in data["quickFind"]],
                        "opportunities": data["pipelineReport"]["count"],
                        "activities": (report["data"] or {}).get("activityReport") and
                        report["data"]["activityReport"]["total"],
                        "timeline": (timeline["data"] or {}).get("timeline") and
                        [e["node"]["subject"] for e in timeline["data"]["timeline"]["edges"]]}

            hidden = {"accounts": ["Northstar"], "count": 1, "node": None, "quickFind": [], "opportunities": 0,
                      "activities": None, "timeline": None}
            assert await what_nina_sees() == hidden
            after = (await nina("{ liveCursor }"))["liveCursor"]
            async with ws_connect(ws_url, nina.token) as ws:
                refused = await ws.subscribe(TIMELINE_SUB, {"id": southwind, "after": after})
                with pytest.raises(StreamEnded) as not_hers:
                    await ws.next(refused)
                assert not_hers.value.codes == ["NOT_FOUND"]

                await admin.ok("shareRecord", {"recordId": southwind, "principalId": people["nina"]}, "grant { rights }")
                assert await what_nina_sees() == {
                    "accounts": ["Northstar", "Southwind"], "count": 2, "node": {"name": "Southwind"},
                    "quickFind": ["Southwind"], "opportunities": 0, "activities": 1,
                    "timeline": ["Call Southwind"]}
                op = await ws.subscribe(TIMELINE_SUB, {"id": southwind, "after": after})
                await sam.ok("createTask", {"subject": "Send the quote", "regardingId": southwind}, "task { id }")
                subjects = [(await ws.next(op))["timelineChanged"]["entry"]["subject"]]
                assert subjects == ["Send the quote"]

                await admin.ok("unshareRecord", {"recordId": southwind, "principalId": people["nina"]}, "recordId")
                with pytest.raises(StreamEnded) as revoked:
                    await ws.next(op)
                assert revoked.value.codes == ["ACCESS_REVOKED"]
            assert await what_nina_sees() == hidden
