"""The anchor side of `bench/compare.py`: its database and its PostGraphile v4 server.

`anchor.sql` (a copy of the performance anchor the project was given) builds schema `app`
with 100 users, 10,000 accounts, 100,000 contacts (1,000 of them on account 1), 1,000,000
activities and `app.account_timeline(aid)`, the roll-up computed on read by a SQL union.
PostGraphile is installed from npm (`package.json` here pins it) into a directory outside
the repository, never into it, and serves that schema.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
SQL = HERE / "anchor.sql"
ACTIVITIES = 1_000_000
ROLLUP_QUERY = """{ accountTimeline(aid: 1, first: 50) { totalCount nodes { id kind subject state createdAt description
  userByOwnerId { id name } userByCreatedById { id name } } } }"""
PLAIN_QUERY = """{ allActivities(first: 50, condition: {ownerId: 5}, orderBy: ID_DESC) { nodes { id kind subject state
  createdAt description userByOwnerId { id name } userByCreatedById { id name } } } }"""


def dsn(url: str) -> str:
    """asyncpg and PostGraphile want plain postgresql:// URLs."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


async def ensure_database(url: str) -> None:
    """Create the benchmark's database when it does not exist (never drops one)."""
    target = dsn(url)
    name = target.rsplit("/", 1)[1].split("?", 1)[0]
    try:
        conn = await asyncpg.connect(target)
    except asyncpg.InvalidCatalogNameError:
        admin = await asyncpg.connect(target.rsplit("/", 1)[0] + "/postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
    else:
        await conn.close()


async def ensure_anchor(url: str, *, rebuild: bool = False, log: object = print) -> bool:
    """Build schema `app` unless it is there with all its activities; True when built now.

    anchor.sql starts with `drop schema if exists app cascade`: it only ever replaces its
    own schema, in the database given (use one of its own).
    """
    await ensure_database(url)
    conn = await asyncpg.connect(dsn(url))
    try:
        present = await conn.fetchval("select to_regclass('app.activities') is not null")
        if present and not rebuild:
            count = await conn.fetchval("select count(*) from app.activities")
            if count == ACTIVITIES and await conn.fetchval("select to_regproc('app.account_timeline') is not null"):
                return False
        log(f"building the anchor schema `app` ({ACTIVITIES:,} activities)…")  # type: ignore[operator]
        await conn.execute(SQL.read_text())
        return True
    finally:
        await conn.close()


def default_install_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "relate-bench" / "postgraphile-4"


def install(directory: Path) -> Path:
    """`npm install` of package.json into `directory` (once); the postgraphile binary."""
    binary = directory / "node_modules" / ".bin" / "postgraphile"
    wanted = (HERE / "package.json").read_text()
    manifest = directory / "package.json"
    if binary.exists() and manifest.exists() and manifest.read_text() == wanted:
        return binary
    if shutil.which("npm") is None:
        raise RuntimeError("npm is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    manifest.write_text(wanted)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=directory, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)
    return binary


def version(directory: Path) -> str:
    import json

    found = directory / "node_modules" / "postgraphile" / "package.json"
    return str(json.loads(found.read_text())["version"]) if found.exists() else "?"


@contextlib.contextmanager
def serve(binary: Path, url: str, port: int, log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """PostGraphile on `url`'s schema `app`, as the anchor's README runs it."""
    with log_file.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "-c", dsn(url), "--schema", "app", "--host", "127.0.0.1", "--port", str(port),
             "--disable-query-log"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group we started, SIGKILL if it lingers."""
    import signal

    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
