"""Optional OpenTelemetry tracing: off by default; when on, the synchronous Strawberry
extension opens spans for operations and resolvers, without recording arguments."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from graph.db import Database
from server.app import create_app
from server.tracing import tracing_extensions
from tests.ops.conftest import ops_settings
from tests.support.org import Org

trace = pytest.importorskip("opentelemetry.trace")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
export = pytest.importorskip("opentelemetry.sdk.trace.export")
in_memory = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")


def exporter() -> object:
    """Spans of this test, from the process-wide provider (set once per process)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, sdk_trace.TracerProvider):
        trace.set_tracer_provider(sdk_trace.TracerProvider())
        provider = trace.get_tracer_provider()
    found = in_memory.InMemorySpanExporter()
    provider.add_span_processor(export.SimpleSpanProcessor(found))
    return found


def test_tracing_is_off_unless_enabled(tmp_path: Path) -> None:
    assert tracing_extensions(ops_settings(tmp_path)) == []
    [extension] = tracing_extensions(ops_settings(tmp_path, tracing_enabled=True))
    assert extension.func.__name__ == "OpenTelemetryExtensionSync"  # type: ignore[attr-defined]


async def test_an_operation_is_traced_without_its_arguments(db: Database, org: Org, tmp_path: Path) -> None:
    spans = exporter()
    app = create_app(ops_settings(tmp_path, tracing_enabled=True), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        response = await http.post("/graphql", headers={"Authorization": f"Bearer {org.tokens['sales1']}"}, json={
            "query": "query Find($text: String!) { quickFind(text: $text) { __typename } viewer { roles } }",
            "variables": {"text": "chris.preston@example.com"}, "operationName": "Find"})
    assert response.status_code == 200 and "errors" not in response.json()
    finished = spans.get_finished_spans()  # type: ignore[attr-defined]
    names = [s.name for s in finished]
    assert "GraphQL Query: Find" in names and "GraphQL Parsing" in names and "GraphQL Validation" in names
    assert {"GraphQL Resolving: quickFind", "GraphQL Resolving: viewer"} <= set(names)
    attributes = [dict(s.attributes or {}) for s in finished]
    assert not any(k.startswith("graphql.param.") for a in attributes for k in a)
    assert not any("chris.preston@example.com" in str(v) for a in attributes for v in a.values())
