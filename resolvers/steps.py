"""Step actions (R-WL-3) and reaching customers from an item (R-CALL-1, R-MAIL-1, R-SMS-1),
plus inbound text replies (R-SMS-1). Each is one unit of work; the payload carries the
item, the step that became current and the record's up next, as this transaction left them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import activity_changes as changes
from graph.commands import reach, steps, text_replies
from graph.models import Activity, RecordStep
from graph.rules.access import Scope
from resolvers.activities import participants, party_ref
from resolvers.context import Info
from resolvers.ids import decode_id
from resolvers.mail_delivery import email_delivery, message_id_domain
from resolvers.mutation_runner import run_mutation
from resolvers.work_list import up_next_in
from schema.inputs import work_list as inputs
from schema.payloads import work_list as payloads
from schema.types.activities import ACTIVITY_TYPE_NAMES, activity_node
from schema.types.work_list import WorkItem, work_item

ID = ("input", "id")


def item_id(global_id: str) -> uuid.UUID:
    return decode_id(global_id, ACTIVITY_TYPE_NAMES, ID)


def _item(item: steps.Item) -> WorkItem:
    return work_item(item.activity, item.step, item.run.sequence_id if item.run else None)


async def _next(session: AsyncSession, step: RecordStep | None, item: steps.Item) -> WorkItem | None:
    if step is None:
        return None
    activity = await session.get(Activity, step.activity_id)
    assert activity is not None and item.run is not None
    return work_item(activity, step, item.run.sequence_id)


async def _step_fields(session: AsyncSession, scope: Scope, item: steps.Item, next_step: RecordStep | None,
                       now: datetime) -> dict[str, Any]:
    await session.flush()
    return {"step": _item(item), "next": await _next(session, next_step, item),
            "up_next": await up_next_in(session, scope, item.record_id, now)}


async def complete_step(info: Info, input: inputs.CompleteStepInput) -> payloads.StepPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        note = changes.NoteText(input.note.title, input.note.text) if input.note is not None else None
        done = await steps.complete_step(session, scope, item_id(input.id), now, note)
        return await _step_fields(session, scope, done.item, done.next_step, now)
    return await run_mutation(info, payloads.StepPayload, work)


async def skip_step(info: Info, input: inputs.SkipStepInput) -> payloads.StepPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        done = await steps.skip_step(session, scope, item_id(input.id), now)
        return await _step_fields(session, scope, done.item, done.next_step, now)
    return await run_mutation(info, payloads.StepPayload, work)


async def snooze_step(info: Info, input: inputs.SnoozeStepInput) -> payloads.StepPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        done = await steps.snooze_step(session, scope, item_id(input.id), input.until, now)
        return await _step_fields(session, scope, done.item, None, now)
    return await run_mutation(info, payloads.StepPayload, work)


async def assign_step(info: Info, input: inputs.AssignStepInput) -> payloads.StepPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        owner_id = decode_id(input.owner_id, {"User", "Team"}, ("input", "ownerId"))
        done = await steps.assign_step(session, scope, item_id(input.id), owner_id, now)
        return await _step_fields(session, scope, done.item, None, now)
    return await run_mutation(info, payloads.StepPayload, work)


async def _reached(session: AsyncSession, scope: Scope, done: reach.Reached, now: datetime) -> dict[str, Any]:
    return {"activity": activity_node(done.activity),
            **await _step_fields(session, scope, done.item, done.next_step, now)}


async def call_from_step(info: Info, input: inputs.CallFromStepInput) -> payloads.StepActivityPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        to = party_ref("TO", input.to.party_id, input.to.address, ("input", "to")) if input.to else None
        done = await reach.call(session, scope, item_id(input.id), now, to=to, phone_number=input.phone_number,
                                acknowledge_warnings=input.acknowledge_warnings)
        return await _reached(session, scope, done, now)
    return await run_mutation(info, payloads.StepActivityPayload, work)


async def email_from_step(info: Info, input: inputs.EmailFromStepInput) -> payloads.StepActivityPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        to = participants(to=("TO", input.to))
        cc = participants(cc=("CC", input.cc))
        done = await reach.email(session, scope, item_id(input.id), now, to=to, cc=cc, subject=input.subject,
                                 body_html=input.body_html, send_at=input.send_at,
                                 queued=email_delivery(info, input.send_at),
                                 message_id_domain=message_id_domain(info),
                                 acknowledge_warnings=input.acknowledge_warnings)
        return await _reached(session, scope, done, now)
    return await run_mutation(info, payloads.StepActivityPayload, work)


async def text_from_step(info: Info, input: inputs.TextFromStepInput) -> payloads.StepActivityPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        to = party_ref("TO", input.to.party_id, input.to.address, ("input", "to")) if input.to else None
        done = await reach.text(session, scope, item_id(input.id), now, text=input.text, to=to,
                                phone_number=input.phone_number, from_number=input.from_number,
                                acknowledge_warnings=input.acknowledge_warnings)
        return await _reached(session, scope, done, now)
    return await run_mutation(info, payloads.StepActivityPayload, work)


async def join_meeting_from_step(info: Info, input: inputs.JoinMeetingFromStepInput) -> payloads.StepActivityPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        done = await reach.join_meeting(session, scope, item_id(input.id))
        return await _reached(session, scope, done, now)
    return await run_mutation(info, payloads.StepActivityPayload, work)


async def receive_text_message(info: Info, input: inputs.ReceiveTextMessageInput) -> payloads.ReceiveTextMessagePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        reply = await text_replies.receive_text_reply(session, scope, input.from_number, input.text, now)
        return {"text_message": activity_node(reply.message),
                "in_reply_to": activity_node(reply.conversation) if reply.conversation else None}
    return await run_mutation(info, payloads.ReceiveTextMessagePayload, work)
