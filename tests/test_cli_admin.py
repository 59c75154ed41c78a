"""`relate admin create` (R-ADM-1): the first administrator of an empty organisation.

From an empty, migrated database: the root unit and the user are made, a token is printed
and signs in as a system administrator who can then create people through the API.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from graph.db import Database
from graph.models import BusinessUnit, User
from server.app import create_app
from server.settings import get_settings
from tests.support.cli import arelate

TOKEN = re.compile(r"rel_[A-Za-z0-9_-]{43}")
VIEWER = "{ viewer { roles user { email fullName businessUnit { name } } } }"


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'relate.db'}"
    monkeypatch.setenv("RELATE_DATABASE_URL", url)
    monkeypatch.setenv("RELATE_BROADCAST_URL", "memory://")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
async def empty_db(database_url: str) -> AsyncIterator[Database]:
    assert (await arelate("migrate")).exit_code == 0
    db = Database.connect(database_url)
    yield db
    await db.dispose()


async def graphql(db: Database, token: str, query: str, variables: dict[str, object] | None = None) -> dict:
    transport = httpx.ASGITransport(app=create_app(get_settings(), db=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://relate.test") as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                                   headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


async def test_admin_create_on_an_empty_database_makes_the_root_unit_and_an_administrator(empty_db: Database) -> None:
    made = await arelate("admin", "create", "Ada@Example.COM", "--name", "Ada Lovelace")
    assert made.exit_code == 0, made.stderr
    assert TOKEN.fullmatch(made.stdout.rstrip("\n")), repr(made.stdout)
    body = await graphql(empty_db, made.stdout.strip(), VIEWER)
    assert body["data"]["viewer"] == {"roles": ["system_administrator"], "user": {
        "email": "ada@example.com", "fullName": "Ada Lovelace", "businessUnit": {"name": "Organisation"}}}
    unit = (await graphql(empty_db, made.stdout.strip(), "{ viewer { businessUnitId } }"))["data"]["viewer"]
    created = await graphql(empty_db, made.stdout.strip(), """mutation($input: CreateUserInput!) {
        createUser(input: $input) { errors { code } user { email } } }""",
        {"input": {"email": "bob@example.com", "fullName": "Bob", "businessUnitId": unit["businessUnitId"]}})
    assert created["data"]["createUser"] == {"errors": [], "user": {"email": "bob@example.com"}}


async def test_admin_create_again_grants_the_role_to_an_existing_user_without_a_second_root(
        empty_db: Database) -> None:
    first = await arelate("admin", "create", "ada@example.com", "--name", "Ada")
    again = await arelate("admin", "create", "ADA@example.com")
    assert (first.exit_code, again.exit_code) == (0, 0), again.stderr
    assert "is now a system administrator" in again.stderr
    async with empty_db.read() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
        assert await session.scalar(select(func.count()).select_from(BusinessUnit)) == 1
    body = await graphql(empty_db, again.stdout.strip(), VIEWER)
    assert body["data"]["viewer"]["roles"] == ["system_administrator"]


async def test_admin_create_refuses_a_bad_address_with_one_line(empty_db: Database) -> None:
    result = await arelate("admin", "create", "not-an-address", "--name", "Nobody")
    assert result.exit_code == 1 and result.stdout == ""
    assert "email is not an email address" in result.stderr and "Traceback" not in result.stderr
    async with empty_db.read() as session:
        assert await session.scalar(select(func.count()).select_from(BusinessUnit)) == 0


async def test_the_administration_commands_mirror_the_api_for_scripts(empty_db: Database) -> None:
    """`relate unit|user|team|role …` by names and emails; errors are one line and exit 1."""
    assert (await arelate("admin", "create", "ada@example.com", "--name", "Ada")).exit_code == 0
    steps = [
        ("unit", "create", "North", "--parent", "Organisation"),
        ("role", "copy", "salesperson", "North seller"),
        ("user", "create", "nina@example.com", "--name", "Nina", "--unit", "North", "--role", "North seller"),
        ("user", "create", "olaf@example.com", "--name", "Olaf", "--unit", "North"),
        ("team", "create", "North team", "--unit", "North", "--member", "nina@example.com"),
        ("role", "assign", "olaf@example.com", "salesperson"),
        ("role", "assign", "North team", "salesperson"),
        ("role", "remove", "olaf@example.com", "salesperson"),
        ("user", "deactivate", "olaf@example.com"),
    ]
    for step in steps:
        result = await arelate(*step)
        assert result.exit_code == 0, (step, result.stderr)
    token = (await arelate("token", "create", "nina@example.com")).stdout.strip()
    body = await graphql(empty_db, token, "{ viewer { roles user { businessUnit { name } teams { name roles { name } } } } }")
    assert body["data"]["viewer"] == {"roles": ["North seller"], "user": {
        "businessUnit": {"name": "North"}, "teams": [{"name": "North team", "roles": [{"name": "salesperson"}]}]}}
    last = await arelate("role", "remove", "ada@example.com", "system_administrator")
    assert last.exit_code == 1 and "last active system administrator" in last.stderr
    unknown = await arelate("user", "create", "x@example.com", "--name", "X", "--unit", "Nowhere")
    assert unknown.exit_code == 1 and "no business unit named 'Nowhere'" in unknown.stderr
    inactive = await arelate("token", "create", "olaf@example.com")
    assert inactive.exit_code == 1
