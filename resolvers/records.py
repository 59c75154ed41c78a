"""Root operations for accounts and contacts: arguments in, graph calls, schema objects out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import records as commands
from graph.commands import upsert
from graph.queries import records as queries
from graph.queries.paging import fetch_page, position
from graph.rules.access import Scope
from resolvers.context import Info
from resolvers.custom_fields import custom_order, given_values, list_conditions
from resolvers.filters import record_where_predicate
from resolvers.ids import decode_id, decode_ids
from resolvers.inputs import decode_optional, given
from resolvers.mutation_runner import run_mutation
from resolvers.pagination import encode_cursor, page_request
from resolvers.selection import node_selection, sub_selection
from schema.inputs import records as inputs
from schema.inputs.filters import AccountWhere, ContactWhere
from schema.payloads import records as payloads
from schema.types.connection import Connection, Edge
from resolvers.connections import counted_connection
from schema.types.records import Account, Contact, record_node

PRINCIPAL_FIELDS = ("owner", "createdBy", "modifiedBy")
PRINCIPAL_IDS = {"owner": "owner_id", "createdBy": "created_by_id", "modifiedBy": "modified_by_id"}
RECORD_LINKS = {"account": "account_id", "parentAccount": "parent_account_id", "primaryContact": "primary_contact_id"}


async def prefetch_related(info: Info, rows: list[Any], selected: dict[str, Any]) -> None:
    """One batch per kind of related row the query asked for (DESIGN §2, step 4).

    Linked records come first, so that the principals of the page *and* of those linked
    records (e.g. `account { owner }`) load together in one statement: a page is then
    page + records + principals (+ count), whatever its size.
    """
    loaders = info.context.loaders
    principal_ids = _principal_ids(rows, selected)
    wanted = {f: {getattr(r, col, None) for r in rows} - {None} for f, col in RECORD_LINKS.items() if f in selected}
    record_ids = set().union(*wanted.values()) if wanted else set()
    if record_ids:
        found = dict(zip(record_ids, await loaders.record_by_id.load_many(list(record_ids)), strict=True))
        for name, ids in wanted.items():
            linked = [found[i] for i in ids if found[i] is not None]
            principal_ids |= _principal_ids(linked, sub_selection(selected, name))
    if principal_ids:
        await loaders.principal_by_id.load_many(list(principal_ids))


def _principal_ids(objects: list[Any], selected: dict[str, Any]) -> set[Any]:
    """Owners, creators and modifiers of `objects`, for the principal fields selected on them."""
    return {getattr(o, PRINCIPAL_IDS[f]) for f in PRINCIPAL_FIELDS if f in selected for o in objects}


Prefetch = Callable[[Info, list[Any], dict[str, Any]], Awaitable[None]]


async def record_page(info: Info, query: Any, order_by: Any, first: int | None, after: str | None,
                      last: int | None, before: str | None, prefetch: Prefetch | None = None,
                      ordering: tuple[list[Any], Any] | None = None) -> Connection[Any]:
    """A keyset page of records of any type, related rows prefetched, totalCount on demand.

    `ordering` (sort keys and how to read them from a row) replaces `order_by` when the
    order names custom fields (resolvers/custom_fields.py `custom_order`).
    """
    keys, value_of = ordering or (queries.sort_keys([(o.field.value, o.direction.value == "DESC")
                                                     for o in order_by or []]), None)
    request = page_request(keys, first, after, last, before)
    db = info.context.db
    async with db.read() as session:
        page = await fetch_page(session, query, keys, request)
    await (prefetch or prefetch_related)(info, page.rows, node_selection(info))
    edges = [Edge(cursor=encode_cursor(keys, position(r, keys, value_of)), node=record_node(r)) for r in page.rows]

    return counted_connection(edges, page, db, query)


async def _record_page(info: Info, record_type: str, flt: queries.RecordFilter, order_by: Any,
                       first: int | None, after: str | None, last: int | None, before: str | None,
                       condition: Any = None, conditions: Any = None) -> Connection[Any]:
    query = queries.list_query(info.context.scope, record_type, flt)
    if condition is not None:
        query = query.where(condition)
    ordering = await custom_order(info, record_type, order_by, conditions)
    return await record_page(info, query, order_by, first, after, last, before, ordering=ordering)


def _owner_ids(ids: list[str] | None) -> list[Any] | None:
    return decode_ids(ids, {"User", "Team"}, ("filter", "ownerIds")) if ids else None


async def accounts(info: Info, filter: inputs.AccountFilter | None = None, order_by: list[inputs.RecordOrder] | None = None,
                   first: int | None = None, after: str | None = None, last: int | None = None,
                   before: str | None = None, include_inactive: bool = False,
                   where: AccountWhere | None = None) -> Connection[Account]:
    # `where` first: it loads the custom fields of every type it names in one statement, the filter's among them.
    condition = await record_where_predicate(info, where)
    f = filter or inputs.AccountFilter()
    flt = queries.RecordFilter(text=f.text, owner_ids=_owner_ids(f.owner_ids), industry=f.industry,
                               city=f.city, include_inactive=include_inactive,
                               custom=await list_conditions(info, "ACCOUNT", f.custom_fields))
    return await _record_page(info, "ACCOUNT", flt, order_by, first, after, last, before, condition, f.custom_fields)


async def contacts(info: Info, filter: inputs.ContactFilter | None = None, order_by: list[inputs.RecordOrder] | None = None,
                   first: int | None = None, after: str | None = None, last: int | None = None,
                   before: str | None = None, include_inactive: bool = False,
                   where: ContactWhere | None = None) -> Connection[Contact]:
    condition = await record_where_predicate(info, where)
    f = filter or inputs.ContactFilter()
    flt = queries.RecordFilter(
        text=f.text, owner_ids=_owner_ids(f.owner_ids), email=f.email, city=f.city,
        account_id=decode_optional(f.account_id, {"Account"}, ("filter", "accountId")),
        include_inactive=include_inactive, custom=await list_conditions(info, "CONTACT", f.custom_fields),
    )
    return await _record_page(info, "CONTACT", flt, order_by, first, after, last, before, condition, f.custom_fields)


async def quick_find(info: Info, text: str, first: int = 20) -> list[Any]:
    if len(text.strip()) < 2:
        return []
    async with info.context.db.read() as session:
        rows = await queries.quick_find(session, info.context.scope, text, min(max(first, 1), 100))
    nodes = [record_node(r) for r in rows]
    return [n for n in nodes if n is not None]


CONTACT_RENAMES = {"business_phone": "phone"}
LINK_IDS = {"account_id": {"Account"}, "parent_account_id": {"Account"}, "primary_contact_id": {"Contact"}}


async def _create(info: Info, record_type: str, input: Any, renames: dict[str, str], payload: Any, key: str) -> Any:
    """Create, or with `upsertBy` update the record the key finds (R-QRY-5)."""
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        values = given(input, renames, ids=LINK_IDS,
                       skip=("owner_id", "client_mutation_id", "upsert_by", "acknowledge_warnings", "custom_fields"))
        ack = input.acknowledge_warnings
        custom = given_values(getattr(input, "custom_fields", None))
        owner = decode_optional(input.owner_id, {"User", "Team"}, ("input", "ownerId"))

        async def create(checked: dict[str, Any]) -> Any:
            return await commands.create_record(session, scope, record_type, checked, now, owner_id=owner,
                                                client_mutation_id=input.client_mutation_id,
                                                acknowledge_warnings=ack, custom=custom)

        async def update(record_id: Any, checked: dict[str, Any]) -> Any:
            return await commands.update_record(session, scope, record_type, record_id, checked, now,
                                                acknowledge_warnings=ack, custom=custom)

        row, created = await upsert.save(session, scope, record_type, values,
                                         input.upsert_by.value if input.upsert_by else None, create, update)
        return {key: record_node(row), "created": created}
    return await run_mutation(info, payload, work)


async def create_account(info: Info, input: inputs.CreateAccountInput) -> payloads.AccountPayload:
    return await _create(info, "ACCOUNT", input, {}, payloads.AccountPayload, "account")  # type: ignore[no-any-return]


async def update_account(info: Info, input: inputs.UpdateAccountInput) -> payloads.AccountPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record_id = decode_id(input.id, {"Account"}, ("input", "id"))
        values = given(input, ids=LINK_IDS, skip=("id", "expected_version", "acknowledge_warnings", "custom_fields"))
        row = await commands.update_record(session, scope, "ACCOUNT", record_id, values, now,
                                           expected_version=input.expected_version,
                                           acknowledge_warnings=input.acknowledge_warnings,
                                           custom=given_values(input.custom_fields))
        return {"account": record_node(row)}
    return await run_mutation(info, payloads.AccountPayload, work)


async def create_contact(info: Info, input: inputs.CreateContactInput) -> payloads.ContactPayload:
    return await _create(info, "CONTACT", input, CONTACT_RENAMES, payloads.ContactPayload, "contact")  # type: ignore[no-any-return]


async def update_contact(info: Info, input: inputs.UpdateContactInput) -> payloads.ContactPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record_id = decode_id(input.id, {"Contact"}, ("input", "id"))
        values = given(input, CONTACT_RENAMES, ids=LINK_IDS,
                       skip=("id", "expected_version", "acknowledge_warnings", "custom_fields"))
        row = await commands.update_record(session, scope, "CONTACT", record_id, values, now,
                                           expected_version=input.expected_version,
                                           acknowledge_warnings=input.acknowledge_warnings,
                                           custom=given_values(input.custom_fields))
        return {"contact": record_node(row)}
    return await run_mutation(info, payloads.ContactPayload, work)


async def add_contacts_to_account(info: Info, input: inputs.AddContactsToAccountInput) -> payloads.AddContactsToAccountPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        account_id = decode_id(input.account_id, {"Account"}, ("input", "accountId"))
        contact_ids = decode_ids(input.contact_ids, {"Contact"}, ("input", "contactIds"))
        account, contacts_ = await commands.add_contacts_to_account(session, scope, account_id, contact_ids, now)
        return {"account": record_node(account), "contacts": [record_node(c) for c in contacts_]}
    return await run_mutation(info, payloads.AddContactsToAccountPayload, work)


async def change_owner(info: Info, input: inputs.ChangeOwnerInput) -> payloads.RecordPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record_id = decode_id(input.id, RECORD_TYPE_NAMES, ("input", "id"))
        owner_id = decode_id(input.owner_id, {"User", "Team"}, ("input", "ownerId"))
        row = await commands.change_owner(session, scope, record_id, owner_id, now,
                                          expected_version=input.expected_version)
        return {"record": record_node(row)}
    return await run_mutation(info, payloads.RecordPayload, work)


RECORD_TYPE_NAMES = {"Account", "Contact", "Lead", "Opportunity", "Case"}


async def _set_active(info: Info, input: inputs.RecordStateInput, active: bool) -> payloads.RecordPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record_id = decode_id(input.id, RECORD_TYPE_NAMES, ("input", "id"))
        row = await commands.set_active(session, scope, record_id, active, now,
                                        expected_version=input.expected_version)
        return {"record": record_node(row)}
    return await run_mutation(info, payloads.RecordPayload, work)


async def deactivate_record(info: Info, input: inputs.DeactivateRecordInput) -> payloads.RecordPayload:
    return await _set_active(info, input, False)


async def activate_record(info: Info, input: inputs.ActivateRecordInput) -> payloads.RecordPayload:
    return await _set_active(info, input, True)
