"""Use cases for accounts and contacts (SPEC §2): check, write, index, publish; never commit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import custom_fields, sequences, timeline_index
from graph.commands.duplicate_check import warn_of_duplicates
from graph.commands.common import (
    any_record,
    assignee,
    owner_for,
    record_for,
    remember,
    replayed,
    require_active,
    secured_type,
)
from graph.commands.outbox import publish
from graph.commands.stamps import check_version, stamp_change, stamp_new
from graph.queries import duplicates
from graph.queries.sharing import granted
from graph.events import RecordChanged
from graph.models import RECORD_CLASSES, Account, Contact, Record
from graph.rules import records as rules
from graph.rules.custom_fields import GivenValue
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, Problem

CREATABLE = {"ACCOUNT": Account, "CONTACT": Contact}
ACCOUNT_FIELDS = ("name", "phone", "email", "website", "industry", "address_line", "city",
                  "postal_code", "country", "parent_account_id", "primary_contact_id", "external_id")
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "mobile_phone", "job_title",
                  "address_line", "city", "postal_code", "country", "account_id",
                  "do_not_phone", "do_not_email", "do_not_text", "external_id")
FIELDS = {"ACCOUNT": ACCOUNT_FIELDS, "CONTACT": CONTACT_FIELDS}


async def create_record(
    session: AsyncSession, scope: Scope, record_type: str, values: Mapping[str, Any], now: datetime,
    *, owner_id: uuid.UUID | None = None, client_mutation_id: str | None = None,
    acknowledge_warnings: bool = True,
    custom: Sequence[GivenValue] | None = None,
) -> Record:
    """A new account or contact; a likely duplicate (R-QRY-3) is a warning to acknowledge."""
    operation = f"create:{record_type}"
    earlier = await replayed(session, scope.user_id, operation, client_mutation_id)
    if earlier is not None:
        return await any_record(session, scope, earlier, ("input", "clientMutationId"))
    cls = CREATABLE[record_type]
    cleaned = rules.check_fields(record_type, values, creating=True)
    owner = await owner_for(session, scope, owner_id, secured_type(record_type), "create")
    await _check_links(session, scope, record_type, cleaned, None)
    await warn_of_duplicates(session, scope, record_type, {**cleaned, "name": rules.display_name(record_type, cleaned)},
                             acknowledged=acknowledge_warnings)
    row = cls(**{k: v for k, v in cleaned.items() if k in FIELDS[record_type]})
    row.name = rules.display_name(record_type, cleaned)
    row.state = "ACTIVE"
    row.owner_id = owner.id
    row.owning_business_unit_id = owner.business_unit_id
    stamp_new(row, scope.user_id, now)
    await custom_fields.write_values(session, scope, row, custom, creating=True)
    session.add(row)
    await session.flush()
    remember(session, scope.user_id, operation, client_mutation_id, row.id, now)
    await publish(session, [RecordChanged(row.id, record_type, "CREATED")], scope.user_id, now)
    return row


async def update_record(
    session: AsyncSession, scope: Scope, record_type: str, record_id: uuid.UUID,
    values: Mapping[str, Any], now: datetime, *, expected_version: int | None = None,
    acknowledge_warnings: bool = True,
    custom: Sequence[GivenValue] | None = None,
) -> Record:
    row = await record_for(session, scope, RECORD_CLASSES[record_type], record_id, "write")
    if row.type != record_type:
        raise DomainError(ErrorCode.NOT_FOUND, f"{record_type.lower()} not found", ["input", "id"])
    check_version(row, expected_version)
    await require_active(session, row)
    cleaned = rules.check_fields(record_type, values, creating=False)
    await _check_links(session, scope, record_type, cleaned, row)
    moved_from = row.account_id
    for key, value in cleaned.items():
        setattr(row, key, value)
    custom_changed = await custom_fields.write_values(session, scope, row, custom, creating=False)
    merged = {f: getattr(row, f, None) for f in ("name", "first_name", "last_name", "topic")}
    row.name = rules.display_name(record_type, merged)
    with session.no_autoflush:
        await warn_of_duplicates(session, scope, record_type, duplicates.values_of(row),
                                 acknowledged=acknowledge_warnings, exclude=row.id, changed=cleaned)
    stamp_change(row, scope.user_id, now, expected_version)
    await session.flush()
    if "account_id" in cleaned and cleaned["account_id"] != moved_from:
        await timeline_index.record_moved(session, row.id, now, scope.user_id)
    changed = (*sorted(cleaned), *(f"customFields.{name}" for name in custom_changed))
    await publish(session, [RecordChanged(row.id, record_type, "UPDATED", changed)], scope.user_id, now)
    return row


async def _check_links(session: AsyncSession, scope: Scope, record_type: str, values: Mapping[str, Any], row: Record | None) -> None:
    """Linked records must exist, be readable and active; an account is not its own parent."""
    links = {"account_id": ("accountId", "ACCOUNT"), "parent_account_id": ("parentAccountId", "ACCOUNT"),
             "primary_contact_id": ("primaryContactId", "CONTACT")}
    for key, (input_name, wanted) in links.items():
        target_id = values.get(key)
        if target_id is None:
            continue
        path = ("input", input_name)
        target = await any_record(session, scope, target_id, path)
        if target.type != wanted:
            raise DomainError(ErrorCode.VALIDATION, f"{input_name} must name a {wanted.lower()}", path)
        await require_active(session, target, path)
        if row is not None and target.id == row.id:
            raise DomainError(ErrorCode.VALIDATION, "a record cannot be linked to itself", path)
        if key == "parent_account_id" and row is not None:
            await _refuse_cycle(session, row.id, target)


async def _refuse_cycle(session: AsyncSession, account_id: uuid.UUID, parent: Record) -> None:
    seen: set[uuid.UUID] = set()
    current: Record | None = parent
    while current is not None and current.id not in seen:
        if current.id == account_id:
            raise DomainError(ErrorCode.VALIDATION, "an account cannot be below itself", ["input", "parentAccountId"])
        seen.add(current.id)
        current = await session.get(Record, current.parent_account_id) if current.parent_account_id else None


async def add_contacts_to_account(
    session: AsyncSession, scope: Scope, account_id: uuid.UUID, contact_ids: Sequence[uuid.UUID], now: datetime,
) -> tuple[Account, list[Contact]]:
    """R-CON-2: all or nothing; a contact of another account is refused, naming that account."""
    account = await record_for(session, scope, Account, account_id, "append_to", ("input", "accountId"))
    await require_active(session, account, ("input", "accountId"))
    problems: list[Problem] = []
    contacts: list[Contact] = []
    for index, contact_id in enumerate(dict.fromkeys(contact_ids)):
        path = ("input", "contactIds", str(index))
        contact = await session.get(Contact, contact_id, with_for_update=True)
        if contact is None or not (scope.can("read", "contact", contact)
                                   or await granted(session, scope, contact.id, "read")):
            problems.append(Problem(ErrorCode.NOT_FOUND, "contact not found", path))
            continue
        if not (scope.can("write", "contact", contact) or await granted(session, scope, contact.id, "write")):
            problems.append(Problem(ErrorCode.FORBIDDEN, f"you may not change contact '{contact.name}'", path))
            continue
        if not contact.is_active:
            problems.append(Problem(ErrorCode.DEACTIVATED, f"contact '{contact.name}' is inactive", path))
            continue
        if contact.account_id is not None and contact.account_id != account.id:
            other = await session.get(Record, contact.account_id)
            other_name = other.name if other is not None and scope.can("read", "account", other) else "another account"
            problems.append(Problem(
                ErrorCode.CONTACT_HAS_OTHER_ACCOUNT,
                f"contact '{contact.name}' already belongs to account '{other_name}'", path,
            ))
            continue
        contacts.append(contact)
    if problems:
        raise DomainError(problems=problems)
    for contact in contacts:
        if contact.account_id == account.id:
            continue
        contact.account_id = account.id
        stamp_change(contact, scope.user_id, now, None)
        await session.flush()
        await timeline_index.record_moved(session, contact.id, now, scope.user_id)
        await publish(session, [RecordChanged(contact.id, "CONTACT", "UPDATED", ("account_id",))], scope.user_id, now)
    return account, contacts


async def change_owner(
    session: AsyncSession, scope: Scope, record_id: uuid.UUID, owner_id: uuid.UUID, now: datetime,
    *, expected_version: int | None = None,
) -> Record:
    row = await record_for(session, scope, Record, record_id, "assign")
    check_version(row, expected_version)
    await require_active(session, row)
    owner = await assignee(session, owner_id)
    previous_owner_id = row.owner_id
    row.owner_id = owner.id
    row.owning_business_unit_id = owner.business_unit_id
    stamp_change(row, scope.user_id, now, expected_version)
    await session.flush()
    await publish(session, [RecordChanged(row.id, row.type, "OWNER_CHANGED", ("owner_id",))], scope.user_id, now)
    # R-WL-4: the sequence's current step stays put; the work lists of both owners change.
    await sequences.on_owner_change(session, row, previous_owner_id, now, scope.user_id)
    return row


async def set_active(
    session: AsyncSession, scope: Scope, record_id: uuid.UUID, active: bool, now: datetime,
    *, expected_version: int | None = None,
) -> Record:
    """R-REC-2: deactivate or activate; history and related records are kept as they are."""
    row = await record_for(session, scope, Record, record_id, "write")
    check_version(row, expected_version)
    if row.type not in ("ACCOUNT", "CONTACT"):
        raise DomainError(ErrorCode.NOT_SUPPORTED, f"a {row.type.lower()} is closed through its own actions", ["input", "id"])
    wanted = "ACTIVE" if active else "INACTIVE"
    if row.state == wanted:
        raise DomainError(ErrorCode.INVALID_STATE, f"'{row.name}' is already {wanted.lower()}", ["input", "id"])
    row.state = wanted
    stamp_change(row, scope.user_id, now, expected_version)
    await session.flush()
    await publish(session, [RecordChanged(row.id, row.type, "STATE_CHANGED", ("state",))], scope.user_id, now)
    return row


async def contacts_of(session: AsyncSession, account_id: uuid.UUID) -> list[uuid.UUID]:
    return list((await session.scalars(select(Contact.id).where(Contact.account_id == account_id))).all())
