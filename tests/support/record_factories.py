"""One-line helpers for record tests: make accounts and contacts through the API, give a
test user a custom security role, and snapshot row counts to prove "nothing was written".
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from graph.commands.setup import add_user, bump_security_stamp
from graph.commands.tokens import create_token
from graph.db import Database
from graph.models import Base, Record, Role, RolePrivilege, utcnow
from graph.rules.access import ACTIONS, SECURED_TYPES, Depth
from tests.support.client import Api
from tests.support.org import Org

ACCOUNT_FIELDS = "id name version state owner { ... on User { fullName } ... on Team { name } }"
CONTACT_FIELDS = ("id name firstName lastName email businessPhone mobilePhone version state "
                  "doNotPhone doNotEmail doNotText account { id name }")


async def account(api: Api, name: str, *, as_: str = "admin", **fields: Any) -> dict[str, Any]:
    """Create an account as `as_`; returns the payload's `account`."""
    # Fixtures, not a test of the duplicate rules (R-QRY-3): look-alikes are meant.
    fields.setdefault("acknowledgeWarnings", True)
    payload = await api.ok("createAccount", {"name": name, **fields}, f"account {{ {ACCOUNT_FIELDS} }}", as_=as_)
    return payload["account"]


async def contact(api: Api, first: str, last: str, *, as_: str = "admin", **fields: Any) -> dict[str, Any]:
    fields.setdefault("acknowledgeWarnings", True)
    payload = await api.ok("createContact", {"firstName": first, "lastName": last, **fields},
                           f"contact {{ {CONTACT_FIELDS} }}", as_=as_)
    return payload["contact"]


async def table_counts(db: Database) -> dict[str, int]:
    """Rows per table: equal before and after a refused request means nothing was written."""
    found: dict[str, int] = {}
    async with db.read() as session:
        for table in Base.metadata.sorted_tables:
            found[table.name] = int(await session.scalar(select(func.count()).select_from(table)) or 0)
    return found


async def record_row(db: Database, global_id: str) -> dict[str, Any]:
    """The stored columns of one record, by global id, read straight from the table."""
    from resolvers.ids import parse_global_id

    parsed = parse_global_id(global_id)
    assert parsed is not None, global_id
    async with db.read() as session:
        row = (await session.execute(select(Record.__table__).where(Record.__table__.c.id == parsed[1]))).one()
    return dict(row._mapping)


async def add_custom_role(db: Database, org: Org, *, role: str, key: str, unit: str,
                          depths: dict[str, Depth]) -> uuid.UUID:
    """A role granting `depths` per action on every secured type, and a user `key` holding it.

    The user gets a token in `org.tokens`, so `api(..., as_=key)` works at once; the
    security stamp is bumped so no cached scope survives.
    """
    async with db.unit_of_work() as session:
        row = Role(name=role)
        session.add(row)
        await session.flush()
        session.add_all(
            RolePrivilege(role_id=row.id, record_type=t, action=a, depth=depths.get(a, Depth.NONE).name)
            for t in SECURED_TYPES for a in ACTIONS
        )
        await session.flush()
        user = await add_user(session, name=f"{key.title()} Custom", email=f"{key}@test.relate",
                              unit_id=org.units[unit], roles=[role], now=utcnow())
        await bump_security_stamp(session)
        org.users[key] = user.id
        org.tokens[key] = await create_token(session, f"{key}@test.relate", utcnow())
    return user.id

