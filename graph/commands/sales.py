"""Use cases for leads, opportunities and cases (SPEC §2): check, write, index, publish; never commit.

Creating and updating share one path per type; closing goes through each type's own
action (disqualify, close as won/lost, resolve, cancel), which is the only way out of the
open state (R-REC-2). Qualifying a lead lives in `graph/commands/qualify.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.duplicate_check import warn_of_duplicates
from graph.queries.duplicates import values_of
from graph.commands import timeline_index
from graph.commands.common import (
    any_record,
    owner_for,
    record_for,
    remember,
    replayed,
    require_active,
    require_writable,
    secured_type,
)
from graph.commands.outbox import publish
from graph.commands.stamps import check_version, stamp_change, stamp_new
from graph.events import RecordChanged
from graph.models import Case, Lead, Opportunity, Record
from graph.rules import sales as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, not_found
from graph.rules.records import display_name

CLASSES: dict[str, type[Record]] = {"LEAD": Lead, "OPPORTUNITY": Opportunity, "CASE": Case}
FIELDS = {
    "LEAD": ("topic", "first_name", "last_name", "company_name", "email", "phone", "mobile_phone",
             "job_title", "address_line", "city", "postal_code", "country", "source"),
    "OPPORTUNITY": ("name", "customer_id", "estimated_revenue", "estimated_close_date", "probability",
                    "originating_lead_id"),
    "CASE": ("name", "customer_id", "priority", "origin", "resolve_by"),
}
CHECKS: dict[str, Callable[..., dict[str, Any]]] = {
    "LEAD": rules.check_lead, "OPPORTUNITY": rules.check_opportunity, "CASE": rules.check_case,
}
DEFAULTS = {"LEAD": {"source": "MANUAL"}, "OPPORTUNITY": {}, "CASE": {"priority": "NORMAL"}}


async def customer_for(session: AsyncSession, scope: Scope, customer_id: uuid.UUID,
                       field: tuple[str, ...] = ("input", "customerId")) -> Record:
    """An active account or contact the viewer may attach a deal or a case to.

    R-REC-2: nothing new is created under a deactivated customer.
    """
    customer = await any_record(session, scope, customer_id, field)
    if customer.type not in rules.CUSTOMER_TYPES:
        raise DomainError(ErrorCode.VALIDATION, "the customer is an account or a contact", field)
    if not scope.can("append_to", secured_type(customer.type), customer):
        raise DomainError(ErrorCode.FORBIDDEN, f"you may not add records to '{customer.name}'", field)
    await require_active(session, customer, field)
    return customer


async def create(
    session: AsyncSession, scope: Scope, record_type: str, values: Mapping[str, Any], now: datetime,
    *, owner_id: uuid.UUID | None = None, client_mutation_id: str | None = None,
    acknowledge_warnings: bool = True,
) -> Record:
    """A new open lead, opportunity or case, owned by `owner_id` (default: the caller); a
    lead that looks like a duplicate (R-QRY-3) is a warning to acknowledge."""
    operation = f"create:{record_type}"
    earlier = await replayed(session, scope.user_id, operation, client_mutation_id)
    if earlier is not None:
        row = await any_record(session, scope, earlier, ("input", "clientMutationId"))
        if row.type != record_type:
            raise not_found(record_type.lower(), ("input", "clientMutationId"))
        return row
    cleaned = {**DEFAULTS[record_type], **CHECKS[record_type]({k: v for k, v in values.items() if v is not None},
                                                             creating=True)}
    owner = await owner_for(session, scope, owner_id, secured_type(record_type), "create")
    if cleaned.get("customer_id") is not None:
        await customer_for(session, scope, cleaned["customer_id"])
    await warn_of_duplicates(session, scope, record_type, cleaned, acknowledged=acknowledge_warnings)
    row = CLASSES[record_type](**{k: v for k, v in cleaned.items() if k in FIELDS[record_type]})
    row.name = _name(record_type, cleaned)
    row.state = rules.OPEN_STATE[record_type]
    row.owner_id = owner.id
    row.owning_business_unit_id = owner.business_unit_id
    stamp_new(row, scope.user_id, now)
    session.add(row)
    await session.flush()
    remember(session, scope.user_id, operation, client_mutation_id, row.id, now)
    await publish(session, [RecordChanged(row.id, record_type, "CREATED")], scope.user_id, now)
    return row


def _name(record_type: str, values: Mapping[str, Any]) -> str:
    if record_type == "LEAD":
        return display_name("LEAD", values)
    return str(values["name"])


async def writable(session: AsyncSession, scope: Scope, record_type: str, record_id: uuid.UUID,
                   action: str = "write", field: tuple[str, ...] = ("input", "id")) -> Record:
    """The row, locked, of the expected type and writable by the viewer."""
    row = await record_for(session, scope, CLASSES[record_type], record_id, action, field)
    if row.type != record_type:
        raise not_found(record_type.lower(), field)
    return row


async def update(
    session: AsyncSession, scope: Scope, record_type: str, record_id: uuid.UUID,
    values: Mapping[str, Any], now: datetime, *, expected_version: int | None = None,
    acknowledge_warnings: bool = True,
) -> Record:
    """Change the given fields of an open record; a closed one is read-only (R-REC-2)."""
    row = await writable(session, scope, record_type, record_id)
    check_version(row, expected_version)
    await require_writable(session, row)
    cleaned = CHECKS[record_type](values, creating=False)
    customer_before = row.customer_id
    if cleaned.get("customer_id") is not None and cleaned["customer_id"] != customer_before:
        await customer_for(session, scope, cleaned["customer_id"])
    for key, value in cleaned.items():
        if key in FIELDS[record_type] or key == "name":
            setattr(row, key, value)
    row.name = _name(record_type, {k: getattr(row, k, None) for k in ("name", "first_name", "last_name", "topic")})
    with session.no_autoflush:
        await warn_of_duplicates(session, scope, record_type, values_of(row), acknowledged=acknowledge_warnings,
                                 exclude=row.id, changed=cleaned)
    stamp_change(row, scope.user_id, now, expected_version)
    await session.flush()
    if row.customer_id != customer_before:
        # The roll-up parent changed: the record's timeline entries follow it (R-TL-2).
        await timeline_index.record_moved(session, row.id, now, scope.user_id)
    await publish(session, [RecordChanged(row.id, record_type, "UPDATED", tuple(sorted(cleaned)))], scope.user_id, now)
    return row


async def change_state(
    session: AsyncSession, scope: Scope, record_type: str, record_id: uuid.UUID, action: str,
    state: str, status_reason: str, now: datetime, *, expected_version: int | None = None,
    field: tuple[str, ...] = ("input", "id"),
) -> Record:
    """Move an open record to one of its closed states."""
    row = await writable(session, scope, record_type, record_id, field=field)
    check_version(row, expected_version)
    rules.require_open_for(action, row, field)
    row.state = state
    row.status_reason = status_reason
    if isinstance(row, Opportunity):
        row.closed_on = now
    stamp_change(row, scope.user_id, now, expected_version)
    await session.flush()
    await publish(session, [RecordChanged(row.id, record_type, "STATE_CHANGED", ("state", "status_reason"))],
                  scope.user_id, now)
    return row


async def disqualify_lead(session: AsyncSession, scope: Scope, lead_id: uuid.UUID, reason: str, now: datetime,
                          *, expected_version: int | None = None) -> Record:
    return await change_state(session, scope, "LEAD", lead_id, "disqualified", "DISQUALIFIED",
                              rules.disqualified_reason(reason), now, expected_version=expected_version,
                              field=("input", "leadId"))


async def close_opportunity(session: AsyncSession, scope: Scope, opportunity_id: uuid.UUID, outcome: str,
                            now: datetime, *, expected_version: int | None = None) -> Record:
    state = rules.close_opportunity_state(outcome)
    return await change_state(session, scope, "OPPORTUNITY", opportunity_id, "closed", state, state, now,
                              expected_version=expected_version)


async def resolve_case(session: AsyncSession, scope: Scope, case_id: uuid.UUID, now: datetime,
                       *, expected_version: int | None = None) -> Record:
    return await change_state(session, scope, "CASE", case_id, "resolved", "RESOLVED", "PROBLEM_SOLVED", now,
                              expected_version=expected_version)


async def cancel_case(session: AsyncSession, scope: Scope, case_id: uuid.UUID, now: datetime,
                      *, expected_version: int | None = None) -> Record:
    return await change_state(session, scope, "CASE", case_id, "canceled", "CANCELED", "CANCELED", now,
                              expected_version=expected_version)
