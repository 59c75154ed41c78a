"""Which requests the response cache may answer (server/response_cache.py).

Only read queries whose root fields are all in `CACHED_ROOTS`, and of those only roots
that reach nothing but the types of `REVIEWED_TYPES` (checked against the schema when
the app starts). A reviewed type's fields depend only on rows whose changes write
outbox events and on the viewer: not on the clock, nor on settings changed without an
event (record-type names, attachment policy, `viewer.checkedAt`, up next). Review a type
before adding it here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    parse,
)
from graphql.error import GraphQLError
from graphql.type import GraphQLInterfaceType, GraphQLObjectType, GraphQLUnionType

log = logging.getLogger("relate.cache")

CACHED_ROOTS = frozenset({"timeline", "activities", "activityCounts", "accounts", "contacts"})
# `activities` and `activityCounts` show personal activities too (about no record, on no
# timeline): their changes write `PersonalEntryChanged` (graph/commands/timeline_index.py),
# so they move the outbox head like any other change (tests/perf/test_response_cache.py).


@dataclass(frozen=True, slots=True)
class Request:
    query: str
    operation_name: str | None
    variables: Any


def read_request(method: str, body: bytes, query_string: bytes) -> Request | None:
    """The GraphQL request in a JSON POST body or a GET query string; None otherwise."""
    try:
        if method == "POST":
            payload = orjson.loads(body)
        else:
            params = {k: v[0] for k, v in parse_qs(query_string.decode("latin-1")).items()}
            payload = {"query": params.get("query"), "operationName": params.get("operationName"),
                       "variables": orjson.loads(params["variables"]) if params.get("variables") else None}
    except (orjson.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    query, name, variables = payload.get("query"), payload.get("operationName"), payload.get("variables")
    if not isinstance(query, str) or not (name is None or isinstance(name, str)):
        return None
    if not (variables is None or isinstance(variables, dict)):
        return None
    return Request(query, name, variables or None)


def _root_fields(selections: Iterable[Any], fragments: dict[str, FragmentDefinitionNode],
                 seen: set[str] | None = None) -> Iterable[str] | None:
    """The root field names; each fragment is read once (only which names occur matters),
    so fragments that spread each other many times cost their size, not their expansion."""
    seen = set() if seen is None else seen
    names: list[str] = []
    for node in selections:
        if isinstance(node, FieldNode):
            names.append(node.name.value)
        elif isinstance(node, InlineFragmentNode):
            found = _root_fields(node.selection_set.selections, fragments, seen)
            if found is None:
                return None
            names.extend(found)
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is None:
                return None
            if node.name.value in seen:
                continue
            seen.add(node.name.value)
            found = _root_fields(fragment.selection_set.selections, fragments, seen)
            if found is None:
                return None
            names.extend(found)
    return names


@lru_cache(maxsize=1024)
def cached_roots_only(query: str, operation_name: str | None, roots: frozenset[str]) -> bool:
    """A query (not a mutation or subscription) whose root fields are all cacheable."""
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return False
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names = _root_fields(operations[0].selection_set.selections, fragments)
    return bool(names) and all(n in roots or n == "__typename" for n in names)


# Read for what their fields depend on: rows whose changes write outbox events, the viewer
# and the variables. Sequence and its steps are reached only through the `Node` type of
# ActivityParty.party and Note.about, which return principals, records and activities.
# A user's details, unit, roles, teams and working hours change only through commands that
# bump the security stamp (graph/commands/users.py), and a cached body serves one stamp.
REVIEWED_TYPES = frozenset({
    "BusinessUnit", "Privilege", "Role", "WorkingPeriod",
    "Account", "AccountConnection", "AccountEdge", "Activity", "ActivityConnection", "ActivityCounts",
    "ActivityEdge", "ActivityParty", "ActivityStateCount", "ActivityTypeCount", "Address", "Appointment",
    "Attachment", "Case", "Contact", "ContactConnection", "ContactEdge", "Email", "Lead", "Node", "Note",
    "Opportunity", "PageInfo", "PhoneCall", "Principal", "Record", "Sequence", "SequenceStepDefinition",
    "StateCount", "Task", "Team", "TextMessage", "TimelineConnection", "TimelineCounts", "TimelineEdge",
    "TimelineEntry", "TypeCount", "User",
    # Custom field values (R-QRY-2): the record's own column, and definitions whose every
    # change publishes an event (graph/commands/custom_fields.py).
    "CustomFieldValue", "TextFieldValue", "NumberFieldValue", "DecimalFieldValue", "DateFieldValue",
    "DateTimeFieldValue", "BooleanFieldValue", "ChoiceFieldValue", "MultiChoiceFieldValue", "LookupFieldValue",
})


def reachable_types(schema: GraphQLSchema, root: str) -> set[str]:
    """Every object, interface and union type a query through `root` can reach."""
    query = schema.query_type
    field = query.fields.get(root) if query else None
    if field is None:
        return set()
    found: set[str] = set()
    todo = [get_named_type(field.type)]
    while todo:
        kind = todo.pop()
        if kind.name in found or not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            continue
        found.add(kind.name)
        if isinstance(kind, GraphQLUnionType):
            todo.extend(kind.types)
            continue
        if isinstance(kind, GraphQLInterfaceType):
            todo.extend(schema.get_possible_types(kind))
        todo.extend(get_named_type(f.type) for f in kind.fields.values())
    return found


def reviewed_roots(schema: GraphQLSchema, reviewed: frozenset[str] | None = None) -> frozenset[str]:
    reviewed = REVIEWED_TYPES if reviewed is None else reviewed
    roots = set()
    for root in CACHED_ROOTS:
        unreviewed = sorted(reachable_types(schema, root) - reviewed)
        if unreviewed:
            log.info("response cache: `%s` is not cached; it reaches types not reviewed for caching: %s",
                     root, ", ".join(unreviewed))
        else:
            roots.add(root)
    return frozenset(roots)
