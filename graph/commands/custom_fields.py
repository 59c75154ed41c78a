"""Custom fields (R-QRY-2): administrators define, relabel and retire them; record commands
write their values through `write_values`.

Defining a sortable field creates its index on records in the same transaction (a short
lock on the records table while the index is built: on PostgreSQL about a second per
million records); retiring drops it. Values of a retired field stay in the records but are
never shown, filtered or written again (docs/custom-fields.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.common import any_record
from graph.commands.outbox import publish
from graph.events import OrganisationChanged
from graph.models import CustomFieldDefinition, Record
from graph.queries import custom_fields as queries
from graph.rules import custom_fields as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, Problem


async def define_field(
    session: AsyncSession, scope: Scope, record_type: str, name: str, label: str, field_type: str,
    required: bool, choices: Sequence[str] | None, lookup_type: str | None, now: datetime,
) -> CustomFieldDefinition:
    scope.require_configuration()
    existing = await queries.definitions(session, record_type, include_retired=True)
    checked = rules.check_definition(record_type, name, label, field_type, choices, lookup_type, existing)
    row = CustomFieldDefinition(
        id=uuid.uuid4(), record_type=record_type, name=checked.name, label=checked.label, type=checked.type,
        required=required, choices=list(checked.choices), lookup_type=checked.lookup_type, retired=False,
        created_on=now, created_by_id=scope.user_id, modified_on=now, version=1,
    )
    if checked.sortable:
        row.index_name = queries.index_name(row.id)
        index = queries.field_index(checked, row.index_name)
        await session.run_sync(lambda s: index.create(s.connection()))
    session.add(row)
    await session.flush()
    await _announce(session, scope, row, "DEFINED", now)
    return row


async def update_field(
    session: AsyncSession, scope: Scope, field_id: uuid.UUID, label: str | None, choices: Sequence[str] | None,
    required: bool | None, now: datetime, *, expected_version: int | None = None,
) -> CustomFieldDefinition:
    """A new label, choices or required flag; the name and type never change (values and
    the index depend on them). Values no longer among the choices are kept as they are."""
    scope.require_configuration()
    row = await _live(session, field_id)
    if expected_version is not None and expected_version != row.version:
        raise DomainError(ErrorCode.CONFLICT, "the field changed since you read it; read it again",
                          ("input", "expectedVersion"))
    problems: list[Problem] = []
    if label is not None:
        label, problem = rules.check_label(label, ("input", "label"))
        others = await queries.definitions(session, row.record_type)
        if problem:
            problems.append(problem)
        elif any(d.name != row.name and d.label.casefold() == label.casefold() for d in others):
            problems.append(Problem(ErrorCode.VALIDATION, f"another field is labelled '{label}'", ("input", "label")))
    cleaned: tuple[str, ...] | None = None
    if choices is not None:
        cleaned, choice_problems = rules.check_choices(choices, row.type, ("input", "choices"))
        problems.extend(choice_problems)
    if problems:
        raise DomainError(problems=problems)
    if label is not None:
        row.label = label
    if cleaned is not None:
        row.choices = list(cleaned)
    if required is not None:
        row.required = required
    row.modified_on = now
    row.version += 1
    await session.flush()
    await _announce(session, scope, row, "UPDATED", now)
    return row


async def retire_field(session: AsyncSession, scope: Scope, field_id: uuid.UUID,
                       now: datetime) -> CustomFieldDefinition:
    scope.require_configuration()
    row = await _live(session, field_id)
    if row.index_name:
        name = row.index_name
        await session.run_sync(lambda s: queries.field_index(queries.as_rule(row), name).drop(s.connection()))
        row.index_name = None
    row.retired = True
    row.required = False
    row.modified_on = now
    row.version += 1
    await session.flush()
    await _announce(session, scope, row, "RETIRED", now)
    return row


async def _announce(session: AsyncSession, scope: Scope, row: CustomFieldDefinition, change: str,
                    now: datetime) -> None:
    """Like every administration change: a live event, and so an outbox row, which is what
    tells cached responses (server/response_cache.py) that labels and values may differ now."""
    await publish(session, [OrganisationChanged("CUSTOM_FIELD", row.id, change)], scope.user_id, now)


async def _live(session: AsyncSession, field_id: uuid.UUID) -> CustomFieldDefinition:
    row = await session.scalar(select(CustomFieldDefinition).where(CustomFieldDefinition.id == field_id)
                               .with_for_update())
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "custom field not found", ("input", "id"))
    if row.retired:
        raise DomainError(ErrorCode.INVALID_STATE, f"the field '{row.name}' is retired", ("input", "id"))
    return row


async def write_values(session: AsyncSession, scope: Scope, row: Record, given: Sequence[rules.GivenValue] | None,
                       *, creating: bool) -> tuple[str, ...]:
    """Check the inputs' custom values against the type's fields and set them on `row`;
    the names of the fields that changed. Creating checks required fields even when none
    are given; a lookup must name a record of its type the viewer can read."""
    if not given and not creating:
        return ()
    definitions = await queries.definitions(session, row.type)
    if not definitions:
        if given:
            rules.check_values(definitions, given, creating=creating)  # names the unknown fields
        return ()
    checked = rules.check_values(definitions, given or (), creating=creating)
    for definition, target_id, path in checked.lookups:
        target = await any_record(session, scope, target_id, path)
        if target.type != definition.lookup_type:
            raise DomainError(ErrorCode.VALIDATION,
                              f"{definition.name} must name a {(definition.lookup_type or '').lower()}", path)
    before = row.custom_fields or {}
    changed = tuple(sorted(n for n, v in checked.values.items() if before.get(n) != v))
    if changed:
        row.custom_fields = rules.merged(before, checked.values)
    return changed
