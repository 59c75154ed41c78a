"""Every text field has a longest length (issue 16; graph/rules/text_limits.py): longer input
is VALIDATION naming the field, and nothing is written. A 15 MiB description is under the
request body limit, so it is the per-field limit that refuses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.db import Database
from graph.rules.text_limits import DEFAULT_EMAIL_BODY_CHARS, TEXT_LIMITS
from server.app import create_app
from server.settings import Settings
from tests.support.client import Api
from tests.support.databases import test_settings as app_settings
from tests.support.org import Org

MIB = 1024 * 1024


async def activity_count(api: Api) -> int:
    return (await api("{ activities(filter: {owner: ANY}) { totalCount } }"))["activities"]["totalCount"]


async def account_count(api: Api) -> int:
    return (await api("{ accounts(includeInactive: true) { totalCount } }"))["accounts"]["totalCount"]


def refused_on(payload: dict[str, Any], *field: str) -> None:
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", ["input", *field])], payload
    assert "longer than" in payload["errors"][0]["message"]


async def test_a_15_mib_description_is_refused_naming_the_field_and_nothing_is_written(api: Api) -> None:
    description = "x" * (15 * MIB)
    assert len(description) + 1000 < Settings().max_body_bytes  # the body limit does not answer first
    payload = await api.mutate("createTask", {"subject": "Huge", "description": description}, "task { id }")
    refused_on(payload, "description")
    assert payload["task"] is None
    assert await activity_count(api) == 0
    # At the limit it is stored whole.
    at_limit = "y" * TEXT_LIMITS["description"]
    task = (await api.ok("createTask", {"subject": "Long", "description": at_limit}, "task { id description }"))["task"]
    assert task["description"] == at_limit and await activity_count(api) == 1


# (mutation, input, field path, limit key): one field over its limit in each.
OVER: list[tuple[str, dict[str, Any], tuple[str, ...], str]] = [
    ("createTask", {"subject": "s" * 401}, ("subject",), "subject"),
    ("createAccount", {"name": "n" * 401}, ("name",), "name"),
    ("createAccount", {"name": "A", "address": {"city": "c" * 101}}, ("address", "city"), "city"),
    ("createAccount", {"name": "A", "address": {"line": "l" * 401}}, ("address", "line"), "address_line"),
    ("createAccount", {"name": "A", "website": "w" * 401}, ("website",), "website"),
    ("createContact", {"firstName": "f" * 201, "lastName": "L"}, ("firstName",), "first_name"),
    ("createContact", {"firstName": "F", "lastName": "L", "jobTitle": "j" * 201}, ("jobTitle",), "job_title"),
    ("createContact", {"firstName": "F", "lastName": "L", "businessPhone": "1" * 51}, ("businessPhone",), "phone"),
    ("addNote", {"text": "t" * 100_001}, ("text",), "note_text"),
    ("addNote", {"title": "t" * 401}, ("title",), "note_title"),
    ("sendTextMessage", {"text": "t" * 10_001, "phoneNumber": "+1 555 0100"}, ("text",), "text"),
]
SELECTIONS = {"createTask": "task { id }", "createAccount": "account { id }", "createContact": "contact { id }",
              "addNote": "note { id }", "sendTextMessage": "textMessage { id }"}


@pytest.mark.parametrize(("mutation", "values", "field", "key"), OVER, ids=[f"{o[0]}-{o[3]}" for o in OVER])
async def test_each_text_field_over_its_limit_is_refused_naming_it(
        api: Api, org: Org, mutation: str, values: dict[str, Any], field: tuple[str, ...], key: str) -> None:
    if mutation == "addNote":
        values = {**values, "recordId": (await api.ok("createAccount", {"name": "Noted"}, "account { id }"))["account"]["id"]}
    before = (await account_count(api), await activity_count(api))
    payload = await api.mutate(mutation, values, SELECTIONS[mutation])
    refused_on(payload, *field)
    assert str(TEXT_LIMITS[key]) in payload["errors"][0]["message"]
    assert (await account_count(api), await activity_count(api)) == before


@pytest.fixture
async def small_email_api(db: Database, org: Org, tmp_path: Path) -> Any:
    app = create_app(app_settings(file_store_dir=str(tmp_path / "files"), max_email_body_chars=2000), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        yield Api(http, org.tokens)


async def test_the_email_body_limit_is_a_setting(small_email_api: Api) -> None:
    api = small_email_api
    track = "trackEmail"
    over = {"messageId": "<long@example.com>", "subject": "Long", "bodyHtml": "<p>" + "x" * 2000 + "</p>",
            "from": "customer@example.com"}
    payload = await api.mutate(track, over, "email { id }")
    refused_on(payload, "bodyHtml")
    assert "2000" in payload["errors"][0]["message"]
    assert await activity_count(api) == 0
    within = {**over, "messageId": "<short@example.com>", "bodyHtml": "<p>" + "x" * 1990 + "</p>"}
    assert (await api.ok(track, within, "email { id }"))["email"]["id"]


def test_the_default_email_body_limit_is_the_settings_default() -> None:
    assert Settings().max_email_body_chars == DEFAULT_EMAIL_BODY_CHARS
