"""GraphiQL served by Relate (R-WEB-2): in headless Chromium that can reach nothing but
127.0.0.1, the page loads, runs a query and a live subscription with the token from its
headers editor; and the CDN fallback says so when the files are missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from server import graphiql
from server.graphiql_assets import ASSETS, installed
from tests.ops.browser import Page, chromium
from tests.ops.conftest import Serve
from tests.support.org import Org

RESULT = "document.querySelector('.result-window')?.innerText || ''"
RUN = "document.querySelector('.graphiql-execute-button')?.click() || true"


async def open_graphiql(page: Page, base: str, query: str, token: str) -> None:
    headers = json.dumps({"Authorization": f"Bearer {token}"})
    await page.navigate("about:blank")  # a new fragment alone would not reload the page
    await page.wait_for("location.href === 'about:blank'", what="a blank page")
    await page.navigate(f"{base}/graphql#{urlencode({'query': query, 'headers': headers})}")
    await page.wait_for("!!document.querySelector('.graphiql-execute-button')", what="GraphiQL to render")


@pytest.fixture
def assets_installed() -> None:
    if not installed():
        pytest.fail("GraphiQL's files are not installed: run `make install` (scripts/fetch_graphiql_assets.py)")


async def test_the_page_loads_only_files_from_relate(http: httpx.AsyncClient, assets_installed: None) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "https://unpkg.com" not in page.text and 'id="relate-cdn-notice"' not in page.text
    for asset in ASSETS:
        assert f'"/graphiql/{asset.name}"' in page.text
        served = await http.get(f"/graphiql/{asset.name}")
        assert served.status_code == 200 and len(served.content) > 500
    assert (await http.get("/graphiql/not-a-file.js")).status_code == 404


def test_without_the_files_the_page_falls_back_to_the_cdn_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphiql, "installed", lambda: False)
    html = bytes(graphiql.graphiql_page().body).decode()
    assert 'id="relate-cdn-notice"' in html and 'src="https://unpkg.com/graphiql@3.8.3/graphiql.min.js"' in html
    assert all(f'integrity="{asset.integrity}"' in html for asset in ASSETS)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_graphiql_runs_a_query_and_a_subscription_offline(
    served: Serve, org: Org, browser_path: str, tmp_path: Path, assets_installed: None,
) -> None:
    async with served() as server, chromium(browser_path, tmp_path) as page:
        api, token = server.api, org.tokens["sales1"]
        viewer = (await api("{ viewer { user { fullName } } }", as_="sales1"))["viewer"]["user"]["fullName"]
        await open_graphiql(page, server.base, "query Me { viewer { user { fullName } } }", token)
        await page.evaluate(RUN)
        result = await page.wait_for(f"({RESULT}).includes({json.dumps(viewer)}) && {RESULT}", what="the query result")
        assert '"fullName"' in result

        account = (await api.ok("createAccount", {"name": "Import Sports"}, "account { id }", as_="sales1"))["account"]["id"]
        cursor = (await api("{ liveCursor }", as_="sales1"))["liveCursor"]
        subscription = (f'subscription {{ timelineChanged(recordId: "{account}", after: "{cursor}") '
                        "{ change entry { ... on Activity { subject } } } }")
        await open_graphiql(page, server.base, subscription, token)
        await page.evaluate(RUN)
        await api.ok("createTask", {"subject": "Send the brochure", "regardingId": account}, "task { id }", as_="sales1")
        live = await page.wait_for(f"({RESULT}).includes('Send the brochure') && {RESULT}", what="the live event")
        assert "ADDED" in live
        requests, problems = list(page.requests), list(page.problems)
    assert requests, "the browser recorded no requests"
    foreign = [url for url in requests
               if not url.startswith((server.base, server.base.replace("http://", "ws://"), "data:"))]
    assert foreign == []
    assert [r for r in requests if r.startswith("ws://")], "the subscription did not use the websocket"
    assert problems == []
