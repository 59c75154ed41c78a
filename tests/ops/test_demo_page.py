"""The live demo page (`/demo`) in headless Chromium: sign in with a token, see a record's
timeline and the work list, and watch a task created through the API appear live
(R-LIVE-1 over graphql-transport-ws). Saves a screenshot under the test's tmp dir.

Skips when no Chromium is installed, unless RELATE_REQUIRE_SERVICES=1 (CI installs
Debian's `chromium` in .ci/run): then a missing browser fails the run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.ops.browser import chromium
from tests.ops.conftest import Serve
from tests.support.org import Org

WORK = "{ workList(first: 50) { edges { node { current { subject } } } } }"


async def test_the_static_files_are_served_without_a_build_step(http: httpx.AsyncClient) -> None:
    page = await http.get("/demo")
    script = await http.get("/demo/app.js")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/demo/app.js">' in page.text
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "graphql-transport-ws" in script.text and "import " not in script.text  # one module, no imports
    assert "default-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_task_created_through_the_api_appears_live_on_the_demo_page(
    served: Serve, org: Org, browser_path: str, tmp_path: Path,
) -> None:
    async with served() as server, chromium(browser_path, tmp_path) as page:
        api = server.api
        account = (await api.ok("createAccount", {"name": "Import Sports"}, "account { id }", as_="sales1"))["account"]["id"]
        await api.ok("createTask", {"subject": "Send the brochure", "regardingId": account}, "task { id }", as_="sales1")
        token = org.tokens["sales1"]

        await page.navigate(f"{server.base}/demo#token={quote(token)}&record={quote(account)}")
        await page.wait_for("document.getElementById('status').dataset.state === 'live'", what="a live socket")
        viewer = (await api("{ viewer { user { fullName } } }", as_="sales1"))["viewer"]["user"]["fullName"]
        assert await page.evaluate("document.getElementById('viewer').textContent") == viewer
        assert await page.evaluate("document.getElementById('record-name').textContent") == "Import Sports"
        assert "token" not in await page.evaluate("location.href")  # read once, then out of the URL
        assert "Send the brochure" in await page.evaluate("document.getElementById('timeline').textContent")

        due = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        task = (await api.ok("createTask", {"subject": "Call Chris about the renewal", "regardingId": account,
                                            "due": due}, "task { id }", as_="sales1"))["task"]["id"]
        selector = json.dumps(f'#timeline li[data-id="{task}"]')
        text = await page.wait_for(f"document.querySelector({selector})?.textContent", what="the new task")
        assert "Call Chris about the renewal" in text and "OPEN" in text
        assert await page.evaluate("document.getElementById('timeline-count').textContent") == "(2)"

        on_work_list = [e["node"]["current"]["subject"] for e in (await api(WORK, as_="sales1"))["workList"]["edges"]]
        if "Call Chris about the renewal" in on_work_list:  # the page shows what the API says
            await page.wait_for("document.getElementById('work-list').textContent.includes('Call Chris about the renewal')",
                                what="the task on the work list")
        else:
            assert "unavailable" not in await page.evaluate("document.getElementById('work-list').textContent")
        shot = await page.screenshot(tmp_path / "demo.png")
        problems = page.problems
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5_000
    assert problems == []
    print(f"\n[demo] screenshot: {shot} ({shot.stat().st_size} bytes); work list had the task: "
          f"{'Call Chris about the renewal' in on_work_list}")
