"""The demo organisation of SPEC §10: fixed users scripts can rely on, plus sample data and
a few weeks of history on Import Sports and Chris Preston (graph/demo_history.py).

Deterministic (a seeded random), created through the same commands the API uses, so
timelines, counts and events are exactly what real use would produce.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import records
from graph.commands.setup import add_business_unit, add_team, add_user
from graph.demo_history import DemoHistory, add_history
from graph.models import User, utcnow
from graph.queries.principals import build_scope

DEMO_USERS = (
    # email, name, unit, role
    ("admin@demo.relate", "Ada Admin", "Relate Demo", "system_administrator"),
    ("manager@demo.relate", "Morgan Manager", "Sales", "sales_manager"),
    ("sales1@demo.relate", "Sam Seller", "Sales", "salesperson"),
    ("sales2@demo.relate", "Sasha Seller", "Sales", "salesperson"),
    ("sales3@demo.relate", "Wes Westwood", "Sales West", "salesperson"),
)
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
WORKING_HOURS = {d: ["08:00", "18:00"] for d in WEEKDAYS}
COMPANIES = ("Import Sports", "Adventure Works", "Fabrikam", "Contoso Pharmaceuticals", "Litware",
             "Northwind Traders", "Alpine Ski House", "Coho Winery", "Fourth Coffee",
             "Tailspin Toys",
             "Wide World Importers", "Blue Yonder Airlines", "Proseware", "Trey Research",
             "Woodgrove Bank", "Lucerne Publishing", "Margie's Travel", "Graphic Design Institute",
             "Humongous Insurance", "City Power & Light")
INDUSTRIES = ("Retail", "Manufacturing", "Pharmaceuticals", "Software", "Finance", "Travel",
              "Food")
JOB_TITLES = ("Buyer", "CFO", "Head of IT", "Owner", "Purchasing Manager")
CITIES = ("Seattle", "Redmond", "Warszawa", "Stockholm", "Athens", "Shanghai", "Berlin", "Lyon")
FIRST = ("Chris", "Alex", "Maria", "Jan", "Eleni", "Li", "Sofia", "Erik", "Anna", "Tomasz", "Nikos",
         "Wei", "Ingrid", "Paula", "Omar", "Yuki", "Lena", "Marco", "Fatima", "Noah")
LAST = ("Preston", "Nowak", "Lindqvist", "Papadopoulos", "Zhang", "Garcia", "Müller", "Rossi",
        "Kowalski", "Andersson", "Chen", "Dubois", "Novak", "Silva", "Haddad", "Tanaka")


@dataclass(frozen=True)
class DemoResult:
    created: bool
    accounts: int
    contacts: int
    history: DemoHistory | None = None  # None: it was there already


async def seed_demo(
    session: AsyncSession, *, accounts: int = 20, contacts_per_account: int = 5,
) -> DemoResult:
    """Create the demo organisation and its history once; `created=False` when the
    organisation is already there (its history is still added if an earlier release made
    the organisation without one)."""
    now = utcnow()
    if await session.scalar(select(User.id).where(User.email == DEMO_USERS[0][0])) is not None:
        return DemoResult(False, 0, 0, await add_history(session, now))
    made_contacts = await _organisation(session, now, accounts, contacts_per_account)
    return DemoResult(True, accounts, made_contacts, await add_history(session, now))


async def _organisation(session: AsyncSession, now: datetime, accounts: int, contacts_per_account: int) -> int:
    """Units, users, the team, and `accounts` accounts with their contacts; the contacts made."""
    rng = random.Random(20261123)
    root = await add_business_unit(session, "Relate Demo", None)
    sales = await add_business_unit(session, "Sales", root.id)
    west = await add_business_unit(session, "Sales West", sales.id)
    units = {"Relate Demo": root.id, "Sales": sales.id, "Sales West": west.id}
    users: dict[str, User] = {}
    for i, (email, name, unit, role) in enumerate(DEMO_USERS):
        users[email] = await add_user(
            session, name=name, email=email, unit_id=units[unit], roles=[role], now=now,
            business_phone=f"+1 425 555 01{i:02d}", time_zone="UTC", working_hours=WORKING_HOURS,
        )
    await add_team(session, name="Inside Sales", unit_id=sales.id, now=now,
                   member_ids=[users["sales1@demo.relate"].id, users["sales2@demo.relate"].id])

    sellers = [users[e] for e in ("sales1@demo.relate", "sales2@demo.relate", "sales3@demo.relate",
                                  "manager@demo.relate")]
    admin_scope = await build_scope(session, users["admin@demo.relate"])
    made_contacts = 0
    for i in range(accounts):
        owner = sellers[i % len(sellers)]
        suffix = "" if i < len(COMPANIES) else f" {i // len(COMPANIES) + 1}"
        name = COMPANIES[i % len(COMPANIES)] + suffix
        domain = "".join(ch for ch in name.lower() if ch.isalnum())[:20] + ".example"
        account = await records.create_record(session, admin_scope, "ACCOUNT", {
            "name": name, "industry": rng.choice(INDUSTRIES), "city": rng.choice(CITIES),
            "phone": f"+1 206 555 {1000 + i:04d}", "email": f"info@{domain}",
            "website": f"https://{domain}",
        }, now, owner_id=owner.id)
        for j in range(contacts_per_account):
            first = "Chris" if (i, j) == (0, 0) else rng.choice(FIRST)
            last = "Preston" if (i, j) == (0, 0) else rng.choice(LAST)
            await records.create_record(session, admin_scope, "CONTACT", {
                "first_name": first, "last_name": last, "account_id": account.id,
                "email": f"{first.lower()}.{last.lower()}{i}{j}@{domain}".replace("ü", "u"),
                "phone": f"+1 206 555 {2000 + i * 10 + j:04d}" if j % 3 else None,
                "mobile_phone": f"+1 206 556 {3000 + i * 10 + j:04d}",
                "job_title": rng.choice(JOB_TITLES),
            }, now, owner_id=owner.id)
            made_contacts += 1
    return made_contacts
