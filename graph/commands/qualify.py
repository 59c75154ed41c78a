"""Qualifying a lead (R-LEAD-1, R-TL-2).

By the caller's choice, an account, a contact and an opportunity are created from the
lead's fields or existing ones are linked; the lead becomes QUALIFIED and read-only.
The new (or linked) opportunity becomes the lead's roll-up parent, so every activity on
the lead's timeline shows on the opportunity's too (and, through it, on the customer's).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import records as record_commands
from graph.commands import sales
from graph.commands import timeline_index
from graph.commands.common import any_record, require_active, require_writable, secured_type
from graph.commands.outbox import publish
from graph.commands.stamps import check_version, stamp_change
from graph.events import RecordChanged
from graph.models import Lead, Opportunity, Record
from graph.rules import sales as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, Problem

LEAD_COLUMNS = ("name", "topic", "first_name", "last_name", "company_name", "email", "phone",
                "mobile_phone", "job_title", "address_line", "city", "postal_code", "country")


@dataclass
class Qualified:
    lead: Lead
    account: Record | None = None
    contact: Record | None = None
    opportunity: Record | None = None


async def qualify_lead(
    session: AsyncSession, scope: Scope, lead_id: uuid.UUID, choice: rules.Qualification, now: datetime,
    *, expected_version: int | None = None,
) -> Qualified:
    lead = await sales.writable(session, scope, "LEAD", lead_id, field=("input", "leadId"))
    assert isinstance(lead, Lead)
    check_version(lead, expected_version)
    rules.require_open_for("qualified", lead, ("input", "leadId"))
    facts = {c: getattr(lead, c) for c in LEAD_COLUMNS}
    rules.check_qualification(choice, facts)
    done = Qualified(lead)

    if choice.existing_account_id is not None:
        done.account = await _existing(session, scope, choice.existing_account_id, "ACCOUNT", "existingAccountId")
    elif choice.create_account:
        done.account = await _created(record_commands.create_record(
            session, scope, "ACCOUNT", rules.account_from_lead(facts), now), "createAccount")

    if choice.existing_contact_id is not None:
        done.contact = await _existing(session, scope, choice.existing_contact_id, "CONTACT", "existingContactId")
    elif choice.create_contact:
        account_id = done.account.id if done.account is not None else None
        done.contact = await _created(record_commands.create_record(
            session, scope, "CONTACT", rules.contact_from_lead(facts, account_id), now), "createContact")

    customer = done.account or done.contact
    if choice.existing_opportunity_id is not None:
        done.opportunity = await _link_opportunity(session, scope, choice.existing_opportunity_id, lead, now)
    elif choice.create_opportunity:
        values = rules.opportunity_from_lead(facts, customer.id if customer is not None else None)
        values["originating_lead_id"] = lead.id
        done.opportunity = await _created(sales.create(session, scope, "OPPORTUNITY", values, now),
                                          "createOpportunity")

    lead.state = "QUALIFIED"
    lead.status_reason = "QUALIFIED"
    lead.qualified_opportunity_id = done.opportunity.id if done.opportunity is not None else None
    stamp_change(lead, scope.user_id, now, expected_version)
    await session.flush()
    if done.opportunity is not None:
        # The opportunity is now the lead's roll-up parent: re-index the lead's entries.
        await timeline_index.record_moved(session, lead.id, now, scope.user_id)
    await publish(session, [RecordChanged(lead.id, "LEAD", "STATE_CHANGED",
                                          ("qualified_opportunity_id", "state", "status_reason"))],
                  scope.user_id, now)
    return done


async def _created(work: Any, flag: str) -> Record:
    """Run a create; its field errors point at the flag that asked for it, not at inputs the caller never sent."""
    try:
        return await work  # type: ignore[no-any-return]
    except DomainError as error:
        raise DomainError(problems=[Problem(p.code, p.message, ("input", flag)) for p in error.problems]) from None


async def _existing(session: AsyncSession, scope: Scope, record_id: uuid.UUID, record_type: str, name: str) -> Record:
    field = ("input", name)
    row = await any_record(session, scope, record_id, field)
    if row.type != record_type:
        raise DomainError(ErrorCode.VALIDATION, f"{name} must name a {record_type.lower()}", field)
    if not scope.can("append_to", secured_type(row.type), row):
        raise DomainError(ErrorCode.FORBIDDEN, f"you may not link records to '{row.name}'", field)
    await require_active(session, row, field)
    return row


async def _link_opportunity(session: AsyncSession, scope: Scope, opportunity_id: uuid.UUID, lead: Lead,
                            now: datetime) -> Record:
    """An open opportunity the viewer may change; it remembers the lead it came from."""
    field = ("input", "existingOpportunityId")
    row = await sales.writable(session, scope, "OPPORTUNITY", opportunity_id, field=field)
    assert isinstance(row, Opportunity)
    await require_writable(session, row, field)
    if row.originating_lead_id is None:
        row.originating_lead_id = lead.id
        stamp_change(row, scope.user_id, now, None)
        await session.flush()
        await publish(session, [RecordChanged(row.id, "OPPORTUNITY", "UPDATED", ("originating_lead_id",))],
                      scope.user_id, now)
    return row
