"""Health, readiness and Prometheus metrics, scraped after real traffic on a real server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from graph.db import Database
from server.app import create_app
from tests.ops.conftest import Serve, ops_settings, until
from tests.support.client import Api
from tests.support.org import Org
from tests.support.ws import ws_connect

TIMELINE_SUB = "subscription($id: ID!) { timelineChanged(recordId: $id) { cursor entryId } }"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> dict:  # type: ignore[type-arg]
    response = await http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def test_health_readiness_and_metrics_after_real_traffic(served: Serve, org: Org, receiver) -> None:  # type: ignore[no-untyped-def]
    async with served() as server:
        http, api = server.http, server.api
        assert (await http.get("/healthz")).text == "ok"
        await until(lambda: ready(http))
        ready_body = (await http.get("/readyz")).json()
        assert ready_body == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}

        # Traffic: successes, a payload error, a typed query error, a rejected document.
        account = (await api.ok("createAccount", {"name": "Import Sports"}, "account { id }"))["account"]["id"]
        await api.ok("createAccount", {"name": "Wide World Importers"}, "account { id }")
        refused = await api.mutate("createAccount", {"name": ""}, "account { id }")
        assert refused["errors"]
        # Three different pages (the same query again could be answered by the response cache,
        # which skips GraphQL execution: such hits count in relate_http_requests_total only).
        for size in (1, 2, 10):
            await api("query($n: Int) { accounts(first: $n) { totalCount edges { node { id name "
                      "owner { ... on User { fullName } } } } } }", {"n": size}, as_="sales1")
        assert (await api.raw("{ accounts(first: 9999) { totalCount } }"))["errors"]
        assert (await api.raw("{ accounts { nope } }"))["errors"]
        # A webhook whose receiver is down: its failures are counted.
        await receiver.stop()
        await api.ok("createWebhook", {"url": receiver.url}, "webhook { id }")

        async with ws_connect(server.base.replace("http", "ws") + "/graphql", org.tokens["sales1"]) as ws:
            op = await ws.subscribe(TIMELINE_SUB, {"id": account})
            await api.ok("createTask", {"subject": "Call back", "regardingId": account}, "task { id }")
            assert (await ws.next(op))["timelineChanged"]["entryId"]
            found = await scrape(http)
            assert value(found, "relate_websocket_connections") == 1
            assert value(found, "relate_live_subscriptions") == 1
        await until(lambda: webhook_failed(http))
        await until(lambda: dispatched(http))
        found = await scrape(http)

    ops = "relate_graphql_operations_total"
    assert value(found, ops, operation="createAccount", type="mutation", outcome="ok") == 2
    assert value(found, ops, operation="createAccount", type="mutation", outcome="user_error") == 1
    assert value(found, ops, operation="accounts", type="query", outcome="ok") == 3
    assert value(found, ops, operation="accounts", type="query", outcome="error") == 1
    assert value(found, ops, operation="accounts", type="query", outcome="rejected") == 1
    assert value(found, ops, operation="timelineChanged", type="subscription", outcome="ok") == 1
    assert value(found, "relate_graphql_operation_duration_seconds_count", operation="accounts", type="query") == 5
    assert value(found, "relate_graphql_operation_duration_seconds_sum", operation="accounts", type="query") > 0
    # SQL statements per request: the three identical pages cost the same, a handful each.
    sql_count = value(found, "relate_sql_statements_per_request_count", operation="accounts")
    sql_sum = value(found, "relate_sql_statements_per_request_sum", operation="accounts")
    assert sql_count == 5 and 3 * 2 <= sql_sum <= 5 * 10
    assert value(found, "relate_http_requests_total", route="/graphql", method="POST", status="200") >= 10
    assert value(found, "relate_http_requests_total", route="/readyz", method="GET", status="200") >= 1
    assert value(found, "relate_websocket_connections") == 0  # the socket closed
    assert value(found, "relate_live_subscriptions") == 0
    assert value(found, "relate_outbox_head_seq") > 0
    assert value(found, "relate_outbox_lag_events") == 0 and value(found, "relate_outbox_lag_seconds") == 0
    assert value(found, "relate_webhook_delivery_failures_total") >= 1
    assert value(found, "relate_webhook_deliveries_total") == 0
    assert value(found, "relate_webhook_backlog_events") >= 1
    print(f"\n[metrics] SQL statements per accounts page: {sql_sum / sql_count:.1f}; "
          f"webhook failures {value(found, 'relate_webhook_delivery_failures_total'):.0f}")


async def ready(http: httpx.AsyncClient) -> bool:
    return (await http.get("/readyz")).status_code == 200


async def webhook_failed(http: httpx.AsyncClient) -> bool:
    return value(await scrape(http), "relate_webhook_delivery_failures_total") >= 1


async def dispatched(http: httpx.AsyncClient) -> bool:
    return value(await scrape(http), "relate_outbox_lag_events") == 0


async def test_outbox_lag_counts_events_nobody_has_dispatched(api: Api, http: httpx.AsyncClient) -> None:
    """Without the lifespan (no relay running), committed events wait: the lag shows them."""
    await api.ok("createAccount", {"name": "Acme"}, "account { id }")
    found = await scrape(http)
    assert value(found, "relate_outbox_lag_events") >= 1
    assert value(found, "relate_outbox_lag_seconds") > 0


async def test_readiness_names_what_is_missing(tmp_path: Path) -> None:
    broken = Database.connect("postgresql://relate@127.0.0.1:1/nowhere")  # nothing listens on port 1
    app = create_app(ops_settings(tmp_path), db=broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        assert (await http.get("/healthz")).status_code == 200  # liveness does not touch the database
        response = await http.get("/readyz")
    await broken.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] != "ok" and "Error" in body["checks"]["database"]
    assert body["checks"]["broker"] == "not started"


async def test_metrics_can_be_switched_off(tmp_path: Path, db: Database) -> None:
    app = create_app(ops_settings(tmp_path, metrics_enabled=False), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        assert (await http.get("/metrics")).status_code == 404


@pytest.mark.parametrize("offered", ["edge-7f3a9c", "a" * 65, "bad id\u00e9"])
async def test_every_response_carries_a_request_id(http: httpx.AsyncClient, offered: str) -> None:
    response = await http.get("/healthz", headers={"X-Request-Id": offered.encode()})
    echoed = response.headers["x-request-id"]
    if offered == "edge-7f3a9c":
        assert echoed == offered  # a plain id from a proxy is kept, so logs line up end to end
    else:
        assert echoed != offered and len(echoed) == 16
