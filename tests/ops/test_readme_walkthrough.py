"""The README's "Trying the API with curl" walk-through, run as a newcomer runs it: bash runs
its shell blocks as written (this environment's `relate`, the real curl) against a live
server on the demo database, and the answers are the README's response samples.

Only the host and port change (the test server listens on a free port), and `.venv/bin/relate`
becomes the `relate` of the running interpreter. tests/ops/test_doc_examples.py runs every
curl command of the docs against fixture data; this one checks the README's printed answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from graph.db import Database
from server.app import create_app
from tests.ops.doc_examples import ROOT, blocks
from tests.support.cli import demo_database
from tests.support.databases import test_settings as app_settings
from tests.support.ws import serve

SECTION = "## Trying the API with curl"
README_SERVER = "http://127.0.0.1:8000"
NEXT = "<<next block>>"


def section_blocks() -> list[tuple[str, str]]:
    """(language, text) of the fenced blocks of the walk-through section, in order."""
    readme = ROOT / "README.md"
    source = readme.read_text(encoding="utf-8")
    start = source.index(SECTION)
    end = source.find("\n## ", start + len(SECTION))
    first_line, last_line = source.count("\n", 0, start) + 1, source.count("\n", 0, end if end > 0 else len(source)) + 1
    return [(b.lang, b.text) for b in blocks(readme) if first_line <= b.line <= last_line]


def without_ids(value: Any) -> Any:
    """Ids are new on every run; everything else must be as printed."""
    if isinstance(value, dict):
        return {k: "<id>" if k == "id" else without_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


async def test_the_readme_walkthrough_prints_what_the_readme_shows(tmp_path: Path) -> None:
    found = section_blocks()
    shells = [text for lang, text in found if lang == "sh"]
    answers = [json.loads(text) for lang, text in found if lang == "json"]
    assert len(shells) == 2 and len(answers) >= 2, found  # the query and the mutation, each with its answer

    url = await asyncio.to_thread(demo_database, tmp_path / "relate.db")  # the CLI runs its own loop
    db = Database.connect(url)
    relate = Path(sys.executable).with_name("relate")
    try:
        app = create_app(app_settings(file_store_dir=str(tmp_path / "files")), db=db)
        async with serve(app) as ws_url:
            base = ws_url.replace("ws://", "http://").removesuffix("/graphql")
            script = f"set -euo pipefail\n{shells[0]}\nprintf '\\n{NEXT}\\n'\n{shells[1]}\n"
            script = script.replace(README_SERVER, base).replace(".venv/bin/relate", str(relate))
            env = {**{k: v for k, v in os.environ.items() if not k.startswith("RELATE_")},
                   "RELATE_DATABASE_URL": url, "RELATE_LOG_LEVEL": "WARNING"}
            process = await asyncio.create_subprocess_exec(
                "bash", "-c", script, cwd=tmp_path, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            async with asyncio.timeout(120):
                out, err = await process.communicate()
    finally:
        await db.dispose()
    assert process.returncode == 0, err.decode()
    query, mutation = out.decode().split(f"\n{NEXT}\n")
    assert json.loads(query) == answers[0]
    assert without_ids(json.loads(mutation)) == without_ids(answers[1])
