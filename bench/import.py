"""Import benchmark (R-IMP-1): how many contacts per second does `relate import` write?

Generates a CSV of N contacts (default 100,000; every third names one of 1,000 accounts by
name, every contact has a unique email), creates a fresh database (SQLite in a temporary
file; PostgreSQL in a schema of its own, dropped afterwards, with `--database-url`),
imports the 1,000 accounts and then the contacts through the same function the CLI and
the `importRecords` mutation use (`graph.commands.imports.import_records`), and prints
rows/s, seconds (and the CPU seconds the process used: on a shared machine the
wall clock also counts other people's work), the peak resident memory of the process, and the rows the import wrote
(records, events, audit entries) as a check that it did all of its work. Goal: ≥ 5,000
rows/s on SQLite.

    python -m bench.import
    python -m bench.import --runs 3            # three fresh imports and their median
    python -m bench.import --rows 20000 --batch-size 500
    python -m bench.import --database-url postgresql://user@host:5432/db
    python -m bench.import --profile      # cProfile's top functions after the run
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import pstats
import resource
import statistics
import sys
import tempfile
import time
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from sqlalchemy import func, select

from bench.timeline import postgres_database, sqlite_database
from graph.commands import imports
from graph.commands.setup import add_business_unit, add_user, ensure_organisation
from graph.db import Database
from graph.imports.result import ImportResult
from graph.models import AuditEntry, OutboxEvent, Record, utcnow
from graph.queries.principals import build_scope
from graph.rules.access import Scope

ACCOUNTS = 1000
GOAL_ROWS_PER_SECOND = 5000
FIRST = ("Ada", "Grace", "Alan", "Barbara", "Edsger", "Donald", "Frances", "Ken", "Radia", "Zoë")
LAST = ("Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Knuth", "Allen", "Thompson", "Perlman", "Łukasik")
TITLES = ("Buyer", "Head of Purchasing", "CFO", "Engineer", "", "Office Manager")
CITIES = ("London", "Kraków", "Seattle", "Lyon", "Osaka", "")


def write_accounts(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Account Name", "Industry", "City"])
        writer.writerows([f"Account {i:04d}", "Retail", CITIES[i % len(CITIES)]] for i in range(ACCOUNTS))


def write_contacts(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["First Name", "Last Name", "E-mail", "Business Phone", "Job Title", "City", "Company"])
        for i in range(rows):
            writer.writerow([
                FIRST[i % 10], f"{LAST[(i // 10) % 10]} {i}", f"contact{i}@bench.example",
                f"+1 555 {i % 10000:04d}", TITLES[i % len(TITLES)], CITIES[i % len(CITIES)],
                f"Account {i % ACCOUNTS:04d}" if i % 3 == 0 else "",
            ])


async def importer(db: Database) -> Scope:
    now = utcnow()
    async with db.unit_of_work() as session:
        await ensure_organisation(session, attachment_max_bytes=10 * 1024 * 1024, blocked_extensions=[])
        unit = await add_business_unit(session, "Sales", None)
        user = await add_user(session, name="Importer", email="importer@bench.relate", unit_id=unit.id,
                              roles=["system_administrator"], now=now)
        return await build_scope(session, user)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_import(db: Database, scope: Scope, path: Path, record_type: str) -> tuple[ImportResult, float, float]:
    """The result, wall-clock seconds, and CPU seconds of this process (all its threads)."""
    with path.open("rb") as source:
        started, cpu = time.perf_counter(), cpu_seconds()
        result = await imports.import_records(
            db, scope, imports.ImportRequest(record_type, source, path.name), utcnow())
        return result, time.perf_counter() - started, cpu_seconds() - cpu


async def written(db: Database) -> tuple[int, int, int]:
    async with db.read() as session:
        counts = [await session.scalar(select(func.count()).select_from(t))
                  for t in (Record, OutboxEvent, AuditEntry)]
    return int(counts[0] or 0), int(counts[1] or 0), int(counts[2] or 0)


def database(url: str | None) -> AbstractAsyncContextManager[Database]:
    return postgres_database(url) if url else sqlite_database()


async def bench(args: argparse.Namespace, directory: Path) -> int:
    accounts_csv, contacts_csv = directory / "accounts.csv", directory / "contacts.csv"
    started = time.perf_counter()
    write_accounts(accounts_csv)
    write_contacts(contacts_csv, args.rows)
    size = contacts_csv.stat().st_size
    print(f"generated {args.rows:,} contacts ({size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")
    imports.BATCH_SIZE = args.batch_size
    rates = []
    for _ in range(args.runs):
        rate = await one_run(args, accounts_csv, contacts_csv)
        if rate is None:
            return 1
        rates.append(rate)
    if len(rates) > 1:
        median = statistics.median(rates)
        print(f"median of {len(rates)} runs: {median:,.0f} rows/s (each: {', '.join(f'{r:,.0f}' for r in rates)}); "
              f"goal >= {GOAL_ROWS_PER_SECOND:,}: {'ok' if median >= GOAL_ROWS_PER_SECOND else 'MISSED'}")
    return 0


async def one_run(args: argparse.Namespace, accounts_csv: Path, contacts_csv: Path) -> float | None:
    """One import into a fresh database; rows/s, or None when rows were not all created."""
    async with database(args.database_url) as db:
        scope = await importer(db)
        accounts, _, _ = await run_import(db, scope, accounts_csv, "ACCOUNT")
        assert accounts.created == ACCOUNTS, accounts
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        result, seconds, cpu = await run_import(db, scope, contacts_csv, "CONTACT")
        if profiler is not None:
            profiler.disable()
        records, events, audit = await written(db)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = result.created / seconds
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"{backend}: imported {result.created:,} of {result.rows_read:,} rows "
          f"({result.duplicates} duplicates, {result.failed} failed) in {seconds:.1f} s "
          f"({cpu:.1f} s of CPU in this process), batches of {args.batch_size}")
    print(f"{rate:,.0f} rows/s (goal >= {GOAL_ROWS_PER_SECOND:,}: {'ok' if rate >= GOAL_ROWS_PER_SECOND else 'MISSED'}); "
          f"peak RSS {peak_mib:,.0f} MiB")
    print(f"written: {records:,} records, {events:,} events, {audit:,} audit entries "
          f"(accounts included: {ACCOUNTS:,} each)")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(30)
    return rate if result.created == args.rows else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1, help="imports into fresh databases; the median is printed too")
    parser.add_argument("--batch-size", type=int, default=imports.BATCH_SIZE)
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite (a schema of its own is used)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of the import")
    parser.add_argument("--sort", default="cumulative", help="the --profile listing's order, e.g. tottime")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="relate-import-") as directory:
        return asyncio.run(bench(args, Path(directory)))


if __name__ == "__main__":
    sys.exit(main())
