"""`insert_rows` (bulk work such as an import) writes exactly what the ORM would write."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from graph.commands.bulk_insert import insert_rows
from graph.db import Database
from graph.models import Contact, OutboxEvent, Record
from tests.support.org import Org

STORED = ("type", "name", "state", "email", "first_name", "last_name", "account_id", "owner_id",
          "owning_business_unit_id", "created_by_id", "modified_by_id", "created_on", "modified_on", "version",
          "do_not_phone", "do_not_email", "do_not_text")


async def test_rows_are_stored_as_the_orm_stores_them(db: Database, org: Org) -> None:
    """Same values through the ORM and through `insert_rows`: same stored row, column by
    column, including times given in another zone, and the constant defaults (state,
    version, do-not flags) filled in for columns left out."""
    owner, unit = org.users["sales1"], org.units["west"]
    when = datetime(2026, 11, 23, 18, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
    values = {"type": "CONTACT", "name": "Ada Lovelace", "email": "Ada@Example.com", "first_name": "Ada",
              "last_name": "Lovelace", "owner_id": owner, "owning_business_unit_id": unit, "created_by_id": owner,
              "modified_by_id": owner, "created_on": when, "modified_on": when}
    by_orm, by_rows = uuid.uuid4(), uuid.uuid4()
    async with db.unit_of_work() as session:
        session.add(Contact(id=by_orm, **values))
        await session.flush()
        same = {k: v for k, v in values.items() if k not in ("name", "email")}
        written = await insert_rows(await session.connection(), Record.__table__, ("id", "name", "email"),
                                    [(by_rows, values["name"], values["email"])], same)
    assert written == 1
    async with db.read() as session:
        rows = {r.id: r for r in (await session.scalars(select(Record).where(Record.id.in_([by_orm, by_rows])))).all()}
    orm, bulk = rows[by_orm], rows[by_rows]
    assert {c: getattr(bulk, c) for c in STORED} == {c: getattr(orm, c) for c in STORED}
    assert bulk.created_on == when.astimezone(UTC) and bulk.state == "ACTIVE" and bulk.version == 1
    assert bulk.do_not_email is False


async def test_json_and_integer_keys_round_trip(db: Database, org: Org) -> None:
    when = datetime(2026, 11, 23, tzinfo=UTC)
    payload = {"recordId": str(uuid.uuid4()), "fields": ["email", "żółw"], "nested": {"n": 1}}
    async with db.unit_of_work() as session:
        count = await insert_rows(await session.connection(), OutboxEvent.__table__, ("id", "kind", "payload"),
                                  [(900_001, "record.changed", payload), (900_002, "record.changed", {})],
                                  {"actor_id": org.users["sales1"], "created_on": when})
    assert count == 2
    async with db.read() as session:
        events = (await session.scalars(select(OutboxEvent).where(OutboxEvent.id >= 900_001)
                                        .order_by(OutboxEvent.id))).all()
    assert [(e.id, e.kind, e.payload, e.actor_id, e.created_on) for e in events] == [
        (900_001, "record.changed", payload, org.users["sales1"], when),
        (900_002, "record.changed", {}, org.users["sales1"], when),
    ]


async def test_a_column_with_a_computed_default_must_be_given(db: Database, org: Org) -> None:
    """`id` defaults to a new UUID per row in the ORM; nobody computes it here, so leaving
    it out is refused before anything is written rather than stored as NULL."""
    async with db.unit_of_work() as session:
        before = len((await session.scalars(select(Record.id))).all())
        with pytest.raises(ValueError, match="give id"):
            await insert_rows(await session.connection(), Record.__table__, ("name",), [("Nobody",)],
                              {"type": "ACCOUNT"})
        assert len((await session.scalars(select(Record.id))).all()) == before


async def test_no_rows_write_nothing(db: Database) -> None:
    async with db.unit_of_work() as session:
        assert await insert_rows(await session.connection(), OutboxEvent.__table__, ("kind",), []) == 0
