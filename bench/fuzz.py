"""Long fuzzing run (R-API-3): 20,000+ generated documents through the real app.

The same documents, checks and database invariants as tests/security/test_fuzz.py (valid
and invalid documents from hypothesis-graphql, random variables, random viewers), at a
scale CI has no time for. SQLite in a temp file by default; `--database-url` runs on
PostgreSQL in a schema of its own, dropped afterwards. Prints documents run, HTTP
statuses, error codes, internal errors (each with its document) and broken invariants;
exits 1 if there is any.

    python -m bench.fuzz                          # 20,000 documents, random seed
    python -m bench.fuzz --documents 50000 --seed 7
    python -m bench.fuzz --database-url postgresql://user@host:5432/db
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

from graph.db import Database
from server.app import create_app
from tests.security.fuzzing import FuzzResult, generated, invariants, post_all
from tests.security.test_fuzz import seed_rows
from tests.support.client import Api
from tests.support.databases import PostgresRun, make_sqlite_template, sqlite_copy, test_settings
from tests.support.org import build_org

VIEWERS = ("admin", "admin", "manager", "sales1", "sales3", "service", "norole")


async def run(db: Database, args: argparse.Namespace, files: Path) -> int:
    org = await build_org(db)
    app = create_app(test_settings(file_store_dir=str(files), rate_limit_per_second=0), db=db)
    result = FuzzResult()
    started = time.perf_counter()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.bench") as http:
        ids = await seed_rows(Api(http, org.tokens), org)
        rng = random.Random(args.seed)
        async for items in generated(ids, args.documents, args.seed, chunk=500):
            await post_all(http, org.tokens, items, result, rng, VIEWERS)
            print(f"  {result.documents:,} / {args.documents:,} documents", end="\r", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    problems = await invariants(db)
    print(f"fuzz: seed {args.seed}, {result.documents:,} documents in {seconds:.0f} s "
          f"({result.documents / seconds:.0f}/s) on {db.writer.dialect.name}")
    print(f"  HTTP statuses: {dict(result.statuses)}")
    print(f"  error codes: {dict(result.codes.most_common())}")
    print(f"  internal errors: {len(result.failures)}; broken invariants: {len(problems)}")
    for line in result.failures[:50] + problems:
        print(f"  - {line}")
    return 1 if result.failures or problems else 0


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:
            pg = PostgresRun(args.database_url)
            pg.create()
            try:
                db = await pg.fresh()
                try:
                    return await run(db, args, Path(tmp) / "files")
                finally:
                    await db.dispose()
            finally:
                pg.drop()
        db = sqlite_copy(make_sqlite_template(Path(tmp)), Path(tmp))
        try:
            return await run(db, args, Path(tmp) / "files")
        finally:
            await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=random.randrange(2**32))
    parser.add_argument("--database-url", help="PostgreSQL to run on (a schema of its own, dropped after)")
    sys.exit(asyncio.run(main(parser.parse_args())))
