"""Headless Chromium driven over the Chrome DevTools Protocol (plain websockets, no driver).

`chromium()` starts the system browser with a throw-away profile and a debugging port
chosen by the browser itself (read back from `DevToolsActivePort`), opens the page target
and hands back a `Page`; the browser process is ended when the block exits. Every wait is
bounded: `Page.wait_for` polls a JavaScript condition until it holds or a deadline passes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--remote-debugging-port=0", "--window-size=1200,800",
         # Nothing but this machine: a page that reaches for a CDN fails visibly.
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
WAIT = 20.0


def chromium_path() -> str | None:
    found = os.environ.get("RELATE_CHROMIUM") or next((p for p in CANDIDATES if os.access(p, os.X_OK)), None)
    return found or shutil.which("chromium")


class BrowserError(AssertionError):
    pass


class Page:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self.problems: list[str] = []  # uncaught exceptions and console errors, for failure messages
        self.requests: list[str] = []  # every URL the page asked for (HTTP and websockets)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        await self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        async with asyncio.timeout(WAIT):
            while True:
                message = json.loads(await self.ws.recv())
                if message.get("id") == call_id:
                    if "error" in message:
                        raise BrowserError(f"{method}: {message['error']}")
                    return message.get("result", {})
                self._note(message)

    def _note(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params.get("request", {}).get("url", ""))
        elif method == "Network.webSocketCreated":
            self.requests.append(params.get("url", ""))
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.problems.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.problems.append("console.error: " + " ".join(str(a.get("value", a.get("description")))
                                                             for a in params.get("args", [])))

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def navigate(self, url: str) -> None:
        await self.call("Page.navigate", url=url)

    async def wait_for(self, expression: str, timeout: float = WAIT, what: str | None = None) -> Any:
        """Poll `expression` in the page until it is truthy; its value, or a failure naming it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_error = None
        while True:
            try:
                value = await self.evaluate(expression)
            except BrowserError as exc:  # e.g. the page is still loading: not there yet
                value, last_error = None, exc
            if value:
                return value
            if loop.time() > deadline:
                raise BrowserError(f"timed out after {timeout}s waiting for {what or expression}; "
                                   f"page problems: {self.problems}; last error: {last_error}")
            await asyncio.sleep(0.05)

    async def screenshot(self, path: Path) -> Path:
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


async def _debugging_port(profile: Path, process: subprocess.Popen[bytes], log: Path) -> int:
    marker = profile / "DevToolsActivePort"
    async with asyncio.timeout(WAIT):
        while not marker.exists() or not marker.read_text().strip():
            if process.poll() is not None:
                raise BrowserError(f"chromium exited with {process.returncode}: {log.read_text()[-2000:]}")
            await asyncio.sleep(0.05)
    return int(marker.read_text().split()[0])


@asynccontextmanager
async def chromium(executable: str, workdir: Path) -> AsyncIterator[Page]:
    profile = workdir / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    log = workdir / "chromium.log"
    with log.open("wb") as out:
        process = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        port = await _debugging_port(profile, process, log)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            async with asyncio.timeout(WAIT):
                while True:
                    targets = (await http.get("/json/list")).json()
                    pages = [t for t in targets if t.get("type") == "page"]
                    if pages:
                        break
                    await asyncio.sleep(0.05)
        async with connect(pages[0]["webSocketDebuggerUrl"], max_size=None, proxy=None) as ws:
            page = Page(ws)
            await page.call("Runtime.enable")
            await page.call("Page.enable")
            await page.call("Network.enable")
            await page.call("Emulation.setDeviceMetricsOverride", width=1200, height=800,
                            deviceScaleFactor=1, mobile=False)
            yield page
    finally:
        # The browser and its helper processes (renderer, zygote…) share the group we started.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        with contextlib.suppress(OSError):
            shutil.rmtree(profile, ignore_errors=True)
