"""Reports over the API (R-RPT-1): activity counts by type, state, owner and period, for a
record's roll-up (R-TL-2) or a team, and pipeline sums by state and close month; both
within the caller's read rights (R-SEC-1).

Every expected number is computed here from the list of what the test made, not from
the server's tables.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from graph.db import Database
from graph.models import Activity
from graph.rules.access import Depth
from resolvers.ids import parse_global_id
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import account, add_custom_role, contact

ACTIVITY_REPORT = """query($f: ActivityReportFilter!) { activityReport(filter: $f) {
  total rows { type state ownerId owner { ... on User { fullName } ... on Team { name } } period count } } }"""
PIPELINE = """query($f: PipelineReportFilter) { pipelineReport(filter: $f) {
  count estimatedRevenue weightedRevenue rows { state closeMonth count estimatedRevenue weightedRevenue } } }"""


@dataclass(frozen=True)
class Made:
    id: str
    type: str
    state: str
    owner: str
    created: datetime
    shown_on: frozenset[str]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def backdate(db: Database, global_id: str, when: datetime) -> None:
    """Creation time is stamped by the system (R-ACT-2) and cannot be sent; set it in the table."""
    parsed = parse_global_id(global_id)
    assert parsed is not None
    async with db.unit_of_work() as session:
        await session.execute(update(Activity).where(Activity.id == parsed[1]).values(created_on=when))


async def activity_mix(api: Api, db: Database) -> tuple[dict[str, str], list[Made]]:
    """Accounts A (with contact C) and B, and eight activities of known type, state, owner and date."""
    acc_a = await account(api, "Import Sports", as_="sales1")
    person = await contact(api, "Chris", "Preston", accountId=acc_a["id"], email="chris@import.example",
                           as_="sales1")
    acc_b = await account(api, "Other Sports", as_="manager")
    ids = {"A": acc_a["id"], "C": person["id"], "B": acc_b["id"]}
    made: list[Made] = []

    async def task(as_: str, regarding: str | None, when: str, state: str, shown: set[str]) -> None:
        payload = await api.ok("createTask", {"subject": "Task", "regardingId": ids.get(regarding or "")},
                               "task { id }", as_=as_)
        activity_id = payload["task"]["id"]
        if state != "OPEN":
            name = "completeActivities" if state == "COMPLETED" else "cancelActivities"
            await api.ok(name, {"ids": [activity_id]}, "results { id }", as_=as_)
        await backdate(db, activity_id, at(when))
        made.append(Made(activity_id, "TASK", state, as_, at(when), frozenset(shown)))

    async def call(as_: str, regarding: str, when: str, state: str, shown: set[str]) -> None:
        payload = await api.ok("logPhoneCall", {"subject": "Call", "to": [{"partyId": ids["C"]}],
                                                "phoneNumber": "+1 555 0199", "regardingId": ids[regarding],
                                                "state": state}, "phoneCall { id state }", as_=as_)
        assert payload["phoneCall"]["state"] == state
        await backdate(db, payload["phoneCall"]["id"], at(when))
        made.append(Made(payload["phoneCall"]["id"], "PHONE_CALL", state, as_, at(when), frozenset(shown)))

    await task("sales1", "A", "2024-01-01T09:00:00", "OPEN", {"A"})
    await task("sales1", "C", "2024-01-07T23:59:59", "COMPLETED", {"C", "A"})
    await call("sales1", "C", "2024-01-08T00:00:00", "COMPLETED", {"C", "A"})
    await task("sales2", "A", "2024-02-15T12:00:00", "CANCELED", {"A"})
    email = await api.ok("sendEmail", {"subject": "Offer", "to": [{"partyId": ids["C"]}], "regardingId": ids["A"]},
                         "email { id state }", as_="sales2")
    assert email["email"]["state"] == "SENT"
    await backdate(db, email["email"]["id"], at("2024-02-29T23:00:00"))
    made.append(Made(email["email"]["id"], "EMAIL", "SENT", "sales2", at("2024-02-29T23:00:00"), frozenset({"A", "C"})))
    await task("manager", "B", "2024-01-03T10:00:00", "OPEN", {"B"})
    await task("admin", None, "2024-03-01T08:00:00", "OPEN", set())
    # The person called is a party: the call shows on C and, rolled up, on A too (R-TL-2).
    await call("service", "B", "2024-03-31T23:59:00", "OPEN", {"B", "C", "A"})
    return ids, made


def rows_of(data: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    report = data["activityReport"]
    assert report["total"] == sum(r["count"] for r in report["rows"])
    return Counter({(r["type"], r["state"], r["ownerId"], r["period"]): r["count"] for r in report["rows"]})


async def test_r_rpt_1_counts_by_type_and_state_for_a_records_roll_up(api: Api, db: Database) -> None:
    ids, made = await activity_mix(api, db)
    for record in ("A", "C", "B"):
        data = await api(ACTIVITY_REPORT, {"f": {"recordId": ids[record], "groupBy": ["TYPE", "STATE"]}})
        expected = Counter((m.type, m.state, None, None) for m in made if record in m.shown_on)
        assert rows_of(data) == expected
    assert sum(expected.values()) == 2  # B: the manager's task and the service call


async def test_r_rpt_1_counts_by_owner_for_a_team(api: Api, db: Database, org: Org) -> None:
    _, made = await activity_mix(api, db)
    data = await api(ACTIVITY_REPORT, {"f": {"teamId": gid("Team", org.team_id), "groupBy": ["OWNER"]}})
    expected = Counter((None, None, gid("User", org.users[m.owner]), None)
                       for m in made if m.owner in ("sales1", "sales2"))
    assert rows_of(data) == expected == Counter({(None, None, gid("User", org.users["sales1"]), None): 3,
                                                 (None, None, gid("User", org.users["sales2"]), None): 2})
    owners = {r["owner"]["fullName"] for r in data["activityReport"]["rows"]}
    assert owners == {"Sam Seller", "Sasha Seller"}


def period_start(when: datetime, period: str) -> str:
    day = when.date()
    if period == "WEEK":
        day -= timedelta(days=day.weekday())
    elif period == "MONTH":
        day = day.replace(day=1)
    return day.isoformat()


@pytest.mark.parametrize("period", ["DAY", "WEEK", "MONTH"])
async def test_r_rpt_1_counts_by_period(api: Api, db: Database, period: str) -> None:
    _, made = await activity_mix(api, db)
    data = await api(ACTIVITY_REPORT, {"f": {"groupBy": ["PERIOD", "TYPE"], "period": period}})
    expected = Counter((m.type, None, None, period_start(m.created, period)) for m in made)
    assert rows_of(data) == expected
    periods = [r["period"] for r in data["activityReport"]["rows"]]
    assert periods == sorted(periods)


async def test_r_rpt_1_a_date_range_and_owners_narrow_the_counts(api: Api, db: Database, org: Org) -> None:
    _, made = await activity_mix(api, db)
    start, end = at("2024-01-07T00:00:00"), at("2024-02-16T00:00:00")
    data = await api(ACTIVITY_REPORT, {"f": {"from": start.isoformat(), "to": end.isoformat(),
                                             "ownerIds": [gid("User", org.users["sales1"]), gid("User", org.users["sales2"])],
                                             "groupBy": ["STATE"]}})
    expected = Counter((None, m.state, None, None) for m in made
                       if start <= m.created < end and m.owner in ("sales1", "sales2"))
    assert rows_of(data) == expected == Counter({(None, "COMPLETED", None, None): 2, (None, "CANCELED", None, None): 1})
    none = await api(ACTIVITY_REPORT, {"f": {"groupBy": [], "types": ["APPOINTMENT"]}})
    assert none["activityReport"] == {"total": 0, "rows": []}


async def test_r_sec_1_reports_count_only_what_the_caller_may_read(api: Api, db: Database, org: Org) -> None:
    ids, made = await activity_mix(api, db)
    empty = await api(ACTIVITY_REPORT, {"f": {"groupBy": ["TYPE"]}}, as_="norole")
    assert empty["activityReport"] == {"total": 0, "rows": []}
    hidden = await api.raw(ACTIVITY_REPORT, {"f": {"recordId": ids["A"]}}, as_="norole")
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    await add_custom_role(db, org, role="own_only", key="solo", unit="sales",
                          depths={"create": Depth.USER, "read": Depth.USER, "append_to": Depth.USER})
    await api.ok("createTask", {"subject": "Mine"}, "task { id }", as_="solo")
    own = await api(ACTIVITY_REPORT, {"f": {"groupBy": ["OWNER"]}}, as_="solo")
    assert rows_of(own) == Counter({(None, None, gid("User", org.users["solo"]), None): 1})
    everyone = await api(ACTIVITY_REPORT, {"f": {"groupBy": []}}, as_="sales1")
    assert everyone["activityReport"]["total"] == len(made) + 1


async def test_bad_report_filters_are_typed_errors(api: Api) -> None:
    body = await api.raw(ACTIVITY_REPORT, {"f": {"from": "2024-02-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"}})
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION", "field": ["filter", "to"]}
    body = await api.raw(ACTIVITY_REPORT, {"f": {"from": "2024-02-01T00:00:00"}})
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"
    body = await api.raw(ACTIVITY_REPORT, {"f": {"teamId": "nonsense"}})
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"


# --- pipeline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deal:
    owner: str
    customer: str
    revenue: Decimal | None
    probability: int | None
    close: date | None
    state: str


DEALS = (
    Deal("sales1", "A", Decimal("1000.00"), 50, date(2025, 1, 10), "OPEN"),
    Deal("sales1", "A", Decimal("2500.55"), 20, date(2025, 1, 31), "OPEN"),
    Deal("sales1", "B", Decimal("99.99"), 33, date(2025, 2, 1), "WON"),
    Deal("sales2", "B", Decimal("400.00"), None, date(2025, 1, 15), "OPEN"),
    Deal("sales2", "A", None, 90, date(2025, 3, 3), "LOST"),
    Deal("sales3", "B", Decimal("10.10"), 10, None, "OPEN"),
    Deal("manager", "A", Decimal("5000.00"), 75, date(2025, 2, 28), "OPEN"),
)


async def pipeline_mix(api: Api) -> dict[str, str]:
    ids = {"A": (await account(api, "Import Sports"))["id"], "B": (await account(api, "Other Sports"))["id"]}
    for d in DEALS:
        values: dict[str, Any] = {"topic": "Deal", "customerId": ids[d.customer], "probability": d.probability,
                                  "estimatedRevenue": str(d.revenue) if d.revenue is not None else None,
                                  "estimatedCloseDate": d.close.isoformat() if d.close else None}
        made = await api.ok("createOpportunity", values, "opportunity { id }", as_=d.owner)
        if d.state != "OPEN":
            await api.ok("closeOpportunity", {"id": made["opportunity"]["id"], "outcome": d.state},
                         "opportunity { id }", as_=d.owner)
    return ids


def expected_pipeline(deals: list[Deal]) -> dict[str, Any]:
    groups: dict[tuple[str, str | None], list[Deal]] = {}
    for d in deals:
        month = d.close.replace(day=1).isoformat() if d.close else None
        groups.setdefault((d.state, month), []).append(d)
    cents = Decimal("0.01")

    def weighted(ds: list[Deal]) -> Decimal:
        return sum((d.revenue * d.probability / 100 for d in ds if d.revenue is not None and d.probability is not None),
                   Decimal(0)).quantize(cents)

    rows = {
        key: {"count": len(ds), "estimatedRevenue": str(sum((d.revenue or Decimal(0) for d in ds), Decimal(0)).quantize(cents)),
              "weightedRevenue": str(weighted(ds))}
        for key, ds in groups.items()
    }
    return {"rows": rows, "count": len(deals),
            "estimatedRevenue": str(sum((d.revenue or Decimal(0) for d in deals), Decimal(0)).quantize(cents)),
            "weightedRevenue": str(weighted(deals))}


def pipeline_of(data: dict[str, Any]) -> dict[str, Any]:
    report = data["pipelineReport"]
    rows = {(r["state"], r["closeMonth"]): {k: r[k] for k in ("count", "estimatedRevenue", "weightedRevenue")}
            for r in report["rows"]}
    return {"rows": rows, "count": report["count"], "estimatedRevenue": report["estimatedRevenue"],
            "weightedRevenue": report["weightedRevenue"]}


async def test_r_rpt_1_pipeline_sums_by_state_and_close_month(api: Api) -> None:
    await pipeline_mix(api)
    data = await api(PIPELINE, {"f": None})
    assert pipeline_of(data) == expected_pipeline(list(DEALS))
    months = [r["closeMonth"] for r in data["pipelineReport"]["rows"]]
    assert months[-1] is None and months[:-1] == sorted(months[:-1])


async def test_r_rpt_1_pipeline_filters(api: Api, org: Org) -> None:
    ids = await pipeline_mix(api)
    team = await api(PIPELINE, {"f": {"teamId": gid("Team", org.team_id), "states": ["OPEN"]}})
    assert pipeline_of(team) == expected_pipeline([d for d in DEALS if d.owner in ("sales1", "sales2")
                                                   and d.state == "OPEN"])
    by_customer = await api(PIPELINE, {"f": {"customerId": ids["A"], "closeFrom": "2025-01-20",
                                             "closeTo": "2025-03-31"}})
    assert pipeline_of(by_customer) == expected_pipeline(
        [d for d in DEALS if d.customer == "A" and d.close and date(2025, 1, 20) <= d.close <= date(2025, 3, 31)])


async def test_r_sec_1_the_pipeline_sums_only_readable_opportunities(api: Api, db: Database, org: Org) -> None:
    await pipeline_mix(api)
    empty = await api(PIPELINE, {"f": None}, as_="norole")
    assert empty["pipelineReport"] == {"count": 0, "estimatedRevenue": "0.00", "weightedRevenue": "0.00", "rows": []}
    await add_custom_role(db, org, role="own_only", key="solo", unit="sales",
                          depths={"create": Depth.USER, "read": Depth.USER, "append_to": Depth.ORGANIZATION})
    acc = await account(api, "Solo Sports", as_="solo")
    await api.ok("createOpportunity", {"topic": "Mine", "customerId": acc["id"], "estimatedRevenue": "70.00",
                                       "probability": 10, "estimatedCloseDate": "2025-05-05"},
                 "opportunity { id }", as_="solo")
    own = await api(PIPELINE, {"f": None}, as_="solo")
    assert pipeline_of(own) == expected_pipeline([Deal("solo", "S", Decimal("70.00"), 10, date(2025, 5, 5), "OPEN")])
