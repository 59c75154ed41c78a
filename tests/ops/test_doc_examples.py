"""Every example in README.md and docs/*.md runs against the real app without errors.

GraphQL blocks are posted (subscriptions opened over graphql-transport-ws and fed a
change), `curl` commands are replayed with their headers and bodies, and response samples
must be valid JSON. See tests/ops/doc_examples.py for the conventions the docs follow.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationType, get_operation_ast, parse

from graph.rules.webhooks import new_secret, signature_headers
from tests.ops.conftest import Serve, Served, until
from tests.ops.receiver import Receiver
from tests.ops.doc_examples import Example, examples, parse_curl
from tests.support.org import Org
from tests.support.ws import ws_connect

EXAMPLES = examples()
EXAMPLE_HOOK = "https://hooks.example/relate"
# The contacts.csv of docs/import.md.
CONTACTS_CSV = b"First Name,Last Name,E-mail,Company\nAda,Lovelace,ada@example.org,Import Sports\nGrace,Hopper,grace@example.org,\n"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_the_docs_have_examples_of_every_kind() -> None:
    kinds = {e.kind for e in EXAMPLES}
    assert kinds == {"graphql", "curl", "json", "python"}, kinds
    assert sum(e.kind == "graphql" for e in EXAMPLES) >= 10


@dataclass
class Known:
    """The well-known data the examples refer to by variable name or placeholder."""

    ids: dict[str, str]
    token: str
    receiver_url: str = ""

    def variables(self, document: str) -> dict[str, Any]:
        declared = set(re.findall(r"\$(\w+)\s*:", document))
        return {name: self.ids[name] for name in declared if name in self.ids}

    def replacements(self) -> dict[str, str]:
        return {"$TOKEN": self.token, "<token>": self.token, "<note id>": self.ids["noteId"],
                "<record id>": self.ids["recordId"], "<account id>": self.ids["accountId"],
                "<contact id>": self.ids["contactId"], "<task id>": self.ids["taskId"],
                "<webhook id>": self.ids["webhookId"], EXAMPLE_HOOK: self.receiver_url}

    def localise(self, variables: dict[str, Any] | None) -> dict[str, Any]:
        """Example endpoints become the test's receiver on 127.0.0.1: nothing leaves the machine."""
        return json.loads(json.dumps(variables or {}).replace(EXAMPLE_HOOK, self.receiver_url))


async def known_data(server: Served, org: Org) -> Known:
    api = server.api
    account = (await api.ok("createAccount", {"name": "Import Sports", "website": "https://importsports.example"},
                            "account { id }"))["account"]["id"]
    contact = (await api.ok("createContact", {"firstName": "Chris", "lastName": "Preston", "accountId": account,
                                              "email": "chris.preston@importsports.example"},
                            "contact { id }"))["contact"]["id"]
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    task = (await api.ok("createTask", {"subject": "Call Chris", "regardingId": contact, "due": due},
                         "task { id }"))["task"]["id"]
    note = (await api.ok("addNote", {"recordId": account, "title": "Meeting notes", "text": "Renewal in May"},
                         "note { id }"))["note"]["id"]
    # Inactive: the example endpoint does not exist; nothing is sent to it.
    webhook = (await api.ok("createWebhook", {"url": "https://hooks.example/relate", "active": False},
                            "webhook { id }"))["webhook"]["id"]
    ids = {"id": account, "recordId": account, "accountId": account, "contactId": contact, "taskId": task,
           "activityId": task, "noteId": note, "webhookId": webhook, "text": "preston"}
    return Known(ids, org.tokens["admin"])


def payload_errors(data: dict[str, Any] | None) -> list[Any]:
    """`errors` of every mutation payload in the answer (expected failures are data)."""
    return [e for v in (data or {}).values() if isinstance(v, dict) for e in v.get("errors") or []]


async def trigger(server: Served, known: Known) -> None:
    """Changes every subscription in the docs hears about: a record, a timeline, a work list."""
    due = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    await server.api.ok("updateAccount", {"id": known.ids["accountId"], "phone": "+1 555 0199"}, "account { id }")
    await server.api.ok("createTask", {"subject": "Follow up", "regardingId": known.ids["contactId"], "due": due},
                        "task { id }")


async def run_graphql(server: Served, known: Known, example: Example) -> None:
    document = example.text
    operation = get_operation_ast(parse(document))
    assert operation is not None, f"{example.block.where}: one operation per block"
    variables = {**known.variables(document), **known.localise(example.variables)}
    if operation.operation == OperationType.SUBSCRIPTION:
        url = server.base.replace("http://", "ws://") + "/graphql"
        async with ws_connect(url, known.token) as ws:
            op = await ws.subscribe(document, variables)
            await trigger(server, known)
            data = await ws.next(op)
        assert data, f"{example.block.where}: no event"
        return
    body = await server.api.raw(document, variables)
    assert not body.get("errors"), f"{example.block.where}: {body.get('errors')}"
    assert payload_errors(body["data"]) == [], f"{example.block.where}: {body['data']}"


async def run_curl(server: Served, known: Known, example: Example, tmp_path: Path) -> None:
    request = parse_curl(example.text, known.replacements())
    files = []
    form: dict[str, str] = {}
    for name, value in request.form:
        if value.startswith("@"):
            upload = tmp_path / value[1:]
            upload.write_bytes({".pdf": PDF, ".csv": CONTACTS_CSV}.get(upload.suffix, b"example file\n"))
            files.append((name, (upload.name, upload.read_bytes())))
        else:
            form[name] = value
    async def send() -> httpx.Response:
        return await server.http.request(
            request.method, request.path, headers=request.headers,
            content=request.data.encode() if request.data is not None else None,
            data=form or None, files=files or None,
        )

    response = await send()
    if request.path == "/readyz":  # the broker connects just after start-up
        await until(lambda: ready(send))
        response = await send()
    assert response.status_code == 200, f"{example.block.where}: {response.status_code} {response.text[:500]}"
    if request.path.startswith("/graphql"):
        body = response.json()
        assert not body.get("errors"), f"{example.block.where}: {body.get('errors')}"
        assert payload_errors(body["data"]) == [], f"{example.block.where}: {body['data']}"


async def ready(send: Any) -> bool:
    return (await send()).status_code == 200


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind in ("graphql", "curl")],
                         ids=lambda e: f"{e.block.where}-{e.kind}")
async def test_the_example_runs_without_errors(
    served: Serve, org: Org, example: Example, tmp_path: Path, receiver: Receiver,
) -> None:
    async with served() as server:
        known = await known_data(server, org)
        known.receiver_url = receiver.url
        if example.kind == "graphql":
            await run_graphql(server, known, example)
        else:
            await run_curl(server, known, example, tmp_path)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "json"],
                         ids=lambda e: e.block.where)
def test_the_response_sample_is_json(example: Example) -> None:
    json.loads(example.text)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "python"],
                         ids=lambda e: e.block.where)
def test_the_python_example_runs(example: Example) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(example.text, example.block.where, "exec"), namespace)  # noqa: S102 - our own docs
    verify = namespace.get("verify")
    if verify is not None:  # a receiver's signature check must agree with what Relate sends
        body = b'{"eventId":"7","seq":7}'
        secret, other = new_secret(), new_secret()
        fresh = signature_headers(secret, "evt_7", datetime.now(UTC), body)
        old = signature_headers(secret, "evt_7", datetime.now(UTC) - timedelta(minutes=10), body)
        assert verify(secret, fresh, body)
        assert not verify(secret, fresh, body + b" ")
        assert not verify(other, fresh, body)
        assert not verify(secret, old, body)  # a replayed delivery: its signed timestamp is old


def test_the_curl_parser_reads_what_the_readme_writes() -> None:
    request = parse_curl(
        "curl -s http://127.0.0.1:8000/graphql -H \"Authorization: Bearer $TOKEN\" "
        "-H 'Content-Type: application/json' -d '{\"query\": \"{ viewer { roles } }\"}'", {"$TOKEN": "rel_x"})
    assert (request.method, request.path, request.headers["Authorization"]) == ("POST", "/graphql", "Bearer rel_x")
    assert json.loads(request.data or "") == {"query": "{ viewer { roles } }"}
    assert httpx.URL("http://relate.test" + request.path).path == "/graphql"
