"""Custom fields (R-QRY-2): the definitions' operations, and turning the custom parts of
record inputs, filters and orders into what `graph` takes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import custom_fields as commands
from graph.models import Record
from graph.queries import custom_fields as queries
from graph.queries import records as record_queries
from graph.queries.keyset import SortKey
from graph.rules.access import Scope
from graph.rules.custom_fields import GivenValue
from resolvers.context import Info
from resolvers.ids import decode_id, parse_global_id
from resolvers.mutation_runner import run_mutation
from schema.inputs.custom_fields import (
    CustomFieldCondition,
    CustomFieldInput,
    DefineCustomFieldInput,
    RetireCustomFieldInput,
    UpdateCustomFieldInput,
)
from schema.payloads.custom_fields import CustomFieldPayload
from schema.types.custom_fields import CustomFieldDefinition
from schema.types.metadata import RecordType

RECORD_TYPE_NAMES = {"Account", "Contact", "Lead", "Opportunity", "Case"}
VALUE_MEMBERS = ("text", "number", "decimal", "date", "date_time", "boolean", "choice", "choices", "record_id")


async def custom_field_definitions(info: Info, record_type: RecordType | None = None,
                                   include_retired: bool = False) -> list[CustomFieldDefinition]:
    info.context.scope  # authenticate: the fields are for signed-in clients
    async with info.context.db.read() as session:
        rows = await queries.definition_rows(session, [record_type.value] if record_type else None,
                                             include_retired=include_retired)
    return [CustomFieldDefinition.from_row(r) for r in rows]


async def define_custom_field(info: Info, input: DefineCustomFieldInput) -> CustomFieldPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        row = await commands.define_field(
            session, scope, input.record_type.value, input.name.strip(), input.label, input.type.value,
            input.required, input.choices, input.lookup_type.value if input.lookup_type else None, now)
        return {"field": CustomFieldDefinition.from_row(row)}
    return await run_mutation(info, CustomFieldPayload, work)


async def update_custom_field(info: Info, input: UpdateCustomFieldInput) -> CustomFieldPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        field_id = decode_id(input.id, {"CustomFieldDefinition"}, ("input", "id"))
        row = await commands.update_field(session, scope, field_id, input.label, input.choices, input.required, now,
                                          expected_version=input.expected_version)
        return {"field": CustomFieldDefinition.from_row(row)}
    return await run_mutation(info, CustomFieldPayload, work)


async def retire_custom_field(info: Info, input: RetireCustomFieldInput) -> CustomFieldPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        field_id = decode_id(input.id, {"CustomFieldDefinition"}, ("input", "id"))
        row = await commands.retire_field(session, scope, field_id, now)
        return {"field": CustomFieldDefinition.from_row(row)}
    return await run_mutation(info, CustomFieldPayload, work)


def given_values(inputs: Sequence[CustomFieldInput] | None) -> list[GivenValue] | None:
    """The `customFields` of a record input: each item's name and the members it gave."""
    if inputs is None:
        return None
    values: list[GivenValue] = []
    for index, item in enumerate(inputs):
        path = ("input", "customFields", str(index))
        members = {m: getattr(item, m) for m in VALUE_MEMBERS if getattr(item, m) is not None}
        if "record_id" in members:
            members["record_id"] = decode_id(members["record_id"], RECORD_TYPE_NAMES, (*path, "recordId"))
        values.append(GivenValue(item.name.strip(), members, path))
    return values


def read_record_id(text: str) -> uuid.UUID | None:
    parsed = parse_global_id(text)
    if parsed is not None and parsed[0] in RECORD_TYPE_NAMES:
        return parsed[1]
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def list_conditions(info: Info, record_type: str,
                          conditions: Sequence[CustomFieldCondition] | None) -> list[ColumnElement[bool]]:
    """The SQL of a filter's `customFields` conditions (none when there are none)."""
    if not conditions:
        return []
    definitions = await info.context.loaders.custom_fields_by_type.load(record_type)
    plain = [queries.Condition(c.name.strip(), c.operator.value, c.value, c.values) for c in conditions]
    return queries.conditions_sql(definitions, plain, ("filter", "customFields"), read_record_id)


async def custom_order(info: Info, record_type: str, order_by: Sequence[Any] | None,
                       conditions: Sequence[CustomFieldCondition] | None = None) -> tuple[list[SortKey], Any] | None:
    """Sort keys and a cursor reader when `orderBy` names custom fields; else None. The
    filter's conditions tell which fields every listed record has a value of."""
    if not order_by or all(o.field.value != "CUSTOM_FIELD" for o in order_by):
        return None
    definitions = await info.context.loaders.custom_fields_by_type.load(record_type)
    valued = {c.name.strip() for c in conditions or ()
              if queries.requires_value(queries.Condition(c.name, c.operator.value, c.value, c.values))}
    keys: list[SortKey] = []
    for index, order in enumerate(order_by):
        descending = order.direction.value == "DESC"
        if order.field.value == "CUSTOM_FIELD":
            keys.extend(queries.ordered_by(definitions, (order.custom_field or "").strip(), descending,
                                           ("orderBy", str(index)), valued))
        else:
            keys.extend(record_queries.sort_keys([(order.field.value, descending)])[:-1])
    keys.append(SortKey("ID", Record.id, keys[-1].descending, seek=True))
    return keys, queries.position_of(definitions)
