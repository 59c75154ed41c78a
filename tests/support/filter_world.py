"""A generated organisation of records and activities for the filter tests (R-QRY-1).

Drawn by hypothesis up front (the app is async, hypothesis' runner is not), made through
the API as the administrator, then read back: the administrator's view gives each row's
stored values, each viewer's unfiltered lists give the rows that viewer may read. The
oracle (tests/support/filter_oracle.py) then says which rows a filter must return.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from graph.db import Database
from graph.rules.access import Depth
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import add_custom_role

BASE = datetime(2031, 1, 6, 9, 0, tzinfo=UTC)
WORDS = ("Acme", "acme North", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli")
# The built-in roles read the whole organisation; `reader` (own rows, and what is shared
# with them) and `unitreader` (Sales and below) are custom roles that read less.
OWNERS = ("admin", "manager", "sales1", "sales2", "sales3", "service", "team", "reader")
VIEWERS = ("admin", "manager", "sales1", "service", "norole", "reader", "unitreader")
READERS = {"reader": ("sales", Depth.USER), "unitreader": ("sales", Depth.BUSINESS_UNIT_DEEP)}
maybe = st.none
text_of = lambda *values: st.sampled_from(values)  # noqa: E731

ACCOUNT = st.fixed_dictionaries({
    "name": st.sampled_from(WORDS), "owner": st.sampled_from(OWNERS),
    "industry": st.one_of(maybe(), text_of("Retail", "retail", "Energy", "Banking")),
    "city": st.one_of(maybe(), text_of("Berlin", "Paris", "paris")),
    "email": st.booleans(), "website": st.one_of(maybe(), text_of("acme.example", "globex.example")),
    "parent": st.one_of(maybe(), st.integers(0, 3)), "inactive": st.integers(0, 5).map(lambda n: n == 0),
})
CONTACT = st.fixed_dictionaries({
    "first": st.sampled_from(("Ann", "ann", "Bob", "Cleo")), "last": st.sampled_from(("Smith", "Jones", "Li")),
    "owner": st.sampled_from(OWNERS), "account": st.one_of(maybe(), st.integers(0, 11)),
    "email": st.booleans(), "job": st.one_of(maybe(), text_of("CEO", "Buyer", "buyer")),
    "city": st.one_of(maybe(), text_of("Berlin", "Paris")), "inactive": st.integers(0, 6).map(lambda n: n == 0),
})
LEAD = st.fixed_dictionaries({
    "topic": st.sampled_from(("Upgrade", "Renewal", "new deal")), "last": st.sampled_from(("Smith", "Li")),
    "company": st.one_of(maybe(), text_of("Acme", "Hooli")), "owner": st.sampled_from(OWNERS),
    "source": st.sampled_from(("MANUAL", "WEB", "CAMPAIGN")), "closed": st.integers(0, 3).map(lambda n: n == 0),
})
OPPORTUNITY = st.fixed_dictionaries({
    "topic": st.sampled_from(("Upgrade", "Renewal", "Expansion")), "owner": st.sampled_from(OWNERS),
    "customer": st.integers(0, 11), "contact_customer": st.integers(0, 4).map(lambda n: n == 0),
    "revenue": st.one_of(maybe(), st.sampled_from((Decimal("1000.00"), Decimal("2500.50"), Decimal("99.00")))),
    "close": st.one_of(maybe(), st.integers(0, 40)), "probability": st.one_of(maybe(), st.sampled_from((10, 50, 90))),
    "outcome": st.sampled_from((None, None, "WON", "LOST")),
})
CASE = st.fixed_dictionaries({
    "title": st.sampled_from(("Broken", "broken screen", "Refund")), "owner": st.sampled_from(OWNERS),
    "customer": st.integers(0, 11), "priority": st.sampled_from(("LOW", "NORMAL", "HIGH")),
    "origin": st.one_of(maybe(), text_of("PHONE", "EMAIL")), "resolve_by": st.one_of(maybe(), st.integers(0, 300)),
    "closed": st.sampled_from((None, None, "resolve", "cancel")),
})
ACTIVITY = st.fixed_dictionaries({
    "kind": st.sampled_from(("TASK", "TASK", "APPOINTMENT")), "subject": st.sampled_from(("Call back", "call Ann", "Demo")),
    "owner": st.sampled_from(OWNERS), "priority": st.sampled_from(("LOW", "NORMAL", "HIGH")),
    "due": st.one_of(maybe(), st.integers(0, 300)),
    # Regarding: 0 the timeline account, 1 one of its contacts, 2 any account, 3 a case, 4 nothing.
    "regarding": st.integers(0, 4), "pick": st.integers(0, 30), "closed": st.sampled_from((None, None, "complete", "cancel")),
})
# Custom fields (R-QRY-2) some worlds define: per record type, name → (type, choices).
CUSTOM_FIELDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "ACCOUNT": {"tier": ("CHOICE", ("Gold", "Silver", "Bronze")), "seats": ("NUMBER", ()),
                "renewal": ("DATE", ()), "partner": ("BOOLEAN", ())},
    "CONTACT": {"nickname": ("TEXT", ()), "score": ("DECIMAL", ()), "tags": ("MULTI_CHOICE", ("red", "green", "blue"))},
}
CUSTOM_VALUES: dict[str, tuple[Any, ...]] = {
    "CHOICE": ("Gold", "Silver", "Bronze"), "NUMBER": (0, 5, 40, 120), "BOOLEAN": (True, False),
    "DATE": (date(2031, 3, 1), date(2031, 6, 30), date(2032, 1, 15)), "TEXT": ("Ace", "ace of spades", "Bee"),
    "DECIMAL": (Decimal("1.5"), Decimal("2.25"), Decimal("10")),
    "MULTI_CHOICE": (["red"], ["green", "blue"], ["red", "blue"]),
}
INPUT_MEMBERS = {"CHOICE": "choice", "NUMBER": "number", "BOOLEAN": "boolean", "DATE": "date", "TEXT": "text",
                 "DECIMAL": "decimal", "MULTI_CHOICE": "choices"}

SPEC = st.fixed_dictionaries({
    "accounts": st.lists(ACCOUNT, min_size=12, max_size=12), "contacts": st.lists(CONTACT, min_size=8, max_size=16),
    "leads": st.lists(LEAD, min_size=4, max_size=8), "opportunities": st.lists(OPPORTUNITY, min_size=4, max_size=10),
    "cases": st.lists(CASE, min_size=4, max_size=10), "activities": st.lists(ACTIVITY, min_size=10, max_size=24),
})


def draw_spec(run_seed: int) -> dict[str, Any]:
    """One dataset: the last of a few drawn (hypothesis starts from the simplest)."""
    found: list[dict[str, Any]] = []

    @seed(run_seed)
    @settings(max_examples=4, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(SPEC)
    def collect(spec: dict[str, Any]) -> None:
        found.append(spec)

    collect()
    return found[-1]


@dataclass
class FilterWorld:
    """Rows per entity (by global id), and per viewer the ids they may read."""

    org: Org
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    readable: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    timeline_record: str = ""
    # Per viewer: the timeline's entries as TIMELINE rows.
    entries: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # Custom fields defined (CUSTOM_FIELDS' types by record type); rows then hold `custom`.
    custom: dict[str, dict[str, str]] = field(default_factory=dict)

    def owner_gid(self, key: str) -> str:
        return gid("Team", self.org.team_id) if key == "team" else gid("User", self.org.users[key])

    def related(self, viewer: str) -> Any:
        """The oracle's relation lookup, narrowed to what `viewer` may read."""
        def lookup(entity: str, name: str, row: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
            if entity == "CONTACT":
                return self._visible(viewer, "ACCOUNT", [row["account"]])
            if entity == "ACTIVITY":
                return self._visible(viewer, "RECORD", [row["regarding"]])
            if entity == "TIMELINE":
                return self._visible(viewer, "ACTIVITY", [row["id"]])
            target, column = {"contacts": ("CONTACT", "account"), "opportunities": ("OPPORTUNITY", "customer"),
                              "cases": ("CASE", "customer")}[name]
            return [r for i, r in self.rows[target].items()
                    if r[column] == row["id"] and i in self.readable[viewer][target]]
        return lookup

    def _visible(self, viewer: str, entity: str, ids: list[str | None]) -> list[dict[str, Any]]:
        return [self.rows[entity][i] for i in ids if i is not None and i in self.readable[viewer][entity]]


# --- making it --------------------------------------------------------------------------------


async def batch(api: Api, name: str, inputs: list[dict[str, Any]], selection: str) -> list[dict[str, Any]]:
    """Run one mutation per input, 25 aliases to a request; every payload must be without errors."""
    found: list[dict[str, Any]] = []
    type_name = name[0].upper() + name[1:] + "Input"
    for start in range(0, len(inputs), 25):
        chunk = inputs[start:start + 25]
        variables = ", ".join(f"$i{i}: {type_name}!" for i in range(len(chunk)))
        fields = " ".join(f"m{i}: {name}(input: $i{i}) {{ errors {{ code message }} {selection} }}"
                          for i in range(len(chunk)))
        data = await api(f"mutation({variables}) {{ {fields} }}", {f"i{i}": v for i, v in enumerate(chunk)})
        for i in range(len(chunk)):
            assert data[f"m{i}"]["errors"] == [], (name, chunk[i], data[f"m{i}"]["errors"])
            found.append(data[f"m{i}"])
    return found


def _at(hours: int | None) -> str | None:
    return None if hours is None else (BASE + timedelta(hours=hours)).isoformat()


async def define_custom_fields(api: Api, world: FilterWorld) -> None:
    """CUSTOM_FIELDS on accounts and contacts, defined by the administrator."""
    inputs = [{"recordType": record_type, "name": name, "label": name.title(), "type": kind,
               "choices": list(choices) or None}
              for record_type, fields in CUSTOM_FIELDS.items() for name, (kind, choices) in fields.items()]
    await batch(api, "defineCustomField", inputs, "field { name }")
    world.custom = {t: {n: kind for n, (kind, _) in fields.items()} for t, fields in CUSTOM_FIELDS.items()}


def custom_inputs(world: FilterWorld, record_type: str, chance: random.Random) -> list[dict[str, Any]]:
    """A record's `customFields` input: each defined field given a value two times in three."""
    given: list[dict[str, Any]] = []
    for name, kind in world.custom.get(record_type, {}).items():
        if chance.randrange(3):
            value = chance.choice(CUSTOM_VALUES[kind])
            given.append({"name": name, INPUT_MEMBERS[kind]: graphql_value(value)})
    return given


async def build_world(api: Api, db: Database, org: Org, run_seed: int, *, custom: bool = False) -> FilterWorld:
    """The world of `run_seed`; with `custom`, accounts and contacts also have CUSTOM_FIELDS' values."""
    spec = draw_spec(run_seed)
    world = FilterWorld(org)
    chance = random.Random(run_seed)
    if custom:
        await define_custom_fields(api, world)
    for key, (unit, depth) in READERS.items():
        await add_custom_role(db, org, role=f"{key} role", key=key, unit=unit, depths={"read": depth})
    owner = world.owner_gid
    roots = await batch(api, "createAccount", [
        {"name": f"{a['name']} {i}", "ownerId": owner(a["owner"]), "industry": a["industry"],
         "email": f"{a['name'].split()[0].lower()}{i}@example.org" if a["email"] else None,
         "website": a["website"], "address": {"city": a["city"]},
         **({"customFields": custom_inputs(world, "ACCOUNT", chance)} if custom else {})}
        for i, a in enumerate(spec["accounts"])], "account { id }")
    accounts = [r["account"]["id"] for r in roots]
    parents = [{"id": accounts[i], "parentAccountId": accounts[a["parent"]]}
               for i, a in enumerate(spec["accounts"]) if a["parent"] is not None and a["parent"] < i]
    if parents:
        await batch(api, "updateAccount", parents, "account { id }")
    made = await batch(api, "createContact", [
        {"firstName": c["first"], "lastName": c["last"], "ownerId": owner(c["owner"]), "jobTitle": c["job"],
         "email": f"{c['first'].lower()}{i}@example.org" if c["email"] else None, "address": {"city": c["city"]},
         "accountId": accounts[c["account"]] if c["account"] is not None else None,
         **({"customFields": custom_inputs(world, "CONTACT", chance)} if custom else {})}
        for i, c in enumerate(spec["contacts"])], "contact { id }")
    contacts = [r["contact"]["id"] for r in made]
    made = await batch(api, "createLead", [
        {"topic": lead["topic"], "lastName": lead["last"], "companyName": lead["company"],
         "ownerId": owner(lead["owner"]), "source": lead["source"]} for lead in spec["leads"]], "lead { id }")
    leads = [r["lead"]["id"] for r in made]
    made = await batch(api, "createOpportunity", [
        {"topic": o["topic"], "ownerId": owner(o["owner"]), "probability": o["probability"],
         "customerId": contacts[o["customer"] % len(contacts)] if o["contact_customer"] else accounts[o["customer"]],
         "estimatedRevenue": str(o["revenue"]) if o["revenue"] is not None else None,
         "estimatedCloseDate": (date(2031, 3, 1) + timedelta(days=o["close"])).isoformat() if o["close"] is not None
         else None} for o in spec["opportunities"]], "opportunity { id }")
    opportunities = [r["opportunity"]["id"] for r in made]
    made = await batch(api, "createCase", [
        {"title": c["title"], "ownerId": owner(c["owner"]), "customerId": accounts[c["customer"]],
         "priority": c["priority"], "origin": c["origin"], "resolveBy": _at(c["resolve_by"])}
        for c in spec["cases"]], "case { id }")
    cases = [r["case"]["id"] for r in made]
    world.timeline_record = accounts[0]
    own_contacts = [c for c, s in zip(contacts, spec["contacts"], strict=True) if s["account"] == 0] or contacts
    activities: list[str] = []
    for a in spec["activities"]:
        regarding = [accounts[0], own_contacts[a["pick"] % len(own_contacts)], accounts[a["pick"] % len(accounts)],
                     cases[a["pick"] % len(cases)], None][a["regarding"]]
        common = {"subject": a["subject"], "ownerId": owner(a["owner"]), "priority": a["priority"],
                  "regardingId": regarding}
        if a["kind"] == "TASK":
            made = await batch(api, "createTask", [{**common, "due": _at(a["due"])}], "task { id }")
            activities.append(made[0]["task"]["id"])
        else:
            start = a["due"] or 0
            made = await batch(api, "createAppointment", [{**common, "start": _at(start), "end": _at(start + 1)}],
                               "appointment { id }")
            activities.append(made[0]["appointment"]["id"])
    # Closing last: a closed record takes no new activities.
    for verb, key, ids, flags in (("completeActivities", "complete", activities, spec["activities"]),
                                  ("cancelActivities", "cancel", activities, spec["activities"])):
        chosen = [i for i, s in zip(ids, flags, strict=True) if s["closed"] == key]
        if chosen:
            await api(f"mutation($i: {verb[0].upper() + verb[1:]}Input!) {{ {verb}(input: $i) {{ errors {{ code }} }} }}",
                      {"i": {"ids": chosen}})
    await _close(api, "deactivateRecord", [{"id": i} for i, s in zip(accounts, spec["accounts"], strict=True)
                                           if s["inactive"]] + [{"id": i} for i, s in zip(contacts, spec["contacts"],
                                                                                           strict=True) if s["inactive"]])
    await _close(api, "disqualifyLead", [{"leadId": i, "reason": "LOST"}
                                         for i, s in zip(leads, spec["leads"], strict=True) if s["closed"]])
    await _close(api, "closeOpportunity", [{"id": i, "outcome": s["outcome"]} for i, s in
                                           zip(opportunities, spec["opportunities"], strict=True) if s["outcome"]])
    await _close(api, "resolveCase", [{"id": i} for i, s in zip(cases, spec["cases"], strict=True)
                                      if s["closed"] == "resolve"])
    await _close(api, "cancelCase", [{"id": i} for i, s in zip(cases, spec["cases"], strict=True)
                                     if s["closed"] == "cancel"])
    # Shared with `reader`: the timeline's account (so its whole timeline), another account, a case.
    await batch(api, "shareRecord", [{"recordId": r, "principalId": owner("reader")}
                                     for r in (accounts[0], accounts[1], cases[0])], "__typename")
    await read_back(api, world)
    return world


async def _close(api: Api, name: str, inputs: list[dict[str, Any]]) -> None:
    if inputs:
        await batch(api, name, inputs, "__typename")


# --- reading it back ------------------------------------------------------------------------------

OWNER = "owner { ... on User { id } ... on Team { id } }"
COMMON = f"id name state createdOn modifiedOn {OWNER}"
LISTS = {
    "ACCOUNT": ("accounts", f"{COMMON} email industry website address {{ city }} parentAccount {{ id }}"),
    "CONTACT": ("contacts", f"{COMMON} email firstName lastName jobTitle address {{ city }} account {{ id }}"),
    "LEAD": ("leads", f"{COMMON} email firstName lastName jobTitle address {{ city }} topic companyName source"),
    "OPPORTUNITY": ("opportunities", f"{COMMON} estimatedRevenue estimatedCloseDate probability customer {{ id }}"),
    "CASE": ("cases", f"{COMMON} priority origin resolveBy customer {{ id }}"),
}
CUSTOM_VALUES_READ = """customFields { name ... on TextFieldValue { text } ... on NumberFieldValue { number }
    ... on DecimalFieldValue { decimal } ... on DateFieldValue { date } ... on BooleanFieldValue { boolean }
    ... on ChoiceFieldValue { choice } ... on MultiChoiceFieldValue { choices } }"""
ACTIVITY_FIELDS = f"id type state priority subject due createdOn modifiedOn {OWNER} regarding {{ id }}"


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _id(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else value["id"]


def record_row(record_type: str, node: Mapping[str, Any]) -> dict[str, Any]:
    """A record as the oracle reads it: filter field names, typed values."""
    row: dict[str, Any] = {
        "id": node["id"], "name": node["name"], "state": node["state"], "owner": _id(node["owner"]),
        "created_on": _time(node["createdOn"]), "modified_on": _time(node["modifiedOn"]), "record_type": record_type,
    }
    for name in ("email", "industry", "website", "firstName", "lastName", "jobTitle", "topic", "companyName",
                 "source", "probability", "priority", "origin"):
        if name in node:
            row["".join("_" + ch.lower() if ch.isupper() else ch for ch in name)] = node[name]
    if "address" in node:
        row["city"] = (node["address"] or {}).get("city")
    for name, key in (("parentAccount", "parent_account"), ("account", "account"), ("customer", "customer")):
        if name in node:
            row[key] = _id(node[name])
    if "estimatedRevenue" in node:
        row["estimated_revenue"] = None if node["estimatedRevenue"] is None else Decimal(node["estimatedRevenue"])
    if "estimatedCloseDate" in node:
        close = node["estimatedCloseDate"]
        row["estimated_close_date"] = None if close is None else date.fromisoformat(close)
    if "resolveBy" in node:
        row["resolve_by"] = _time(node["resolveBy"])
    return row


def custom_row(types: Mapping[str, str], node: Mapping[str, Any]) -> dict[str, Any]:
    """A record's custom values as the oracle reads them: every defined field, None when missing."""
    row: dict[str, Any] = dict.fromkeys(types)
    for value in node["customFields"]:
        kind = types[value["name"]]
        stored = next((v for k, v in value.items() if k != "name" and v is not None), None)
        if stored is not None and kind == "DATE":
            stored = date.fromisoformat(stored)
        elif stored is not None and kind == "DECIMAL":
            stored = Decimal(str(stored))
        row[value["name"]] = stored
    return row


def activity_row(node: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": node["id"], "type": node["type"], "state": node["state"], "priority": node["priority"],
            "subject": node["subject"], "due": _time(node["due"]), "created_on": _time(node["createdOn"]),
            "modified_on": _time(node["modifiedOn"]), "owner": _id(node["owner"]), "regarding": _id(node["regarding"])}


async def _nodes(api: Api, field_name: str, selection: str, viewer: str, args: str) -> list[dict[str, Any]]:
    data = await api(f"{{ {field_name}({args}first: 500) {{ edges {{ node {{ {selection} }} }} }} }}", as_=viewer)
    return [e["node"] for e in data[field_name]["edges"]]


async def read_back(api: Api, world: FilterWorld) -> None:
    """Stored values (as the administrator reads them) and each viewer's readable ids."""
    world.rows["RECORD"] = {}
    for entity, (field_name, selection) in LISTS.items():
        types = world.custom.get(entity)
        nodes = await _nodes(api, field_name, f"{selection} {CUSTOM_VALUES_READ}" if types else selection, "admin",
                             "includeInactive: true, ")
        world.rows[entity] = {n["id"]: record_row(entity, n) for n in nodes}
        if types:
            for n in nodes:
                world.rows[entity][n["id"]]["custom"] = custom_row(types, n)
        world.rows["RECORD"].update(world.rows[entity])
    nodes = await _nodes(api, "activities", f"... on Activity {{ {ACTIVITY_FIELDS} }}", "admin",
                         "filter: {owner: ANY}, ")
    world.rows["ACTIVITY"] = {n["id"]: activity_row(n) for n in nodes}
    for viewer in VIEWERS:
        seen: dict[str, set[str]] = {"RECORD": set()}
        for entity, (field_name, _) in LISTS.items():
            seen[entity] = {n["id"] for n in await _nodes(api, field_name, "id", viewer, "includeInactive: true, ")}
            seen["RECORD"] |= seen[entity]
        seen["ACTIVITY"] = {n["id"] for n in await _nodes(api, "activities", "... on Activity { id }", viewer,
                                                          "filter: {owner: ANY}, ")}
        world.readable[viewer] = seen
        world.entries[viewer] = await _timeline_rows(api, world, viewer)


async def _timeline_rows(api: Api, world: FilterWorld, viewer: str) -> dict[str, dict[str, Any]]:
    body = await api.raw("query($r: ID!) { timeline(recordId: $r, first: 500) { edges { entryType date "
                         "node { ... on Activity { id } } } } }", {"r": world.timeline_record}, as_=viewer)
    rows: dict[str, dict[str, Any]] = {}
    if body.get("errors"):  # a record the viewer may not read: NOT_FOUND, as for a missing one
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"], body
        return rows
    for edge in body["data"]["timeline"]["edges"]:
        activity = world.rows["ACTIVITY"][edge["node"]["id"]]
        rows[activity["id"]] = {"id": activity["id"], "type": edge["entryType"], "state": activity["state"],
                                "owner": activity["owner"], "date": _time(edge["date"])}
    return rows


def graphql_value(value: Any) -> Any:
    """A Python filter value as GraphQL variables carry it."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [graphql_value(v) for v in value]
    return value


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def graphql_where(flt: Mapping[str, Any]) -> dict[str, Any]:
    """The oracle's filter (snake_case keys) as a `…Where` variable."""
    out: dict[str, Any] = {}
    for key, value in flt.items():
        if key in ("and", "or"):
            out[key] = [graphql_where(v) for v in value]
        elif key == "custom_fields":  # CustomFieldConditions, already as GraphQL writes them
            out["customFields"] = value
        elif key == "not" or not _is_operators(value):
            out[camel(key)] = graphql_where(value)
        else:
            out[camel(key)] = {camel(op): graphql_value(v) for op, v in value.items()}
    return out


OPERATOR_NAMES = {"eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "contains", "starts_with", "is_null"}


def _is_operators(value: Mapping[str, Any]) -> bool:
    return bool(value) and set(value) <= OPERATOR_NAMES


def dumps(flt: Any) -> str:
    return json.dumps(flt, default=str, sort_keys=True)


async def account_names(api: Any, query: str, where: dict[str, Any] | None,
                        flt: dict[str, Any] | None = None, *, as_: str = "admin") -> list[str]:
    """The names an accounts query (variables `w` and `f`) lists for a viewer, sorted, after
    checking that its totalCount counts exactly those."""
    data = await api(query, {"w": where, "f": flt}, as_=as_)
    found = sorted(e["node"]["name"] for e in data["accounts"]["edges"])
    assert data["accounts"]["totalCount"] == len(found)
    return found
