"""bench/compare.py's mixed run writes tasks through the API; `bench.relate_writes` takes
them out again so the next run compares the anchor's rows. Undone means: the timeline
index, its kept counts and the timeline page are what they were before the writes, and
activities not named as the benchmark's writes stay."""

from __future__ import annotations

from sqlalchemy import func, select

from bench.relate_writes import remove_writes
from graph.db import Database
from graph.models import Activity
from tests.api.test_timeline import account, contact
from tests.support.client import Api
from tests.unit.test_timeline_index import assert_consistent, index_rows, kept_counts

TIMELINE = """query($id: ID!) { timeline(recordId: $id, first: 50) { totalCount
  nodes { ... on Activity { subject } } } }"""


async def activities(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Activity)) or 0)


async def test_the_mixed_runs_tasks_are_taken_out_of_the_index_and_counts(db: Database, api: Api) -> None:
    acme = await account(api, "Acme")
    person = await contact(api, "Ann", "Lee", acme)
    await api.ok("createTask", {"subject": "Kept", "regardingId": person}, "task { id }", as_="sales1")
    before = (await index_rows(db), await kept_counts(db), await activities(db))
    page_before = await api(TIMELINE, {"id": acme}, as_="sales1")

    for n, regarding in enumerate((acme, person, acme)):
        await api.ok("createTask", {"subject": f"Bench write {n}", "regardingId": regarding}, "task { id }",
                     as_="sales1")
    assert (await api(TIMELINE, {"id": acme}, as_="sales1"))["timeline"]["totalCount"] == 4

    assert await remove_writes(db, "Bench write ") == 3

    assert (await index_rows(db), await kept_counts(db), await activities(db)) == before
    await assert_consistent(db)
    assert await api(TIMELINE, {"id": acme}, as_="sales1") == page_before
    assert await remove_writes(db, "Bench write ") == 0
