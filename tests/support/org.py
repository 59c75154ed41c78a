"""A small organisation for tests: units, the built-in roles, users, a team, tokens.

Units: Root > Sales > Sales West, and Root > Service (another unit).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from graph.commands.setup import add_business_unit, add_team, add_user
from graph.commands.tokens import create_token
from graph.db import Database
from graph.models import utcnow

HOURS = {d: ["08:00", "18:00"] for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")}

# key, name, unit, roles
PEOPLE = (
    ("admin", "Ada Admin", "root", ["system_administrator"]),
    ("manager", "Morgan Manager", "sales", ["sales_manager"]),
    ("sales1", "Sam Seller", "sales", ["salesperson"]),
    ("sales2", "Sasha Seller", "sales", ["salesperson"]),
    ("sales3", "Wes Westwood", "west", ["salesperson"]),
    ("service", "Sid Service", "service", ["salesperson"]),
    ("service_manager", "Selma Service", "service", ["sales_manager"]),
    ("norole", "Nora Norole", "sales", []),
)


@dataclass
class Org:
    units: dict[str, uuid.UUID] = field(default_factory=dict)
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    team_id: uuid.UUID | None = None


async def build_org(db: Database) -> Org:
    org = Org()
    now = utcnow()
    async with db.unit_of_work() as session:
        root = await add_business_unit(session, "Root", None)
        sales = await add_business_unit(session, "Sales", root.id)
        west = await add_business_unit(session, "Sales West", sales.id)
        service = await add_business_unit(session, "Service", root.id)
        org.units = {"root": root.id, "sales": sales.id, "west": west.id, "service": service.id}
        for key, name, unit, roles in PEOPLE:
            user = await add_user(session, name=name, email=f"{key}@test.relate", unit_id=org.units[unit],
                                  roles=roles, now=now, business_phone="+1 555 0100",
                                  working_hours=HOURS)
            org.users[key] = user.id
        team = await add_team(session, name="Inside Sales", unit_id=sales.id, now=now,
                              member_ids=[org.users["sales1"], org.users["sales2"]])
        org.team_id = team.id
        for key in org.users:
            org.tokens[key] = await create_token(session, f"{key}@test.relate", now)
    return org
