"""The `relate` CLI against a SQLite file: migrate, the demo seed, tokens, serve's guard.

Scripts rely on these (SPEC §10): the demo users exist with fixed emails, roles and units,
`token create` prints only the token, and a revoked token stops working at once (SPEC §1).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select, text
from sqlalchemy.orm import aliased

from graph.db import Database
from graph.models import (
    Account,
    Base,
    BusinessUnit,
    Contact,
    Role,
    Team,
    TeamMember,
    User,
    UserRole,
)
from graph.queries import records as record_queries
from graph.rules.errors import ErrorCode
from schema.build import export_sdl
from server.app import create_app
from server.logs import STRAWBERRY_EXECUTION, DropGraphQLErrors, configure_logging
from server.settings import get_settings
from tests.support.cli import arelate, demo_database, relate

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r"rel_[A-Za-z0-9_-]{43}")
VIEWER = "{ viewer { user { fullName email } roles } }"
# SPEC §10: email -> (role, business unit)
DEMO_USERS = {
    "admin@demo.relate": ("system_administrator", "Relate Demo"),
    "manager@demo.relate": ("sales_manager", "Sales"),
    "sales1@demo.relate": ("salesperson", "Sales"),
    "sales2@demo.relate": ("salesperson", "Sales"),
    "sales3@demo.relate": ("salesperson", "Sales West"),
}


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'relate.db'}"
    monkeypatch.setenv("RELATE_DATABASE_URL", url)
    monkeypatch.setenv("RELATE_BROADCAST_URL", "memory://")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`relate migrate` and `relate seed --demo` once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("demo") / "relate.db"
    demo_database(path)
    return path


@pytest.fixture
def demo_url(database_url: str, demo_template: Path, tmp_path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{demo_template}{suffix}").exists():
            shutil.copy(f"{demo_template}{suffix}", tmp_path / f"relate.db{suffix}")
    return database_url


@pytest.fixture
async def demo_db(demo_url: str) -> AsyncIterator[Database]:
    db = Database.connect(demo_url)
    yield db
    await db.dispose()


@pytest.fixture
async def http(demo_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(get_settings(), db=demo_db))
    async with httpx.AsyncClient(transport=transport, base_url="http://relate.test") as client:
        yield client


async def graphql(http: httpx.AsyncClient, token: str, query: str) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


async def viewer_as(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    return await graphql(http, token, VIEWER)


async def snapshot(db: Database) -> dict[str, list[str]]:
    """Every row of every table, to prove that a command changed nothing."""
    found: dict[str, list[str]] = {}
    async with db.read() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted(repr(tuple(row)) for row in rows)
    return found


def test_migrate_twice_is_fine(database_url: str) -> None:
    first, second = relate("migrate"), relate("migrate")
    assert (first.exit_code, second.exit_code) == (0, 0), second.stderr
    assert "up to date" in second.stderr


async def test_demo_seed_creates_the_users_of_spec_10(demo_db: Database) -> None:
    async with demo_db.read() as session:
        rows = (await session.execute(
            select(User.email, User.name, Role.name, BusinessUnit.name)
            .join(UserRole, UserRole.user_id == User.id).join(Role, Role.id == UserRole.role_id)
            .join(BusinessUnit, BusinessUnit.id == User.business_unit_id)
        )).all()
        team = select(Team.id).where(Team.name == "Inside Sales").scalar_subquery()
        team_members = (await session.scalars(
            select(User.email).join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team)
        )).all()
        parent = aliased(BusinessUnit)
        west_parent = await session.scalar(
            select(parent.name).join(BusinessUnit, BusinessUnit.parent_id == parent.id)
            .where(BusinessUnit.name == "Sales West")
        )
        accounts = await session.scalar(select(func.count()).select_from(Account))
        contacts = await session.scalar(select(func.count()).select_from(Contact))
    assert {email: (role, unit) for email, _name, role, unit in rows} == DEMO_USERS
    assert len(rows) == len(DEMO_USERS)  # one role each
    assert ("sales1@demo.relate", "Sam Seller") in {(r[0], r[1]) for r in rows}
    assert sorted(team_members) == ["sales1@demo.relate", "sales2@demo.relate"]
    assert west_parent == "Sales"  # Sales West is a child unit of Sales
    assert (accounts, contacts) == (20, 100)


async def test_a_second_seed_changes_nothing(demo_db: Database) -> None:
    before = await snapshot(demo_db)
    result = await arelate("seed", "--demo")
    assert result.exit_code == 0, result.stderr
    assert "already present" in result.stderr
    assert await snapshot(demo_db) == before


async def test_demo_users_sign_in_with_their_tokens(http: httpx.AsyncClient) -> None:
    for email, (role, _unit) in DEMO_USERS.items():
        result = await arelate("token", "create", email)
        assert result.exit_code == 0, result.stderr
        body = await viewer_as(http, result.stdout.strip())
        assert body["data"]["viewer"]["user"]["email"] == email
        assert body["data"]["viewer"]["roles"] == [role]


async def test_token_create_prints_only_a_token_that_works_until_revoked(
    http: httpx.AsyncClient,
) -> None:
    created = await arelate("token", "create", "sales1@demo.relate")
    assert created.exit_code == 0, created.stderr
    assert TOKEN.fullmatch(created.stdout.rstrip("\n")), repr(created.stdout)
    token = created.stdout.strip()

    body = await viewer_as(http, token)
    sam = {"fullName": "Sam Seller", "email": "sales1@demo.relate"}
    assert body["data"]["viewer"]["user"] == sam

    revoked = await arelate("token", "revoke", token)
    assert revoked.exit_code == 0, revoked.stderr
    body = await viewer_as(http, token)  # same app, same process: no cache may keep it alive
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    again = await arelate("token", "revoke", token)
    assert again.exit_code == 1
    assert "no such active token" in again.stderr


def test_token_create_from_the_installed_command_prints_one_line(demo_url: str) -> None:
    """The real process, not the in-process runner: nothing else may reach stdout."""
    command = [sys.executable, "-m", "server.cli", "token", "create", "sales2@demo.relate"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert TOKEN.fullmatch(done.stdout.rstrip("\n")), repr(done.stdout)


def test_unknown_email_exits_non_zero_with_a_clear_message(demo_url: str) -> None:
    result = relate("token", "create", "nobody@demo.relate")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no user with email nobody@demo.relate" in result.stderr


def test_commands_on_an_unmigrated_database_say_to_migrate(database_url: str) -> None:
    result = relate("seed", "--demo")
    assert result.exit_code == 1
    assert "relate migrate" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_demo_tokens_prints_one_token_per_demo_user(demo_url: str) -> None:
    result = relate("demo-tokens")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if TOKEN.search(line)]
    assert [email for line in lines for email in DEMO_USERS if email in line] == list(DEMO_USERS)


def test_serve_refuses_several_workers_with_the_memory_broker(
    database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(kw))
    result = relate("serve", "--workers", "2")
    assert result.exit_code == 2
    assert "memory://" in result.stderr
    assert started == []


def test_serve_accepts_several_workers_with_a_shared_broker(
    demo_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(kw))
    monkeypatch.setenv("RELATE_BROADCAST_URL", "redis://127.0.0.1:6379/0")
    get_settings.cache_clear()
    result = relate("serve", "--workers", "2", "--port", "8123")
    assert result.exit_code == 0, result.stderr
    assert [(kw["workers"], kw["port"]) for kw in started] == [(2, 8123)]


def test_export_schema_prints_exactly_the_served_schema() -> None:
    """`make schema` writes this output to schema.graphql (test_schema_file.py compares)."""
    result = relate("export-schema")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == export_sdl()
    assert "type Query {" in result.stdout and result.stderr == ""


def test_docs_list_every_error_code_in_the_order_of_the_enum() -> None:
    """docs/api.md's ErrorCode table is the documented enum of SPEC §9; keep it complete."""
    docs = (ROOT / "docs" / "api.md").read_text()
    table = docs.split("<!-- error-codes:start -->")[1].split("<!-- error-codes:end -->")[0]
    documented = re.findall(r"^\| `([A-Z_]+)` \|", table, re.MULTILINE)
    assert documented == [code.value for code in ErrorCode]


async def test_the_server_logs_a_bug_once_with_its_id_and_an_expected_error_not_at_all(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`relate serve` logging: the id in "internal error <id>" leads to one traceback."""
    token = (await arelate("token", "create", "sales1@demo.relate")).stdout.strip()
    configure_logging()
    failure = RuntimeError("simulated bug")

    def broken(*args: object, **kwargs: object) -> None:
        raise failure

    try:
        with caplog.at_level(logging.INFO):
            expected = await graphql(http, token, "{ accounts(first: 9999) { totalCount } }")
            monkeypatch.setattr(record_queries, "list_query", broken)
            bug = await graphql(http, token, "{ accounts { totalCount } }")
    finally:
        execution = logging.getLogger(STRAWBERRY_EXECUTION)
        for found in [f for f in execution.filters if isinstance(f, DropGraphQLErrors)]:
            execution.removeFilter(found)
    assert expected["errors"][0]["extensions"]["code"] == "VALIDATION"
    error_id = bug["errors"][0]["extensions"]["errorId"]
    assert bug["errors"][0]["message"] == f"internal error {error_id}"
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.getMessage()) for r in logged] == [
        ("relate.errors", f"internal error {error_id} at ['accounts']")]
    assert logged[0].exc_info is not None and logged[0].exc_info[1] is failure


@pytest.mark.postgres
async def test_migrate_seed_and_sign_in_on_postgresql_in_a_schema_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same CLI path on PostgreSQL, with RELATE_DATABASE_SCHEMA (created by migrate)."""
    url = os.environ.get("RELATE_TEST_DATABASE_URL")
    if not url:
        pytest.skip("RELATE_TEST_DATABASE_URL not set")
    schema = f"relate_cli_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("RELATE_DATABASE_URL", url)
    monkeypatch.setenv("RELATE_DATABASE_SCHEMA", schema)
    get_settings.cache_clear()
    db = Database.connect(url, schema=schema, pool_size=2)
    try:
        for command in (("migrate",), ("migrate",), ("seed", "--demo"), ("seed", "--demo")):
            result = await arelate(*command)
            assert result.exit_code == 0, (command, result.stderr)
        assert "already present" in result.stderr
        token = (await arelate("token", "create", "sales1@demo.relate")).stdout.strip()
        transport = httpx.ASGITransport(app=create_app(get_settings(), db=db))
        async with httpx.AsyncClient(transport=transport, base_url="http://relate.test") as http:
            query = "{ viewer { user { fullName } } contacts { totalCount } }"
            body = await graphql(http, token, query)
        assert body["data"] == {"viewer": {"user": {"fullName": "Sam Seller"}},
                                "contacts": {"totalCount": 100}}
    finally:
        await db.dispose()
        get_settings.cache_clear()
        cleanup = Database.connect(url, pool_size=1)
        async with cleanup.writer.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await cleanup.dispose()


def test_version_prints_the_installed_version() -> None:
    from importlib.metadata import version

    result = relate("--version")
    assert (result.exit_code, result.stdout) == (0, f"relate {version('relate')}\n")


def test_help_names_the_database_and_the_variable_it_comes_from(database_url: str) -> None:
    result = relate("--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "from the environment variable RELATE_DATABASE_URL" in text
    assert Path(database_url.split("///")[1]).name in text


def test_help_names_a_database_from_dot_env_and_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELATE_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        assert "from the default" in " ".join(relate("--help").stdout.split())
        (tmp_path / ".env").write_text("RELATE_DATABASE_URL=sqlite+aiosqlite:///./from-dotenv.db\n")
        get_settings.cache_clear()
        text = " ".join(relate("--help").stdout.split())
        assert "from-dotenv.db" in text and "RELATE_DATABASE_URL in" in text and ".env" in text
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("command", [("token", "create", "admin@demo.relate"), ("seed", "--demo"), ("demo-tokens",),
                                     ("serve",)])
def test_a_command_that_needs_a_database_refuses_to_create_one(database_url: str, command: tuple[str, ...]) -> None:
    path = Path(database_url.split("///")[1])
    result = relate(*command)
    assert result.exit_code == 1
    assert f"no database at {path}" in " ".join(result.stderr.split())
    assert "relate migrate" in result.stderr
    assert not path.exists()


def test_migrate_says_it_created_a_new_database_then_that_it_is_up_to_date(database_url: str) -> None:
    from graph.migrate import head_revision

    first, second = relate("migrate"), relate("migrate")
    assert (first.exit_code, second.exit_code) == (0, 0), first.stderr + second.stderr
    assert f"created a new database and migrated it to revision {head_revision()}" in first.stderr
    assert "up to date" in second.stderr and "created a new" not in second.stderr


DEMO_LOOK = """
query($record: ID!) {
  viewer { user { fullName } }
  timeline(recordId: $record, first: 100) {
    totalCount
    edges { entryType node { __typename ... on Email { subject state } } }
  }
  workList(first: 50) { totalCount }
  activityReport(filter: {recordId: $record, groupBy: [TYPE]}) { total rows { type count } }
}
"""


async def test_the_demo_link_opens_a_record_with_a_history_of_every_kind(http: httpx.AsyncClient) -> None:
    """What `make run` prints: a /demo link, token in the fragment, on a record whose timeline,
    work list and report have something in them from the first look."""
    from urllib.parse import parse_qs, urlsplit

    result = await arelate("demo-tokens", "--base-url", "http://relate.test")
    assert result.exit_code == 0, result.stderr
    links = [word for word in result.stdout.split() if "/demo" in word]
    assert len(links) == 1, result.stdout
    link = urlsplit(links[0])
    assert (link.path, link.query) == ("/demo", "")  # nothing secret in what is sent to a server
    fragment = {name: values[0] for name, values in parse_qs(link.fragment).items()}
    response = await http.post("/graphql", json={"query": DEMO_LOOK, "variables": {"record": fragment["record"]}},
                               headers={"Authorization": f"Bearer {fragment['token']}"})
    body = response.json()
    assert not body.get("errors"), body
    data = body["data"]
    assert data["viewer"]["user"]["fullName"] == "Sam Seller"
    kinds = {edge["entryType"] for edge in data["timeline"]["edges"]}
    assert kinds == {"TASK", "PHONE_CALL", "EMAIL", "APPOINTMENT", "TEXT_MESSAGE", "NOTE"}, kinds
    emails = [edge["node"] for edge in data["timeline"]["edges"] if edge["entryType"] == "EMAIL"]
    assert "PENDING_SEND" in {e["state"] for e in emails}  # the scheduled email
    assert any(e["subject"].startswith("RE:") for e in emails)  # Chris's answer, tracked and rolled up
    assert data["workList"]["totalCount"] >= 3  # open call, task, and the sequence's first step
    assert data["activityReport"]["total"] >= 10


async def test_the_demo_history_is_added_to_an_organisation_seeded_without_one_once(demo_db: Database) -> None:
    """A database seeded by a release without demo history gets it on the next seed, once
    (the demo sequence marks the history: without it, the seed adds the history again)."""
    from graph.models import Sequence

    async with demo_db.unit_of_work() as session:
        await session.execute(text("DELETE FROM record_steps"))
        await session.execute(text("DELETE FROM record_sequences"))
        await session.execute(text("DELETE FROM sequence_steps"))
        await session.execute(text("DELETE FROM sequences"))
    first, second = await arelate("seed", "--demo"), await arelate("seed", "--demo")
    assert "demo history added" in first.stderr and "demo history added" not in second.stderr
    async with demo_db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Sequence)) == 1
