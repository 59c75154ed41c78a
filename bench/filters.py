"""Rich filter benchmark (R-QRY-1): does a filtered page cost the same at 10k and at 1M activities?

The data and the app are those of `bench/timeline.py` (one account with 1,000 contacts,
N activities written in bulk, 100 salespeople; the real app in-process). Two filtered
pages are asked for, as the first salesperson:

- timeline: the account's RELATED timeline, first 50 entries that are tasks or calls
  whose activity is OPEN and whose subject starts with "subject" (a relation: EXISTS on
  the activity) — a third of the entries match;
- list: "My activities" newest first, first 50 that are OPEN tasks about an account whose
  name starts with "import" (a relation: EXISTS on the regarding record).

Neither asks for totalCount: a filtered count reads every match (up to 10,000 on a
timeline), which grows with N by design; see docs/api.md. Printed per database and page:
p50, p99, SQL statements per request, and the 1M/10k p50 ratio (goal <= 1.3).

    python -m bench.filters                          # SQLite, 10k only
    python -m bench.filters --large                  # 10k and 1M
    python -m bench.filters --database-url postgresql://user@host:5432/db --large
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx

from bench.datagen import TimelineShape, analyze, load_timeline
from bench.timeline import StatementCounter, organisation, percentile, postgres_database, sqlite_database
from graph.db import Database
from resolvers.ids import to_global_id
from server.app import create_app
from server.settings import Settings

GOAL_RATIO = 1.3
PAGE = 50
ACTIVITY = "... on Activity { id subject state createdOn owner { ... on User { id fullName } } }"
QUERIES = {
    "timeline": """query($id: ID!) {
  page: timeline(recordId: $id, first: 50, where: {
    type: {in: [TASK, PHONE_CALL]}
    activity: {state: {eq: OPEN}, subject: {startsWith: "subject"}}
  }) { edges { node { %s } } }
}""" % ACTIVITY,
    "list": """query {
  page: activities(first: 50, orderBy: [{field: CREATED_ON, direction: DESC}], where: {
    type: {eq: TASK}
    state: {eq: OPEN}
    regarding: {recordType: {eq: ACCOUNT}, name: {startsWith: "import"}}
  }) { edges { node { %s } } }
}""" % ACTIVITY,
}


@dataclass
class Result:
    database: str
    page: str
    activities: int
    p50_ms: float
    p99_ms: float
    statements: float


class Target:
    """One loaded database served by the real app, answering both filtered pages."""

    def __init__(self, name: str, db: Database, activities: int, record_id: str, token: str) -> None:
        self.name, self.db, self.activities, self.record_id = name, db, activities, record_id
        self.headers = {"Authorization": f"Bearer {token}"}
        settings = Settings(database_url=db.url, response_cache_entries=0)  # measure the query, not a cache
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, db=db)),
                                        base_url="http://bench")
        self.timings: dict[str, list[float]] = {page: [] for page in QUERIES}
        self.statements: dict[str, int] = dict.fromkeys(QUERIES, 0)

    async def once(self, page: str) -> None:
        body = {"query": QUERIES[page], "variables": {"id": self.record_id} if page == "timeline" else {}}
        response = await self.client.post("/graphql", json=body, headers=self.headers)
        data = response.json()
        if response.status_code != 200 or data.get("errors") or len(data["data"]["page"]["edges"]) != PAGE:
            raise SystemExit(f"{page} failed: {response.status_code} {response.text[:500]}")

    async def timed(self, page: str, requests: int) -> None:
        with StatementCounter(self.db) as counter:
            for _ in range(requests):
                started = time.perf_counter()
                await self.once(page)
                self.timings[page].append(time.perf_counter() - started)
        self.statements[page] += counter.count

    def results(self) -> list[Result]:
        return [Result(self.name, page, self.activities, statistics.median(t) * 1000, percentile(t, 0.99) * 1000,
                       self.statements[page] / len(t)) for page, t in self.timings.items()]


async def load(name: str, db: Database, activities: int, args: argparse.Namespace) -> Target:
    users, token = await organisation(db, Settings(database_url=db.url))
    started = time.perf_counter()
    loaded = await load_timeline(db, TimelineShape(activities=activities, contacts=args.contacts, events=False),
                                 owners=users)
    await analyze(db)
    print(f"  {name}: {activities:,} activities loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return Target(name, db, activities, to_global_id("Account", loaded.account_id), token)


async def measure(targets: list[Target], args: argparse.Namespace) -> list[Result]:
    """Warm up, then alternate sizes and pages in rounds, so machine noise falls on all alike."""
    for target in targets:
        for page in QUERIES:
            for _ in range(args.warmup):
                await target.once(page)
    rounds = 10
    for _ in range(rounds):
        for target in targets:
            for page in QUERIES:
                await target.timed(page, max(1, args.requests // rounds))
    for target in targets:
        await target.client.aclose()
    return [r for t in targets for r in t.results()]


def table(results: list[Result]) -> str:
    lines = [f"{'database':<11}{'page':<10}{'activities':>12}{'p50 ms':>9}{'p99 ms':>9}{'SQL/req':>9}"]
    lines += [f"{r.database:<11}{r.page:<10}{r.activities:>12,}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.statements:>9.1f}"
              for r in results]
    groups: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        groups.setdefault((r.database, r.page), []).append(r)
    for (database, page), rows in groups.items():
        if len(rows) >= 2:
            small, large = min(rows, key=lambda r: r.activities), max(rows, key=lambda r: r.activities)
            ratio = large.p50_ms / small.p50_ms
            verdict = "ok" if ratio <= GOAL_RATIO else "MISSED"
            lines.append(f"{database} {page}: p50 {large.activities:,} / {small.activities:,} = {ratio:.2f} "
                         f"(goal <= {GOAL_RATIO}: {verdict})")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    sizes = [10_000, 1_000_000] if args.large else [10_000]
    kinds: list[tuple[str, Any]] = [("sqlite", sqlite_database)]
    if args.database_url:
        kinds.append(("postgresql", lambda: postgres_database(args.database_url)))
    if args.only:
        kinds = [k for k in kinds if k[0] == args.only]
    results: list[Result] = []
    for name, open_database in kinds:
        async with AsyncExitStack() as stack:
            targets = [await load(name, await stack.enter_async_context(open_database()), size, args)
                       for size in sizes]
            results.extend(await measure(targets, args))
    print(f"\nFiltered pages of {PAGE}, no totalCount; {args.requests} sequential requests per page and size "
          f"after {args.warmup} warm-up, sizes alternated; {args.contacts:,} contacts")
    print(table(results))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", help="also 1,000,000 activities (loading takes minutes)")
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--database-url", help="also run on this PostgreSQL (a schema of its own, dropped after)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="run one database only")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
