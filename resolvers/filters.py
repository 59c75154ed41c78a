"""`…Where` inputs in, plain filter values out (R-QRY-1), then one SQL predicate.

The walk is generic over the input classes of schema/inputs/filters.py: logical keys
recurse on the same entity, a `…Where` field on its own entity, an operator input becomes
a mapping of operator → value, enums become their values and ids are decoded with the
types each field accepts. Depth is checked here as well as in the translator, so a
deeply nested document is refused before anything recurses far.

`customFields` (accounts and contacts) become `graph.queries.custom_fields.Condition`s;
`record_where_predicate` loads the definitions of the record types whose conditions the
filter names (the request's loader: once per request, and not at all without them) and
hands the translator the entities extended with them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement

from graph.queries import filter_fields
from graph.queries.custom_fields import Condition
from graph.queries.filters import MAX_DEPTH
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from resolvers.context import Info
from resolvers.custom_fields import read_record_id
from resolvers.ids import decode_id
from schema.inputs import filters as inputs
from schema.types.activities import ACTIVITY_TYPE_NAMES

RECORD_TYPES = {"Account", "Contact", "Lead", "Opportunity", "Case"}
WHERE_ENTITIES: dict[type, str] = {
    inputs.AccountWhere: "ACCOUNT", inputs.ContactWhere: "CONTACT", inputs.LeadWhere: "LEAD",
    inputs.OpportunityWhere: "OPPORTUNITY", inputs.CaseWhere: "CASE", inputs.RecordWhere: "RECORD",
    inputs.ActivityWhere: "ACTIVITY", inputs.TimelineWhere: "TIMELINE",
}
# The global id types an id field accepts, by (entity, field); `id` is the entity's own.
OWN_IDS = {"ACCOUNT": {"Account"}, "CONTACT": {"Contact"}, "LEAD": {"Lead"}, "OPPORTUNITY": {"Opportunity"},
           "CASE": {"Case"}, "RECORD": RECORD_TYPES, "ACTIVITY": set(ACTIVITY_TYPE_NAMES)}
FIELD_IDS = {"owner": {"User", "Team"}, "customer": {"Account", "Contact"}, "parent_account": {"Account"}}


def _key(python_name: str) -> str:
    return python_name.rstrip("_")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def plain(where: Any, path: Sequence[str] = ("where",), depth: int = 1) -> dict[str, Any]:
    """A `…Where` input as the plain mapping `graph.queries.filters` reads."""
    if depth > MAX_DEPTH:
        raise DomainError(ErrorCode.VALIDATION, f"a filter may nest at most {MAX_DEPTH} levels "
                                                f"(and, or, not and relations each add one)", tuple(path))
    entity = WHERE_ENTITIES[type(where)]
    found: dict[str, Any] = {}
    for spec in dataclasses.fields(where):
        value = getattr(where, spec.name)
        if value is None:
            continue
        key = _key(spec.name)
        here = (*path, _camel(key))
        if key in ("and", "or"):
            found[key] = [plain(item, (*here, str(i)), depth + 1) for i, item in enumerate(value)]
        elif key == "not" or type(value) in WHERE_ENTITIES:
            found[key] = plain(value, here, depth + 1)
        elif key == filter_fields.CUSTOM_FIELDS:
            found[key] = [Condition(c.name.strip(), c.operator.value, c.value, c.values) for c in value]
        else:
            found[key] = _operators(entity, key, value, here)
    return found


def _operators(entity: str, key: str, ops: Any, path: tuple[str, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for spec in dataclasses.fields(ops):
        value = getattr(ops, spec.name)
        if value is None:
            continue
        name = _key(spec.name)
        here = (*path, _camel(name))
        if isinstance(ops, inputs.IdFilter) and name != "is_null":
            types = OWN_IDS[entity] if key == "id" else FIELD_IDS[key]
            value = ([decode_id(v, types, (*here, str(i))) for i, v in enumerate(value)]
                     if isinstance(value, list) else decode_id(value, types, here))
        elif isinstance(value, list):
            value = [v.value if isinstance(v, Enum) else v for v in value]
        elif isinstance(value, Enum):
            value = value.value
        found[name] = value
    return found


def where_predicate(where: Any, scope: Scope) -> ColumnElement[bool] | None:
    """The SQL condition of a `…Where` input for the viewer, or None when none was given."""
    if where is None:
        return None
    return filter_fields.where(WHERE_ENTITIES[type(where)], plain(where), scope)


async def record_where_predicate(info: Info, where: Any) -> ColumnElement[bool] | None:
    """`where_predicate`, with the custom-field conditions a `…Where` of records may hold."""
    if where is None:
        return None
    entity = WHERE_ENTITIES[type(where)]
    flt = plain(where)
    record_types = sorted(_custom_types(entity, flt))
    if not record_types:
        return filter_fields.where(entity, flt, info.context.scope)
    loaded = await info.context.loaders.custom_fields_by_type.load_many(record_types)
    entities = filter_fields.with_custom_fields(dict(zip(record_types, loaded, strict=True)), read_record_id)
    return filter_fields.where(entity, flt, info.context.scope, entities=entities)


def _custom_types(entity: str, flt: dict[str, Any]) -> set[str]:
    """The record types whose custom-field conditions appear anywhere in `flt`."""
    found: set[str] = set()
    relations = filter_fields.ENTITIES[entity].relations
    for key, value in flt.items():
        if key == filter_fields.CUSTOM_FIELDS:
            found.add(entity)
        elif key in ("and", "or"):
            found.update(*(_custom_types(entity, v) for v in value))
        elif key == "not":
            found |= _custom_types(entity, value)
        elif key in relations:
            found |= _custom_types(relations[key].target, value)
    return found
