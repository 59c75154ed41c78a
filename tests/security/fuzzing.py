"""Property-based fuzzing of the live schema through the real app (R-API-3, SPEC §9).

Documents come from hypothesis-graphql: valid queries and mutations (`Mode.POSITIVE`) and
ones with exactly one schema violation (`Mode.NEGATIVE`), with ids drawn from rows that
exist (so resolvers get past "not found") or from noise; plus mutation documents with
random *variables* (typed values, wrong types, nulls, junk) for every mutation's input.
Each is posted as a random viewer. What must hold for every response: HTTP 200 (or 400
for a document that fails validation, as Strawberry answers), a JSON body, no
"internal error" / INTERNAL code. After the run, `invariants()` checks that the database is
still consistent.

Used by tests/security/test_fuzz.py (CI) and bench/fuzz.py (long runs).
"""

from __future__ import annotations

import json
import random
import string
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import graphql
import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries
from sqlalchemy import func, select, text

from graph.db import Database
from graph.models import Activity, ActivityParty, Note, Record, TimelineCount, TimelineEntry

JUNK = st.one_of(st.text(max_size=40), st.integers(min_value=-(2**63), max_value=2**63), st.booleans(), st.none(),
                 st.floats(allow_nan=False, allow_infinity=False), st.just(""), st.just("\x00"),
                 st.lists(st.text(max_size=5), max_size=3))


def string_node(value: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=value)


def iso_datetime() -> st.SearchStrategy[str]:
    return st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1),
                        timezones=st.just(UTC)).map(lambda d: d.isoformat())


def scalar_values(ids: list[str]) -> dict[str, st.SearchStrategy[Any]]:
    """JSON values per scalar: mostly well-formed, sometimes not."""
    return {
        "ID": st.one_of(st.sampled_from(ids), st.sampled_from(ids), st.text(max_size=30)),
        "DateTime": st.one_of(iso_datetime(), st.text(max_size=25)),
        "Date": st.one_of(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)).map(str),
                          st.text(max_size=12)),
        "Decimal": st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=2,
                                         min_value=Decimal("-1e15"), max_value=Decimal("1e15")).map(str),
                             st.text(max_size=12)),
        "Upload": st.none(),
        "String": st.one_of(st.text(max_size=60), st.text(alphabet=string.printable, max_size=300)),
        "Int": st.one_of(st.integers(min_value=-(2**31), max_value=2**31 - 1), st.integers(-5, 600)),
        "Float": st.floats(allow_nan=False, allow_infinity=False),
        "Boolean": st.booleans(),
    }


def custom_scalars(ids: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    values = scalar_values(ids)
    nodes = {name: values[name].map(string_node) for name in ("ID", "DateTime", "Date", "Decimal")}
    nodes["Upload"] = st.just(graphql.NullValueNode())
    return nodes


def variable_value(type_: graphql.GraphQLInputType, scalars: dict[str, st.SearchStrategy[Any]],
                   depth: int = 0) -> st.SearchStrategy[Any]:
    """A JSON value for a variable of `type_`: usually of the type, sometimes junk."""
    if isinstance(type_, graphql.GraphQLNonNull):
        inner = variable_value(type_.of_type, scalars, depth)
        return st.one_of(inner, inner, inner, inner, inner, inner, inner, JUNK)
    if depth > 4:
        return st.none()
    if isinstance(type_, graphql.GraphQLList):
        return st.one_of(st.none(), st.lists(variable_value(type_.of_type, scalars, depth + 1), max_size=3))
    if isinstance(type_, graphql.GraphQLEnumType):
        return st.one_of(st.none(), st.sampled_from(list(type_.values)), st.text(max_size=8))
    if isinstance(type_, graphql.GraphQLScalarType):
        return st.one_of(st.none(), scalars.get(type_.name, JUNK))
    if isinstance(type_, graphql.GraphQLInputObjectType):
        fields = type_.fields

        @st.composite
        def objects(draw: st.DrawFn) -> dict[str, Any] | None:
            if draw(st.integers(0, 20)) == 0:
                return None
            found: dict[str, Any] = {}
            for name, item in fields.items():
                required = isinstance(item.type, graphql.GraphQLNonNull) and item.default_value is graphql.Undefined
                if required or draw(st.booleans()):
                    found[name] = draw(variable_value(item.type, scalars, depth + 1))
            if draw(st.integers(0, 30)) == 0:
                found["notAField"] = draw(JUNK)
            return found

        return objects()
    return JUNK


def mutation_with_variables(schema: graphql.GraphQLSchema, ids: list[str]) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    mutation_type = schema.mutation_type
    assert mutation_type is not None
    scalars = scalar_values(ids)
    choices = []
    for name, definition in mutation_type.fields.items():
        argument = definition.args.get("input")
        if argument is None:
            continue
        type_name = graphql.get_named_type(argument.type).name
        document = f"mutation($input: {type_name}!) {{ {name}(input: $input) {{ errors {{ code message field }} }} }}"
        choices.append(st.tuples(st.just(document), variable_value(argument.type, scalars).map(lambda v: {"input": v})))
    return st.one_of(*choices)


def documents(schema: graphql.GraphQLSchema, ids: list[str]) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    scalars = custom_scalars(ids)
    # One root field per document keeps documents small and generation fast; every field
    # is equally likely, whatever the size of its selection.
    plain = []
    for strategy, root in ((queries, schema.query_type), (mutations, schema.mutation_type)):
        assert root is not None
        for name, definition in root.fields.items():
            # NEGATIVE breaks one required argument: only fields that have one.
            required = any(graphql.is_required_argument(a) for a in definition.args.values())
            for mode in (Mode.POSITIVE, Mode.POSITIVE, *((Mode.NEGATIVE,) if required else ())):
                plain.append(strategy(schema, fields=[name], custom_scalars=scalars, mode=mode, allow_x00=True))
    return st.one_of(st.one_of(*plain).map(lambda d: (d, {})), mutation_with_variables(schema, ids))


def generate(schema: graphql.GraphQLSchema, ids: list[str], count: int, run_seed: int) -> list[tuple[str, dict[str, Any]]]:
    """`count` documents, drawn up front (the app is async, hypothesis' runner is not)."""
    found: list[tuple[str, dict[str, Any]]] = []
    strategy = documents(schema, ids)

    @seed(run_seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(document: tuple[str, dict[str, Any]]) -> None:
        found.append(document)

    collect()
    return found


@dataclass
class FuzzResult:
    documents: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def is_internal(error: Any) -> bool:
    if not isinstance(error, dict):
        return True
    code = (error.get("extensions") or {}).get("code")
    return code == "INTERNAL" or str(error.get("message", "")).startswith("internal error")


async def post_all(http: httpx.AsyncClient, tokens: dict[str, str], items: list[tuple[str, dict[str, Any]]],
                   result: FuzzResult, rng: random.Random, viewers: tuple[str, ...]) -> None:
    for document, variables in items:
        viewer = rng.choice(viewers)
        response = await http.post("/graphql", json={"query": document, "variables": variables},
                                   headers={"Authorization": f"Bearer {tokens[viewer]}"})
        result.documents += 1
        result.statuses[response.status_code] += 1
        where = f"as {viewer}: {document[:2000]!r} variables={json.dumps(variables)[:2000]}"
        if response.status_code not in (200, 400):
            result.failures.append(f"HTTP {response.status_code} {response.text[:300]} {where}")
            continue
        try:
            body = response.json()
        except ValueError:
            result.failures.append(f"not JSON: {response.text[:300]} {where}")
            continue
        errors = body.get("errors") or []
        for error in errors:
            result.codes[str((error.get("extensions") or {}).get("code") if isinstance(error, dict) else "?")] += 1
        internal = [e for e in errors if is_internal(e)]
        if internal:
            result.failures.append(f"internal error {internal[0]} {where}")


async def invariants(db: Database) -> list[str]:
    """What must hold whatever was posted; each broken one is described."""
    problems: list[str] = []
    async with db.read() as session:
        kept = {tuple(r[:-1]): int(r[-1]) for r in await session.execute(
            select(TimelineCount.record_id, TimelineCount.relation, TimelineCount.entry_type, TimelineCount.state,
                   TimelineCount.owner_id, TimelineCount.owning_business_unit_id, TimelineCount.count)) if r[-1]}
        actual = {tuple(r[:-1]): int(r[-1]) for r in await session.execute(
            select(TimelineEntry.record_id, TimelineEntry.relation, TimelineEntry.entry_type, TimelineEntry.state,
                   TimelineEntry.owner_id, TimelineEntry.owning_business_unit_id, func.count())
            .group_by(TimelineEntry.record_id, TimelineEntry.relation, TimelineEntry.entry_type, TimelineEntry.state,
                      TimelineEntry.owner_id, TimelineEntry.owning_business_unit_id))}
        if kept != actual:
            differ = sorted({k for k in kept.keys() | actual.keys() if kept.get(k) != actual.get(k)}, key=str)[:5]
            problems.append(f"timeline_counts differ from timeline_entries at {[(k, kept.get(k), actual.get(k)) for k in differ]}")

        stale = (await session.execute(
            select(TimelineEntry.entry_id).join(Activity, Activity.id == TimelineEntry.activity_id)
            .where((TimelineEntry.state != Activity.state) | (TimelineEntry.owner_id != Activity.owner_id)).limit(5)
        )).scalars().all()
        stale += (await session.execute(
            select(TimelineEntry.entry_id).join(Note, Note.id == TimelineEntry.note_id)
            .where(TimelineEntry.owner_id != Note.owner_id).limit(5)
        )).scalars().all()
        if stale:
            problems.append(f"timeline entries out of date with their activity or note: {stale}")

        rows: dict[Any, Counter[tuple[Any, ...]]] = {}
        for party in await session.scalars(select(ActivityParty)):
            rows.setdefault(party.activity_id, Counter())[
                (party.role, party.party_type, str(party.party_id) if party.party_id else None, party.address)] += 1
        for activity_id, party_list in await session.execute(select(Activity.id, Activity.party_list)):
            listed = Counter((p.get("role"), p.get("party_type"), str(p["party_id"]) if p.get("party_id") else None,
                              p.get("address")) for p in party_list or [])
            if listed != rows.get(activity_id, Counter()):
                problems.append(f"activity {activity_id}: party_list {dict(listed)} != activity_parties "
                                f"{dict(rows.get(activity_id, Counter()))}")
                break

        orphans = (await session.execute(
            select(Record.id).where(Record.type == "CONTACT", Record.account_id.is_not(None))
            .where(~Record.account_id.in_(select(Record.id).where(Record.type == "ACCOUNT"))).limit(5)
        )).scalars().all()
        if orphans:
            problems.append(f"contacts whose account is missing or not an account: {orphans}")

        if db.is_sqlite:
            integrity = (await session.execute(text("PRAGMA integrity_check"))).scalar()
            if integrity != "ok":
                problems.append(f"PRAGMA integrity_check: {integrity}")
            broken = (await session.execute(text("PRAGMA foreign_key_check"))).all()
            if broken:
                problems.append(f"PRAGMA foreign_key_check: {broken[:5]}")
    return problems


async def generated(ids: list[str], count: int, run_seed: int, chunk: int = 250) -> AsyncIterator[list[tuple[str, dict[str, Any]]]]:
    """Chunks of documents, drawn in this process.

    They were once drawn in a spawned helper process while the previous chunk was posted.
    Under pytest-xdist both cores are busy with test workers anyway, and a helper process
    that died left its worker waiting on a future no one would complete (a hung suite that
    the test timeout did not end), so drawing stays here, one chunk at a time."""
    from schema.build import build_schema
    from server.settings import Settings

    schema = build_schema(Settings())._schema
    for n, start in enumerate(range(0, count, chunk)):
        yield generate(schema, ids, min(chunk, count - start), run_seed + n)
