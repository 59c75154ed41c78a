"""Fragment bombs (issue 16): validation costs what the document's size costs (R-API-3).

A document whose fragments each spread the previous one twice is 1 KB but expands to 2^n
selections. It must be refused with a typed error, token or not, while other requests are
answered; and the measuring must visit each node of the document once, not each
expansion (counted, not timed).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import Visitor, parse, visit

from graph.db import Database
from schema.build import build_schema
from schema.cost import CostEstimator
from schema.shape import Shape, measure
from server.app import create_app
from server.settings import Settings
from tests.support.client import Api
from tests.support.databases import test_settings as app_settings
from tests.support.org import Org


def bomb(levels: int, at_root: bool = False) -> str:
    """`F<n>` spreads `F<n-1>` twice: 2^levels copies of `user { fullName }` once expanded.
    At the root, the spreads are also what the response cache reads for root field names."""
    if at_root:
        parts = [f"query Bomb {{ ...F{levels} }}", "fragment F0 on Query { viewer { user { fullName } } }"]
        on = "Query"
    else:
        parts = [f"query Bomb {{ viewer {{ ...F{levels} }} }}", "fragment F0 on Viewer { user { fullName } }"]
        on = "Viewer"
    parts += [f"fragment F{i} on {on} {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    return " ".join(parts)


def node_count(document: Any) -> int:
    class Counter(Visitor):
        count = 0

        def enter(self, *_: Any) -> None:
            Counter.count += 1

    visit(document, Counter())
    return Counter.count


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


@pytest.mark.parametrize("levels", [20, 24, 40])
def test_measuring_a_bomb_visits_each_node_of_the_document_once(levels: int) -> None:
    document = parse(bomb(levels))
    shapes, visits = measure(document)
    (shape,) = shapes.values()
    assert shape == Shape(depth=2, aliases=0, fields=1 + 2 * 2 ** levels)
    assert len(bomb(levels)) < 1700
    assert visits <= node_count(document)  # linear: one visit per selection, whatever the expansion


@pytest.mark.parametrize("levels", [20, 24, 40])
def test_costing_a_bomb_visits_each_fragment_at_most_twice(levels: int) -> None:
    document = parse(bomb(levels))
    (operation,) = [d for d in document.definitions if d.kind == "operation_definition"]
    estimator = CostEstimator(build_schema(Settings())._schema,
                              {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"},
                              {}, 50)
    assert estimator.operation(operation) == 1 + 2 ** levels  # the viewer once, its user per copy
    assert estimator.visits <= 2 * node_count(document)


def test_a_shared_fragment_is_measured_once_but_counted_at_every_spread() -> None:
    document = parse("{ a: viewer { ...U } b: viewer { ...U } } fragment U on Viewer { x: user { y: fullName } }")
    shapes, visits = measure(document)
    (shape,) = shapes.values()
    assert shape == Shape(depth=2, aliases=2 + 2 * 2, fields=2 + 2 * 2)
    assert visits == 2 + 2 + 2  # two viewers, two spreads, the fragment's two fields once


@pytest.mark.parametrize("levels", [20, 24, 40])
@pytest.mark.parametrize("as_", [None, "sales1"])
@pytest.mark.parametrize("at_root", [False, True], ids=["nested", "at-root"])
async def test_r_api_3_a_fragment_bomb_is_refused_typed_and_others_are_answered(
        api: Api, levels: int, as_: str | None, at_root: bool) -> None:
    refused, normal = await asyncio.gather(
        api.post(bomb(levels, at_root), as_=as_),
        api.post("{ viewer { user { fullName } } }", as_="sales2"),
    )
    assert refused.status_code == 200, refused.text
    body = refused.json()
    assert body.get("data") is None
    assert "QUERY_TOO_COMPLEX" in codes(body)
    complex_error = next(e for e in body["errors"] if e["extensions"]["code"] == "QUERY_TOO_COMPLEX")
    assert complex_error["extensions"]["limit"] == "selections"
    assert normal.status_code == 200 and normal.json()["data"]["viewer"]["user"]["fullName"]
    again = await api.post("{ viewer { roles } }", as_="sales1")
    assert again.json()["data"]["viewer"]["roles"] == ["salesperson"]


@pytest.mark.parametrize("at_root", [False, True], ids=["nested", "at-root"])
async def test_r_api_3_a_small_bomb_under_the_limit_still_answers(api: Api, at_root: bool) -> None:
    body = await api.raw(bomb(4, at_root), as_="sales1")
    assert body["data"]["viewer"]["user"]["fullName"]


async def test_r_api_3_without_the_selection_limit_the_cost_rule_refuses_a_bomb_in_linear_time(
        db: Database, org: Org, tmp_path: Path) -> None:
    app = create_app(app_settings(file_store_dir=str(tmp_path / "files"), max_selections=0), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        api = Api(http, org.tokens)
        body = (await api.post(bomb(40), as_="sales1")).json()
        assert codes(body) == ["QUERY_TOO_COSTLY"] and body["errors"][0]["extensions"]["cost"] == 1 + 2 ** 40
        assert (await api.raw(bomb(3), as_="sales1"))["data"]["viewer"]["user"]["fullName"]
