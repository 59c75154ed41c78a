"""Root operations for leads, opportunities and cases: arguments in, graph calls, schema objects out."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import qualify as qualifying
from graph.commands import sales as commands
from graph.commands import upsert
from graph.queries import sales as queries
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.sales import Qualification
from resolvers.context import Info
from resolvers.filters import where_predicate
from resolvers.ids import decode_id, decode_ids
from resolvers.inputs import decode_optional, given
from resolvers.mutation_runner import run_mutation
from resolvers.records import prefetch_related, record_page
from schema.inputs import sales as inputs
from schema.inputs.filters import CaseWhere, LeadWhere, OpportunityWhere
from schema.inputs.records import RecordOrder
from schema.payloads import sales as payloads
from schema.types.connection import Connection
from schema.types.records import record_node
from schema.types.sales import Case, Lead, Opportunity

CUSTOMER = {"Account", "Contact"}
OWNERS = {"User", "Team"}
# Fields of the three types that name another record, and the column holding its id.
LINKS = {"customer": "customer_id", "originatingLead": "originating_lead_id",
         "qualifiedOpportunity": "qualified_opportunity_id"}


async def _prefetch(info: Info, rows: list[Any], selected: dict[str, Any]) -> None:
    """Owners and linked records of a whole page, one batch per kind (DESIGN §2, step 4)."""
    ids = {getattr(r, col, None) for f, col in LINKS.items() if f in selected for r in rows}
    ids.discard(None)
    waits = [prefetch_related(info, rows, selected)]
    if ids:
        waits.append(info.context.loaders.record_by_id.load_many(list(ids)))
    await asyncio.gather(*waits)


async def _page(info: Info, record_type: str, flt: queries.SalesFilter, order_by: list[RecordOrder] | None,
                first: int | None, after: str | None, last: int | None, before: str | None,
                where: Any = None) -> Connection[Any]:
    query = queries.list_query(info.context.scope, record_type, flt)
    condition = where_predicate(where, info.context.scope)
    if condition is not None:
        query = query.where(condition)
    return await record_page(info, query, order_by, first, after, last, before, _prefetch)


def _owners(ids: list[str] | None) -> list[Any] | None:
    return decode_ids(ids, OWNERS, ("filter", "ownerIds")) if ids else None


def _values(enums: list[Any] | None) -> list[str] | None:
    return [e.value for e in enums] if enums else None


async def leads(info: Info, filter: inputs.LeadFilter | None = None, order_by: list[RecordOrder] | None = None,
                first: int | None = None, after: str | None = None, last: int | None = None,
                before: str | None = None, include_inactive: bool = False,
                where: LeadWhere | None = None) -> Connection[Lead]:
    f = filter or inputs.LeadFilter()
    flt = queries.SalesFilter(text=f.text, owner_ids=_owners(f.owner_ids), states=_values(f.states),
                              sources=_values(f.sources), include_inactive=include_inactive)
    return await _page(info, "LEAD", flt, order_by, first, after, last, before, where)


async def opportunities(info: Info, filter: inputs.OpportunityFilter | None = None,
                        order_by: list[RecordOrder] | None = None, first: int | None = None,
                        after: str | None = None, last: int | None = None, before: str | None = None,
                        include_inactive: bool = False,
                        where: OpportunityWhere | None = None) -> Connection[Opportunity]:
    f = filter or inputs.OpportunityFilter()
    flt = queries.SalesFilter(
        text=f.text, owner_ids=_owners(f.owner_ids), states=_values(f.states), include_inactive=include_inactive,
        customer_id=decode_optional(f.customer_id, CUSTOMER, ("filter", "customerId")),
        close_after=f.close_after, close_before=f.close_before,
    )
    return await _page(info, "OPPORTUNITY", flt, order_by, first, after, last, before, where)


async def cases(info: Info, filter: inputs.CaseFilter | None = None, order_by: list[RecordOrder] | None = None,
                first: int | None = None, after: str | None = None, last: int | None = None,
                before: str | None = None, include_inactive: bool = False,
                where: CaseWhere | None = None) -> Connection[Case]:
    f = filter or inputs.CaseFilter()
    flt = queries.SalesFilter(
        text=f.text, owner_ids=_owners(f.owner_ids), states=_values(f.states), include_inactive=include_inactive,
        customer_id=decode_optional(f.customer_id, CUSTOMER, ("filter", "customerId")),
        priorities=_values(f.priorities), origins=_values(f.origins),
    )
    return await _page(info, "CASE", flt, order_by, first, after, last, before, where)


# --- mutations ------------------------------------------------------------------------------

ENUMS = ("source", "priority", "origin")


def _plain(input_obj: Any, renames: dict[str, str], skip: tuple[str, ...]) -> dict[str, Any]:
    """The fields sent, ids decoded, enums as their values, times checked to carry a zone."""
    values = given(input_obj, renames, ids={"customer_id": CUSTOMER}, skip=skip)
    for key in ENUMS:
        if values.get(key) is not None:
            values[key] = values[key].value
    stamp = values.get("resolve_by")
    if isinstance(stamp, datetime) and stamp.tzinfo is None:
        raise DomainError(ErrorCode.VALIDATION, "resolveBy needs a time zone (e.g. 2025-01-31T17:00:00Z)",
                          ("input", "resolveBy"))
    return values


CREATE_SKIP = ("owner_id", "client_mutation_id", "upsert_by", "acknowledge_warnings")
UPDATE_SKIP = ("id", "expected_version", "acknowledge_warnings")


async def _create(info: Info, record_type: str, input_obj: Any, renames: dict[str, str], payload: Any, key: str) -> Any:
    """Create, or with `upsertBy` update the record the key finds (R-QRY-5)."""
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        values = _plain(input_obj, renames, CREATE_SKIP)
        owner = decode_optional(input_obj.owner_id, OWNERS, ("input", "ownerId"))

        async def create(checked: dict[str, Any]) -> Any:
            return await commands.create(session, scope, record_type, checked, now, owner_id=owner,
                                         client_mutation_id=input_obj.client_mutation_id,
                                         acknowledge_warnings=input_obj.acknowledge_warnings)

        async def update(record_id: Any, checked: dict[str, Any]) -> Any:
            return await commands.update(session, scope, record_type, record_id, checked, now,
                                         acknowledge_warnings=input_obj.acknowledge_warnings)

        upsert_by = input_obj.upsert_by.value if input_obj.upsert_by else None
        row, created = await upsert.save(session, scope, record_type, values, upsert_by, create, update)
        return {key: record_node(row), "created": created}
    return await run_mutation(info, payload, work)


async def _update(info: Info, record_type: str, input_obj: Any, renames: dict[str, str], payload: Any,
                  key: str, type_name: str) -> Any:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record_id = decode_id(input_obj.id, {type_name}, ("input", "id"))
        values = _plain(input_obj, renames, UPDATE_SKIP)
        row = await commands.update(session, scope, record_type, record_id, values, now,
                                    expected_version=input_obj.expected_version,
                                    acknowledge_warnings=input_obj.acknowledge_warnings)
        return {key: record_node(row)}
    return await run_mutation(info, payload, work)


LEAD_RENAMES = {"business_phone": "phone"}
OPPORTUNITY_RENAMES = {"topic": "name"}
CASE_RENAMES = {"title": "name"}


async def create_lead(info: Info, input: inputs.CreateLeadInput) -> payloads.LeadPayload:
    return await _create(info, "LEAD", input, LEAD_RENAMES, payloads.LeadPayload, "lead")


async def update_lead(info: Info, input: inputs.UpdateLeadInput) -> payloads.LeadPayload:
    return await _update(info, "LEAD", input, LEAD_RENAMES, payloads.LeadPayload, "lead", "Lead")


async def create_opportunity(info: Info, input: inputs.CreateOpportunityInput) -> payloads.OpportunityPayload:
    return await _create(info, "OPPORTUNITY", input, OPPORTUNITY_RENAMES, payloads.OpportunityPayload, "opportunity")


async def update_opportunity(info: Info, input: inputs.UpdateOpportunityInput) -> payloads.OpportunityPayload:
    return await _update(info, "OPPORTUNITY", input, OPPORTUNITY_RENAMES, payloads.OpportunityPayload,
                         "opportunity", "Opportunity")


async def create_case(info: Info, input: inputs.CreateCaseInput) -> payloads.CasePayload:
    return await _create(info, "CASE", input, CASE_RENAMES, payloads.CasePayload, "case")


async def update_case(info: Info, input: inputs.UpdateCaseInput) -> payloads.CasePayload:
    return await _update(info, "CASE", input, CASE_RENAMES, payloads.CasePayload, "case", "Case")


async def qualify_lead(info: Info, input: inputs.QualifyLeadInput) -> payloads.QualifyLeadPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        lead_id = decode_id(input.lead_id, {"Lead"}, ("input", "leadId"))
        choice = Qualification(
            create_account=input.create_account,
            existing_account_id=decode_optional(input.existing_account_id, {"Account"}, ("input", "existingAccountId")),
            create_contact=input.create_contact,
            existing_contact_id=decode_optional(input.existing_contact_id, {"Contact"}, ("input", "existingContactId")),
            create_opportunity=input.create_opportunity,
            existing_opportunity_id=decode_optional(input.existing_opportunity_id, {"Opportunity"},
                                                    ("input", "existingOpportunityId")),
        )
        done = await qualifying.qualify_lead(session, scope, lead_id, choice, now,
                                             expected_version=input.expected_version)
        return {name: record_node(row) if row is not None else None
                for name, row in (("lead", done.lead), ("account", done.account), ("contact", done.contact),
                                  ("opportunity", done.opportunity))}
    return await run_mutation(info, payloads.QualifyLeadPayload, work)


async def disqualify_lead(info: Info, input: inputs.DisqualifyLeadInput) -> payloads.LeadPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        lead_id = decode_id(input.lead_id, {"Lead"}, ("input", "leadId"))
        row = await commands.disqualify_lead(session, scope, lead_id, input.reason.value, now,
                                             expected_version=input.expected_version)
        return {"lead": record_node(row)}
    return await run_mutation(info, payloads.LeadPayload, work)


async def close_opportunity(info: Info, input: inputs.CloseOpportunityInput) -> payloads.OpportunityPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record_id = decode_id(input.id, {"Opportunity"}, ("input", "id"))
        row = await commands.close_opportunity(session, scope, record_id, input.outcome.value, now,
                                               expected_version=input.expected_version)
        return {"opportunity": record_node(row)}
    return await run_mutation(info, payloads.OpportunityPayload, work)


async def _case_state(info: Info, input: inputs.ResolveCaseInput | inputs.CancelCaseInput, command: Any) -> payloads.CasePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record_id = decode_id(input.id, {"Case"}, ("input", "id"))
        row = await command(session, scope, record_id, now, expected_version=input.expected_version)
        return {"case": record_node(row)}
    return await run_mutation(info, payloads.CasePayload, work)


async def resolve_case(info: Info, input: inputs.ResolveCaseInput) -> payloads.CasePayload:
    return await _case_state(info, input, commands.resolve_case)


async def cancel_case(info: Info, input: inputs.CancelCaseInput) -> payloads.CasePayload:
    return await _case_state(info, input, commands.cancel_case)
