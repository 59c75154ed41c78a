"""`relate import FILE` (R-IMP-1) on a SQLite file: the same import as the mutation, with a
progress bar on stderr, a report on stdout, and exit status 1 when nothing could be imported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from graph.db import Database
from graph.models import AuditEntry, Contact, OutboxEvent
from server.settings import get_settings
from tests.support.cli import arelate, demo_database

CSV = ("First Name,Last Name,E-mail,Company\r\n"
       "Ada,Lovelace,ada@example.org,Import Sports\r\n"
       "Bob,,bob@example.org,\r\n"
       "Ada,Again,ADA@example.org,\r\n"
       "Grace,Hopper,grace@example.org,No Such Company\r\n")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = demo_database(tmp_path / "relate.db")
    monkeypatch.setenv("RELATE_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_settings.cache_clear()


async def counts(url: str) -> tuple[int, int, int]:
    db = Database.connect(url)
    try:
        async with db.read() as session:
            return tuple([int(await session.scalar(select(func.count()).select_from(t)) or 0)  # type: ignore[return-value]
                          for t in (Contact, OutboxEvent, AuditEntry)])
    finally:
        await db.dispose()


async def test_r_imp_1_the_cli_imports_a_csv_and_reports_the_rows_it_did_not(database: str, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(CSV, encoding="utf-8")
    before = await counts(database)
    dry = await arelate("import", str(path), "--type", "contact", "--as", "sales1@demo.relate", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.startswith("dry run of people.csv (CSV): 1 contacts would be created, 1 duplicates, 2 failed")
    assert await counts(database) == before
    result = await arelate("import", str(path), "--type", "contact", "--as", "sales1@demo.relate")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("imported people.csv (CSV): 1 contacts created, 1 duplicates, 2 failed, 4 of 4 rows read")
    assert "importing" in result.stderr and "4/4" in result.stderr  # the progress bar
    for row, code, text in (("2", "VALIDATION", "lastName is required"),
                            ("3", "DUPLICATE", "row 1 has the same email ADA@example.org"),
                            ("4", "NOT_FOUND", "no account named 'No Such Company'")):
        [line] = [line for line in out.splitlines() if f"│ {row} " in line]
        assert code in line and text in line
    assert await counts(database) == tuple(n + d for n, d in zip(before, (1, 1, 1), strict=True))


async def test_r_imp_1_the_cli_maps_columns_and_refuses_a_broken_file(database: str, tmp_path: Path) -> None:
    path = tmp_path / "people.txt"
    path.write_text("Vorname;Nachname\nAda;Lovelace\n", encoding="utf-8")
    mapped = await arelate("import", str(path), "--type", "CONTACT", "--as", "admin@demo.relate",
                           "--map", "Vorname=firstName", "--map", "Nachname=lastName")
    assert mapped.exit_code == 0, mapped.stderr
    assert "1 contacts created" in mapped.stdout
    before = await counts(database)
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<contacts><contact><FirstName>Ada</contact></contacts>")
    refused = await arelate("import", str(broken), "--type", "contact", "--as", "admin@demo.relate")
    assert refused.exit_code == 1
    assert "error: cannot import broken.xml: the XML is not well-formed" in refused.stderr
    assert await counts(database) == before
    wrong = await arelate("import", str(path), "--type", "lead", "--as", "admin@demo.relate")
    assert wrong.exit_code == 2
    nobody = await arelate("import", str(path), "--type", "contact", "--as", "nobody@demo.relate")
    assert nobody.exit_code == 1 and "no active user" in nobody.stderr
