"""Structured logs: JSON lines that carry the request id, the same id the client gets in
`X-Request-Id` and, for a masked bug, in `extensions.requestId` beside `errorId` (R-API-3)."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from graph.queries import records as record_queries
from server.json_logs import JsonFormatter, install_request_id_factory
from tests.support.client import Api


async def test_a_masked_bug_carries_the_request_id_that_its_log_line_carries(
    api: Api, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_request_id_factory()
    failure = RuntimeError("simulated bug")

    def broken(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(record_queries, "list_query", broken)
    with caplog.at_level(logging.INFO):
        response = await http.post("/graphql", json={"query": "{ accounts { totalCount } }"},
                                   headers={"Authorization": f"Bearer {api.tokens['sales1']}",
                                            "X-Request-Id": "lb-2f9c41"})
    assert response.status_code == 200 and response.headers["x-request-id"] == "lb-2f9c41"
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL" and error["extensions"]["requestId"] == "lb-2f9c41"
    error_id = error["extensions"]["errorId"]
    assert error["message"] == f"internal error {error_id}"

    [record] = [r for r in caplog.records if r.name == "relate.errors"]
    assert record.request_id == "lb-2f9c41"  # type: ignore[attr-defined]
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["logger"] == "relate.errors"
    assert line["request_id"] == "lb-2f9c41" and error_id in line["message"]
    assert "RuntimeError: simulated bug" in line["exception"]


async def test_without_a_request_the_id_is_null_and_extras_are_kept() -> None:
    install_request_id_factory()
    record = logging.getLogger("relate.test").makeRecord(
        "relate.test", logging.INFO, __file__, 1, "relay stamped %d events", (3,), None,
        extra={"high": 42})
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "relay stamped 3 events" and line["request_id"] is None and line["high"] == 42
    assert line["time"].endswith("+00:00")


async def test_each_request_gets_its_own_id(http: httpx.AsyncClient) -> None:
    ids = {(await http.get("/healthz")).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5
