"""Root operations for activities: arguments in, graph calls, schema objects out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import activities as commands
from graph.rules.access import Scope
from resolvers.context import Info
from resolvers.ids import decode_id, parse_global_id
from resolvers.inputs import decode_optional
from resolvers.mutation_runner import run_mutation
from resolvers.nodes import register_node_type
from schema.inputs import activities as inputs
from schema.payloads import activities as payloads
from schema.types.activities import ACTIVITY_TYPE_NAMES, activity_node

REGARDING_TYPES = {"Account", "Contact", "Lead", "Opportunity", "Case"}
PARTY_TYPES = {"User": "USER", "Team": "TEAM", "Contact": "CONTACT", "Lead": "LEAD", "Account": "ACCOUNT"}


def party_refs(parties: list[inputs.PartyInput] | None) -> list[commands.PartyRef]:
    refs = []
    for i, p in enumerate(parties or []):
        party_type = party_id = None
        if p.party_id is not None:
            path = ("input", "parties", str(i), "partyId")
            party_id = decode_id(p.party_id, set(PARTY_TYPES), path)
            parsed = parse_global_id(p.party_id)
            assert parsed is not None
            party_type = PARTY_TYPES[parsed[0]]
        refs.append(commands.PartyRef(role=p.role.value, party_type=party_type, party_id=party_id, address=p.address))
    return refs


def regarding(global_id: str | None) -> Any:
    return decode_optional(global_id, REGARDING_TYPES, ("input", "regardingId"))


def owner(global_id: str | None) -> Any:
    return decode_optional(global_id, {"User", "Team"}, ("input", "ownerId"))


async def create_task(info: Info, input: inputs.CreateTaskInput) -> payloads.TaskPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        row = await commands.create_activity(
            session, scope, "TASK",
            {"subject": input.subject, "description": input.description, "due": input.due,
             "priority": input.priority.value if input.priority else None},
            now, regarding_id=regarding(input.regarding_id), parties=party_refs(input.parties),
            owner_id=owner(input.owner_id), client_mutation_id=input.client_mutation_id,
        )
        return {"task": activity_node(row)}
    return await run_mutation(info, payloads.TaskPayload, work)


async def _activity_node(info: Info, raw_id: Any) -> Any:
    return await info.context.loaders.activity_by_id.load(raw_id)


for _name in ACTIVITY_TYPE_NAMES:
    register_node_type(_name, _activity_node)
