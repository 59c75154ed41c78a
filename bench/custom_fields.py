"""R-QRY-2: where custom field values live — a JSON column with expression indexes, or a
typed EAV table — measured on N records (default 100,000) on SQLite and PostgreSQL.

    python -m bench.custom_fields [--records 100000] [--runs 30] [--database-url postgresql://…]

Both layouts hold the same values of one NUMBER field `seats` (90 % of accounts have
one, 0–9,999) on a reduced `records` table (id, type, name, custom_fields). Printed per
database and layout: load time, and p50 of
- filter+sort: `seats >= 5000`, ordered by seats, first page of 50;
- filter=: `seats = 1234`, ordered by name, first page;
- sort: every account ordered by seats (no value last), a page from the middle by keyset;
- values: the custom values of a page of 50 records (the JSON layout has them in the row:
  no statement; EAV needs one).
The JSON layout's SQL is the project's own (`graph/queries/custom_fields.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from graph.db import async_url
from graph.models import Record
from graph.queries.custom_fields import custom_field_condition, custom_field_sort_key, field_index
from graph.queries.keyset import after
from graph.rules.custom_fields import FieldDefinition

SEATS = FieldDefinition("seats", "Seats", "NUMBER")
PAGE = 50


def rows(count: int) -> list[tuple[uuid.UUID, str, int | None]]:
    rng = random.Random(19)
    return [(uuid.uuid4(), f"Account {i:07d}", rng.randrange(10_000) if rng.random() < 0.9 else None)
            for i in range(count)]


async def load(conn: AsyncConnection, data: list[tuple[uuid.UUID, str, int | None]], uuid_type: str) -> None:
    await conn.execute(text(f"CREATE TABLE records (id {uuid_type} PRIMARY KEY, type VARCHAR(20), name VARCHAR(400), "
                            f"custom_fields {'JSONB' if uuid_type == 'UUID' else 'JSON'})"))
    await conn.execute(text("CREATE INDEX ix_records_type_name ON records (type, name)"))
    await conn.execute(text(f"CREATE TABLE custom_values (field_id INTEGER, record_id {uuid_type}, "
                            "number_value NUMERIC, text_value VARCHAR(2000), PRIMARY KEY (field_id, record_id))"))
    await conn.execute(text("CREATE INDEX ix_custom_values_number "
                            "ON custom_values (field_id, number_value, record_id)"))
    await conn.execute(text("CREATE INDEX ix_custom_values_record ON custom_values (record_id, field_id)"))
    ident = (lambda u: u) if uuid_type == "UUID" else (lambda u: u.hex)
    for start in range(0, len(data), 20_000):
        chunk = data[start:start + 20_000]
        await conn.execute(text("INSERT INTO records VALUES (:id, 'ACCOUNT', :name, :cf)"), [
            {"id": ident(i), "name": n, "cf": json.dumps({"seats": s} if s is not None else {})} for i, n, s in chunk])
        await conn.execute(text("INSERT INTO custom_values (field_id, record_id, number_value) VALUES (1, :id, :v)"),
                           [{"id": ident(i), "v": s} for i, _, s in chunk if s is not None])


def compiled(conn: AsyncConnection, statement: Any) -> str:
    return str(statement.compile(conn.sync_engine, compile_kwargs={"literal_binds": True}))


def json_queries(conn: AsyncConnection) -> dict[str, str]:
    table = Record.__table__
    keys = custom_field_sort_key(SEATS)
    order = [k.clause() for k in keys] + [table.c.id]
    # As the API orders a list whose filter requires a value of the field (resolvers/custom_fields.py).
    valued = [k.clause() for k in custom_field_sort_key(SEATS, has_value=True)] + [table.c.id]
    base = select(table.c.id, table.c.custom_fields).where(table.c.type == "ACCOUNT")
    middle = after([*keys], [0, 5000])
    return {
        "filter+sort": compiled(conn, base.where(custom_field_condition(SEATS, "GTE", 5000)).order_by(*valued)
                                .limit(PAGE + 1)),
        "filter=": compiled(conn, base.where(custom_field_condition(SEATS, "EQ", 1234)).order_by(table.c.name)
                            .limit(PAGE + 1)),
        "sort": compiled(conn, base.where(middle).order_by(*order).limit(PAGE + 1)),
    }


EAV = {
    "filter+sort": "SELECT r.id FROM records r JOIN custom_values v ON v.field_id = 1 AND v.record_id = r.id "
                   "WHERE r.type = 'ACCOUNT' AND v.number_value >= 5000 ORDER BY v.number_value, r.id LIMIT 51",
    "filter=": "SELECT r.id FROM records r JOIN custom_values v ON v.field_id = 1 AND v.record_id = r.id "
               "WHERE r.type = 'ACCOUNT' AND v.number_value = 1234 ORDER BY r.name LIMIT 51",
    "sort": "SELECT r.id FROM records r LEFT JOIN custom_values v ON v.field_id = 1 AND v.record_id = r.id "
            "WHERE r.type = 'ACCOUNT' AND (v.number_value IS NULL, v.number_value) > (false, 5000) "
            "ORDER BY v.number_value IS NULL, v.number_value, r.id LIMIT 51",
}


async def p50(run: Callable[[], Awaitable[Any]], runs: int) -> float:
    await run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def measure(url: str, label: str, count: int, runs: int) -> None:
    is_pg = url.startswith("postgresql")
    schema = f"bench_cf_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(async_url(url) if is_pg else url)
    try:
        async with engine.begin() as conn:
            if is_pg:
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                await conn.execute(text(f'SET search_path TO "{schema}"'))
            data = rows(count)
            started = time.perf_counter()
            await load(conn, data, "UUID" if is_pg else "CHAR(32)")
            loaded = time.perf_counter() - started
            started = time.perf_counter()
            await conn.run_sync(lambda c: field_index(SEATS, "ix_records_cf_seats").create(c))
            indexed = time.perf_counter() - started
            await conn.execute(text("ANALYZE"))
            print(f"\n{label}: {count:,} records loaded in {loaded:.1f} s; the field's JSON index in {indexed:.2f} s")
            queries = json_queries(conn)
            page_ids = [(i if is_pg else i.hex) for i, _, _ in data[:PAGE]]
            values_sql = text("SELECT record_id, field_id, number_value, text_value FROM custom_values "
                              "WHERE record_id IN :ids").bindparams(bindparam("ids", expanding=True))
            print(f"  {'query':<12} {'JSON p50 ms':>12} {'EAV p50 ms':>12}")
            for name in ("filter+sort", "filter=", "sort"):
                json_ms = await p50(lambda q=queries[name]: conn.exec_driver_sql(q), runs)
                eav_ms = await p50(lambda q=EAV[name]: conn.exec_driver_sql(q), runs)
                print(f"  {name:<12} {json_ms:>12.2f} {eav_ms:>12.2f}")
            eav_values = await p50(lambda: conn.execute(values_sql, {"ids": page_ids}), runs)
            print(f"  {'values':<12} {'0 (in row)':>12} {eav_values:>12.2f}")
            for name in ("filter+sort", "sort"):
                explain = "EXPLAIN QUERY PLAN " if not is_pg else "EXPLAIN "
                plan = (await conn.exec_driver_sql(explain + queries[name])).all()
                print(f"  plan JSON {name}: " + " | ".join(str(r[-1]) for r in plan)[:300])
            if is_pg:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default=None, help="also measure this PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(measure(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}", "SQLite", args.records, args.runs))
    if args.database_url:
        asyncio.run(measure(args.database_url, "PostgreSQL", args.records, args.runs))


if __name__ == "__main__":
    main()
