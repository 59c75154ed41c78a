"""Root operations for activities: arguments in, graph calls, schema objects out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import activities as commands
from graph.commands import activity_changes as changes
from graph.rules import activities as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError
from resolvers.context import Info
from resolvers.ids import decode_id, parse_global_id
from resolvers.inputs import decode_optional, given
from resolvers.mail_delivery import email_delivery, message_id_domain
from resolvers.mutation_runner import run_mutation
from resolvers.nodes import register_node_type
from schema.errors import UserError
from schema.inputs import activities as inputs
from schema.payloads import activities as payloads
from schema.types.activities import ACTIVITY_TYPE_NAMES, activity_node

REGARDING_TYPES = {"Account", "Contact", "Lead", "Opportunity", "Case"}
PARTY_TYPES = {"User": "USER", "Team": "TEAM", "Contact": "CONTACT", "Lead": "LEAD", "Account": "ACCOUNT"}


def party_ref(role: str, party_id: str | None, address: str | None, path: tuple[str, ...]) -> commands.PartyRef:
    party_type = raw_id = None
    if party_id is not None:
        raw_id = decode_id(party_id, set(PARTY_TYPES), (*path, "partyId"))
        parsed = parse_global_id(party_id)
        assert parsed is not None
        party_type = PARTY_TYPES[parsed[0]]
    return commands.PartyRef(role=role, party_type=party_type, party_id=raw_id, address=address, path=path)


def party_refs(parties: list[inputs.PartyInput] | None) -> list[commands.PartyRef]:
    return [party_ref(p.role.value, p.party_id, p.address, ("input", "parties", str(i)))
            for i, p in enumerate(parties or [])]


def participants(**by_field: tuple[str, Any]) -> list[commands.PartyRef]:
    """Typed participant fields (`from`, `to`, `requiredAttendees`, …) as parties with roles."""
    refs: list[commands.PartyRef] = []
    for name, (role, value) in by_field.items():
        if value is None:
            continue
        if isinstance(value, list):
            refs.extend(party_ref(role, p.party_id, p.address, ("input", name, str(i))) for i, p in enumerate(value))
        else:
            refs.append(party_ref(role, value.party_id, value.address, ("input", name)))
    return refs


def regarding(global_id: str | None) -> Any:
    return decode_optional(global_id, REGARDING_TYPES, ("input", "regardingId"))


def owner(global_id: str | None) -> Any:
    return decode_optional(global_id, {"User", "Team"}, ("input", "ownerId"))


def common(input: Any) -> commands.Common:
    return commands.Common(regarding_id=regarding(input.regarding_id), owner_id=owner(input.owner_id),
                           client_mutation_id=input.client_mutation_id,
                           acknowledge_warnings=getattr(input, "acknowledge_warnings", False))


def _value(enum_value: Any) -> Any:
    return enum_value.value if enum_value is not None else None


async def create_task(info: Info, input: inputs.CreateTaskInput) -> payloads.TaskPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        row = await commands.create_activity(
            session, scope, "TASK",
            {"subject": input.subject, "description": input.description, "due": input.due,
             "priority": _value(input.priority)},
            now, regarding_id=regarding(input.regarding_id), parties=party_refs(input.parties),
            owner_id=owner(input.owner_id), client_mutation_id=input.client_mutation_id,
        )
        return {"task": activity_node(row)}
    return await run_mutation(info, payloads.TaskPayload, work)


async def log_phone_call(info: Info, input: inputs.LogPhoneCallInput) -> payloads.PhoneCallPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        parties = participants(**{"from": ("FROM", input.from_), "to": ("TO", input.to)})
        row = await commands.log_phone_call(
            session, scope,
            {"subject": input.subject, "description": input.description, "phone_number": input.phone_number,
             "direction": input.direction.value, "priority": _value(input.priority), "due": input.due},
            parties, now, common(input), state=_value(input.state),
        )
        return {"phone_call": activity_node(row)}
    return await run_mutation(info, payloads.PhoneCallPayload, work)


async def send_email(info: Info, input: inputs.SendEmailInput) -> payloads.EmailPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        parties = participants(**{"from": ("FROM", input.from_), "to": ("TO", input.to),
                                  "cc": ("CC", input.cc), "bcc": ("BCC", input.bcc)})
        row = await commands.send_email(
            session, scope,
            {"subject": input.subject, "body_html": input.body_html, "message_id": input.message_id,
             "in_reply_to": input.in_reply_to, "categories": input.categories or [],
             "priority": _value(input.priority)},
            parties, now, common(input), send_at=input.send_at, queued=email_delivery(info, input.send_at),
            message_id_domain=message_id_domain(info),
        )
        return {"email": activity_node(row)}
    return await run_mutation(info, payloads.EmailPayload, work)


async def create_appointment(info: Info, input: inputs.CreateAppointmentInput) -> payloads.AppointmentPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        parties = participants(organizer=("ORGANIZER", input.organizer),
                               requiredAttendees=("REQUIRED_ATTENDEE", input.required_attendees),
                               optionalAttendees=("OPTIONAL_ATTENDEE", input.optional_attendees))
        row = await commands.create_appointment(
            session, scope,
            {"subject": input.subject, "description": input.description, "scheduled_start": input.start,
             "scheduled_end": input.end, "location": input.location,
             "online_meeting_url": input.online_meeting_url, "priority": _value(input.priority)},
            parties, now, common(input),
        )
        return {"appointment": activity_node(row)}
    return await run_mutation(info, payloads.AppointmentPayload, work)


async def send_text_message(info: Info, input: inputs.SendTextMessageInput) -> payloads.TextMessagePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        parties = participants(**{"from": ("FROM", input.from_), "to": ("TO", input.to)})
        row = await commands.send_text_message(
            session, scope,
            {"text": input.text, "subject": input.subject, "phone_number": input.phone_number,
             "direction": input.direction.value},
            parties, now, common(input), from_number=input.from_number,
        )
        return {"text_message": activity_node(row)}
    return await run_mutation(info, payloads.TextMessagePayload, work)


UPDATE_IDS = {"regarding_id": REGARDING_TYPES}


async def update_activity(info: Info, input: inputs.UpdateActivityInput) -> payloads.ActivityPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        activity_id = decode_id(input.id, ACTIVITY_TYPE_NAMES, ("input", "id"))
        values = given(input, ids=UPDATE_IDS, skip=("id", "expected_version"))
        if "priority" in values:
            values["priority"] = _value(values["priority"])
        row = await changes.update_activity(session, scope, activity_id, values, now,
                                            expected_version=input.expected_version)
        return {"activity": activity_node(row)}
    return await run_mutation(info, payloads.ActivityPayload, work)


async def reopen_activity(info: Info, input: inputs.ReopenActivityInput) -> payloads.ActivityPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        activity_id = decode_id(input.id, ACTIVITY_TYPE_NAMES, ("input", "id"))
        row = await changes.reopen_activity(session, scope, activity_id, now, expected_version=input.expected_version)
        return {"activity": activity_node(row)}
    return await run_mutation(info, payloads.ActivityPayload, work)


Bulk = Any  # (session, scope, ids, now) -> list[changes.Outcome]


async def _bulk(info: Info, ids: list[str], command: Bulk) -> payloads.BulkActivityPayload:
    """Decode each id on its own, so one bad id is one failed result, not a failed call."""
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        rules.check_bulk_size(len(ids))
        decoded: dict[str, uuid.UUID | DomainError] = {}
        for given_id in dict.fromkeys(ids):
            path = ("input", "ids", str(ids.index(given_id)))
            try:
                decoded[given_id] = decode_id(given_id, ACTIVITY_TYPE_NAMES, path)
            except DomainError as error:
                decoded[given_id] = error
        valid = [v for v in decoded.values() if isinstance(v, uuid.UUID)]
        outcomes = {o.activity_id: o for o in await command(session, scope, valid, now)}
        results = []
        for given_id, value in decoded.items():
            if isinstance(value, DomainError):
                results.append(_result(given_id, None, UserError.from_problem(value.problems[0])))
                continue
            outcome = outcomes[value]
            error = None
            if outcome.problem is not None:
                error = UserError(code=outcome.problem.code, message=outcome.problem.message,  # type: ignore[arg-type]
                                  field=["input", "ids", str(ids.index(given_id))])
            results.append(_result(given_id, outcome.row, error))
        return {"results": results}
    return await run_mutation(info, payloads.BulkActivityPayload, work)


def _result(given_id: str, row: Any, error: UserError | None) -> payloads.BulkActivityResult:
    return payloads.BulkActivityResult(id=given_id, ok=error is None,  # type: ignore[arg-type]
                                       activity=activity_node(row) if row is not None else None, error=error)


def _note(note: inputs.CompletionNoteInput | None) -> changes.NoteText | None:
    return changes.NoteText(note.title, note.text) if note is not None else None


async def complete_activities(info: Info, input: inputs.CompleteActivitiesInput) -> payloads.BulkActivityPayload:
    async def command(session: AsyncSession, scope: Scope, ids: list[uuid.UUID], now: datetime) -> Any:
        return await changes.complete_activities(session, scope, ids, now, note=_note(input.note))
    return await _bulk(info, input.ids, command)


async def cancel_activities(info: Info, input: inputs.CancelActivitiesInput) -> payloads.BulkActivityPayload:
    async def command(session: AsyncSession, scope: Scope, ids: list[uuid.UUID], now: datetime) -> Any:
        return await changes.cancel_activities(session, scope, ids, now, note=_note(input.note))
    return await _bulk(info, input.ids, command)


async def assign_activities(info: Info, input: inputs.AssignActivitiesInput) -> payloads.BulkActivityPayload:
    async def command(session: AsyncSession, scope: Scope, ids: list[uuid.UUID], now: datetime) -> Any:
        new_owner = decode_id(input.owner_id, {"User", "Team"}, ("input", "ownerId"))
        return await changes.assign_activities(session, scope, ids, new_owner, now)
    return await _bulk(info, input.ids, command)


async def _activity_node(info: Info, raw_id: Any) -> Any:
    return await info.context.loaders.activity_by_id.load(raw_id)


for _name in ACTIVITY_TYPE_NAMES:
    register_node_type(_name, _activity_node)
