"""Importing real message files (R-TRACK-1…5): `.eml` emails and `.ics` meetings, through the
`importMail` upload and the `relate import-mail` command.

The files in tests/data/mail are shaped like what mail programs write: multipart/alternative
bodies, RFC 2047 subjects and names (UTF-8 and ISO-8859-2), RFC 2231 file names, inline
`cid:` images, a program among the attachments, an Outlook calendar with its own VTIMEZONE.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqlalchemy import update

from graph.db import Database
from graph.models import User
from server.settings import get_settings
from tests.support.cli import arelate
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import account, contact, table_counts

MAIL = Path(__file__).parent.parent / "data" / "mail"
PARTY = "role address party { __typename ... on Record { id name } ... on User { fullName } }"
ITEM = ("outcome autoLinked savedAttachments { fileName contentType size } refusedAttachments { fileName code } "
        "skippedInlineAttachments activity { __typename id subject state actualEnd regarding { id } "
        f"parties {{ {PARTY} }} "
        "... on Email { messageId inReplyTo categories bodyHtml attachmentCount } "
        "... on Appointment { scheduledStart scheduledEnd location onlineMeetingUrl description attachmentCount } }")
IMPORT = f"""mutation($input: ImportMailInput!) {{ importMail(input: $input) {{
    errors {{ code message field }} items {{ {ITEM} }} }} }}"""


async def import_file(api: Api, name: str, *, as_: str = "sales1", data: bytes | None = None,
                      **fields: Any) -> dict[str, Any]:
    """importMail as a GraphQL multipart upload of tests/data/mail/<name>."""
    body = (MAIL / name).read_bytes() if data is None else data
    operations = {"query": IMPORT, "variables": {"input": {"file": None, **fields}}}
    response = await api.http.post(
        "/graphql", headers={"Authorization": f"Bearer {api.tokens[as_]}", "Apollo-Require-Preflight": "true"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]})},
        files={"0": (name, body, "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert not result.get("errors"), result["errors"]
    return result["data"]["importMail"]


async def import_sports(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    company = await account(api, "Import Sports")
    zoe = await contact(api, "Zoë", "Łukasik", email="zoe.lukasik@import-sports.example", accountId=company["id"])
    return company, zoe


def parties(activity: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(p["role"], p["address"], (p["party"] or {}).get("__typename")) for p in activity["parties"]]


async def test_an_email_thread_imports_with_decoded_headers_attachments_and_replies(api: Api) -> None:
    """R-TRACK-1/4/5 from .eml files: the request, our proposal (a reply, with files), their reply."""
    company, zoe = await import_sports(api)
    quote = await import_file(api, "quote_request.eml", regardingId=company["id"])
    assert quote["errors"] == []
    [item] = quote["items"]
    email = item["activity"]
    assert (item["outcome"], email["__typename"], email["state"]) == ("CREATED", "Email", "RECEIVED")
    assert email["subject"] == "Zapytanie ofertowe – sprzęt narciarski na sezon 2025"
    assert email["messageId"] == "CAF3q9Zk1xYb+quote=2025@mail.import-sports.example"
    assert email["actualEnd"] == "2025-01-14T08:12:45+00:00"
    assert email["categories"] == ["Pricing", "Q1 deals"]
    assert "<b>40 par nart</b>" in email["bodyHtml"] and "Dzień dobry" in email["bodyHtml"]
    assert parties(email) == [("FROM", "zoe.lukasik@import-sports.example", "Contact"),
                              ("TO", "sales1@test.relate", "User"),
                              ("CC", "procurement@import-sports.example", None)]

    proposal = (await import_file(api, "proposal_with_attachments.eml"))["items"][0]
    assert proposal["outcome"] == "CREATED" and proposal["autoLinked"] is True
    assert proposal["activity"]["regarding"] == {"id": company["id"]}
    assert proposal["activity"]["state"] == "SENT"
    assert proposal["activity"]["subject"] == "Oferta: narty Slalom 160 – Import Sports"
    assert [(a["fileName"], a["contentType"]) for a in proposal["savedAttachments"]] == [
        ("Oferta Łukasik.pdf", "application/pdf"), ("prices.csv", "text/csv")]
    assert proposal["refusedAttachments"] == [{"fileName": "price-calculator.exe", "code": "FILE_TYPE_BLOCKED"}]
    assert proposal["skippedInlineAttachments"] == ["image001.png"]
    assert proposal["activity"]["attachmentCount"] == 2
    assert 'src="cid:image001.png@01DB6A2F.5C3E1A40"' in proposal["activity"]["bodyHtml"]

    reply = (await import_file(api, "reply_from_customer.eml", onlyReplies=True))["items"][0]
    assert reply["outcome"] == "CREATED" and reply["autoLinked"] is True
    assert reply["activity"]["regarding"] == {"id": company["id"]}
    assert reply["activity"]["inReplyTo"] == "DB9PR07MB7931.proposal.7f3a@test.relate"
    assert reply["activity"]["bodyHtml"].startswith('<div style="white-space:pre-wrap">Thank you Sam')
    assert "&gt; Dear Zoë" in reply["activity"]["bodyHtml"]

    again = (await import_file(api, "quote_request.eml", as_="sales2"))["items"][0]
    assert again["outcome"] == "ALREADY_TRACKED" and again["activity"]["id"] == email["id"]
    data = await api("query($id: ID!) { timeline(recordId: $id, first: 10) { totalCount } }", {"id": zoe["id"]})
    assert data["timeline"]["totalCount"] == 3


async def test_an_unsent_draft_file_is_refused(api: Api, db: Database) -> None:
    """R-TRACK-3: Outlook's X-Unsent: 1 marks a draft; nothing is saved."""
    before = await table_counts(db)
    payload = await import_file(api, "draft_unsent.eml")
    assert [e["code"] for e in payload["errors"]] == ["INVALID_STATE"] and payload["items"] == []
    assert await table_counts(db) == before


async def test_an_outlook_meeting_imports_and_a_later_version_updates_it(api: Api) -> None:
    """R-TRACK-3 from .ics: the file's own VTIMEZONE (a Windows zone name) sets the times, in
    winter and in summer; rooms are not people; the second version updates the first."""
    _, zoe = await import_sports(api)
    [item] = (await import_file(api, "meeting_outlook.ics"))["items"]
    meeting = item["activity"]
    assert (item["outcome"], meeting["__typename"], meeting["state"]) == ("CREATED", "Appointment", "SCHEDULED")
    assert meeting["subject"] == "Omówienie oferty – Import Sports"
    assert (meeting["scheduledStart"], meeting["scheduledEnd"]) == ("2025-01-21T09:00:00+00:00",
                                                                    "2025-01-21T10:00:00+00:00")
    assert meeting["location"] == "Sala Tatry (8), ul. Długa 5, Kraków"
    assert meeting["onlineMeetingUrl"].startswith("https://teams.microsoft.com/l/meetup-join/")
    assert meeting["description"].startswith("Omówienie oferty na narty Slalom 160, warunków dostawy")
    assert "1. Ceny; rabat przy >30 szt." in meeting["description"]
    assert parties(meeting) == [("ORGANIZER", "sales1@test.relate", "User"),
                                ("REQUIRED_ATTENDEE", "zoe.lukasik@import-sports.example", "Contact"),
                                ("OPTIONAL_ATTENDEE", "sales2@test.relate", "User")]
    assert [a["fileName"] for a in item["savedAttachments"]] == ["agenda.txt"]
    [moved] = (await import_file(api, "meeting_outlook_moved.ics"))["items"]
    assert moved["outcome"] == "UPDATED" and moved["activity"]["id"] == meeting["id"]
    # 10:00 in Central Europe in July is summer time, UTC+2.
    assert moved["activity"]["scheduledStart"] == "2025-07-15T08:00:00+00:00"
    data = await api("query($id: ID!) { timeline(recordId: $id, first: 10) { totalCount } }", {"id": zoe["id"]})
    assert data["timeline"]["totalCount"] == 1


async def test_a_recurring_series_file_is_not_supported(api: Api) -> None:
    """R-TRACK-3: an RRULE makes it a series: NOT_SUPPORTED."""
    payload = await import_file(api, "meeting_recurring.ics")
    assert [e["code"] for e in payload["errors"]] == ["NOT_SUPPORTED"]


def floating_meeting(uid: str, *extra: str) -> bytes:
    """A meeting at 10:00 on 21 January 2025 with no time zone, organised by Sasha (sales2)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", *extra, "BEGIN:VEVENT", f"UID:{uid}", "SUMMARY:Review",
             "DTSTART:20250121T100000", "DTEND:20250121T110000", "ORGANIZER:mailto:sales2@test.relate",
             "ATTENDEE:mailto:buyer@customer.example", "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


async def test_a_time_without_a_zone_is_read_in_the_organisers_zone(api: Api, db: Database, org: Org) -> None:
    """A floating time is wall-clock time where the meeting was planned: the calendar's
    X-WR-TIMEZONE, else the organiser's zone, not the importer's (sales1: UTC)."""
    async with db.unit_of_work() as session:
        await session.execute(update(User).where(User.id == org.users["sales2"]).values(time_zone="Europe/Oslo"))
    [item] = (await import_file(api, "floating.ics", data=floating_meeting("floating-1")))["items"]
    # 10:00 in Oslo in January (UTC+1).
    assert item["activity"]["scheduledStart"] == "2025-01-21T09:00:00+00:00"
    [named] = (await import_file(api, "named.ics", data=floating_meeting(
        "floating-2", "X-WR-TIMEZONE:America/New_York")))["items"]
    # The calendar says New York (UTC-5): 10:00 there.
    assert named["activity"]["scheduledStart"] == "2025-01-21T15:00:00+00:00"


async def test_refusals_of_what_a_file_holds_point_at_the_file(api: Api, db: Database) -> None:
    """importMail has no `isRecurring` or `start`: a refusal of an item in the file points
    at `file`, the input it came in."""
    before = await table_counts(db)
    series = await import_file(api, "meeting_recurring.ics")
    draft = await import_file(api, "draft_unsent.eml")
    assert [(e["code"], e["field"]) for e in series["errors"]] == [("NOT_SUPPORTED", ["input", "file"])]
    assert [(e["code"], e["field"]) for e in draft["errors"]] == [("INVALID_STATE", ["input", "file"])]
    assert await table_counts(db) == before


@pytest.mark.parametrize(("name", "data"), [
    ("empty.eml", b"   \r\n"),
    ("report.eml", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
    ("broken.ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:nonsense\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"),
    ("unclosed.ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n"),
])
async def test_files_that_are_not_mail_are_a_typed_error(api: Api, name: str, data: bytes) -> None:
    """Bad input gets a typed error, never a 500."""
    payload = await import_file(api, name, data=data)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", ["input", "file"])]


async def test_the_cli_imports_a_file_as_a_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`relate import-mail FILE --as EMAIL`: one line per item; a second run says already tracked."""
    monkeypatch.setenv("RELATE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'relate.db'}")
    monkeypatch.setenv("RELATE_FILE_STORE_DIR", str(tmp_path / "files"))
    get_settings.cache_clear()
    try:
        for command in (("migrate",), ("seed", "--demo")):
            assert (await arelate(*command)).exit_code == 0
        path = str(MAIL / "proposal_with_attachments.eml")
        first = await arelate("import-mail", path, "--as", "sales1@demo.relate")
        assert first.exit_code == 0, first.stderr
        lines = first.stdout.splitlines()
        assert lines[0].startswith("created email ") and lines[0].endswith(": Oferta: narty Slalom 160 – Import Sports")
        assert lines[1:] == ["  skipped inline image image001.png",
                             "  refused attachment price-calculator.exe: files of type .exe are not allowed"]
        second = await arelate("import-mail", path, "--as", "sales1@demo.relate")
        assert second.stdout.startswith("already tracked email ")
        nobody = await arelate("import-mail", path, "--as", "nobody@demo.relate")
        assert nobody.exit_code == 1 and "no active user" in nobody.stderr
    finally:
        get_settings.cache_clear()
