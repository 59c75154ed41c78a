"""Root operations for tracking mail-client email and meetings (R-TRACK-*): inputs in,
`graph` calls, schema objects out."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import mail_import
from graph.commands import tracked_changes as changes
from graph.commands import tracking as commands
from graph.commands.attachments import IncomingFile
from graph.queries import tracking as queries
from graph.rules import tracking as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from resolvers.context import Info
from resolvers.ids import decode_id, decode_ids, to_global_id
from resolvers.inputs import decode_optional
from resolvers.mutation_runner import run_mutation
from resolvers.notes import file_store, require_upload, upload_chunks
from schema.inputs import tracking as inputs
from schema.payloads import tracking as payloads
from schema.types.activities import ACTIVITY_TYPE_NAMES, GRAPHQL_NAMES, Activity, activity_node
from schema.types.notes import Attachment
from schema.types.principals import User
from schema.types.records import Contact, record_node
from schema.types.tracking import LinkSuggestion, LinkSuggestions, RefusedAttachment, ResolvedAddress, TrackOutcome

REGARDING_TYPES = {"Account", "Contact", "Lead", "Opportunity", "Case"}
MAX_ADDRESSES = 200
MAX_SUGGESTIONS = 100


def _regarding(global_id: str | None) -> Any:
    return decode_optional(global_id, REGARDING_TYPES, ("input", "regardingId"))


def _files(given: Sequence[inputs.TrackAttachmentInput] | None) -> list[commands.ChosenFile]:
    """Each chosen file as a stream: an upload as it was spooled, or decoded base64."""
    found = []
    for i, item in enumerate(given or ()):
        path = ("input", "attachments", str(i))
        if (item.file is None) == (item.content_base64 is None):
            raise DomainError(ErrorCode.VALIDATION, "give exactly one of file and contentBase64", path)
        if item.file is not None:
            chunks = upload_chunks(require_upload(item.file, (*path, "file")))
        else:
            try:
                data = base64.b64decode(item.content_base64 or "", validate=True)
            except (binascii.Error, ValueError):
                raise DomainError(ErrorCode.VALIDATION, "contentBase64 is not valid base64",
                                  (*path, "contentBase64")) from None
            chunks = _once(data)
        found.append(commands.ChosenFile(IncomingFile(item.file_name, chunks), inline=item.is_inline))
    return found


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _result(result: commands.TrackResult) -> dict[str, Any]:
    return {
        "outcome": TrackOutcome(result.outcome), "auto_linked": result.auto_linked,
        "saved_attachments": [Attachment.from_row(a) for a in result.saved_files],
        "refused_attachments": [RefusedAttachment(file_name=r.file_name, code=r.code, message=r.message)
                                for r in result.refused_files],
        "skipped_inline_attachments": list(result.skipped_inline),
    }


def _node(row: Any) -> Any:
    return activity_node(row) if row is not None else None


async def track_email(info: Info, input: inputs.TrackEmailInput) -> payloads.TrackEmailPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        mail = commands.TrackedEmail(
            message_id=input.message_id, subject=input.subject, body_html=input.body_html, sender=input.sender,
            to=input.to or (), cc=input.cc or (), bcc=input.bcc or (), sent_on=input.sent_on,
            in_reply_to=input.in_reply_to, categories=input.categories or (), is_draft=input.is_draft,
            attachments=_files(input.attachments))
        result = await commands.track_email(session, scope, file_store(info), mail, now,
                                            regarding_id=_regarding(input.regarding_id),
                                            only_replies=input.only_replies)
        return {"email": _node(result.activity), **_result(result)}
    return await run_mutation(info, payloads.TrackEmailPayload, work)


async def track_appointment(info: Info, input: inputs.TrackAppointmentInput) -> payloads.TrackAppointmentPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        meeting = commands.TrackedMeeting(
            ical_uid=input.ical_uid, subject=input.subject, description=input.description,
            organizer=input.organizer, required=input.required_attendees or (),
            optional=input.optional_attendees or (), start=input.start, end=input.end, location=input.location,
            online_meeting_url=input.online_meeting_url, is_recurring=input.is_recurring,
            attachments=_files(input.attachments))
        result = await commands.track_appointment(session, scope, file_store(info), meeting, now,
                                                  regarding_id=_regarding(input.regarding_id))
        return {"appointment": _node(result.activity), **_result(result)}
    return await run_mutation(info, payloads.TrackAppointmentPayload, work)


async def import_mail(info: Info, input: inputs.ImportMailInput) -> payloads.ImportMailPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        data = await require_upload(input.file, ("input", "file")).read(mail_import.MAX_MESSAGE_BYTES + 1)
        items = await mail_import.import_mail(
            session, scope, file_store(info), getattr(input.file, "filename", None), data, now,
            regarding_id=_regarding(input.regarding_id), only_replies=input.only_replies)
        return {"items": [payloads.ImportedMailItem(activity=_node(i.result.activity), **_result(i.result))
                          for i in items]}
    return await run_mutation(info, payloads.ImportMailPayload, work)


async def update_tracked_activity(
    info: Info, input: inputs.UpdateTrackedActivityInput,
) -> payloads.TrackedActivityPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        regarding = changes.KEEP if input.regarding_id is strawberry.UNSET else _regarding(input.regarding_id)
        contacts = (decode_ids(input.related_contact_ids, {"Contact"}, ("input", "relatedContactIds"))
                    if input.related_contact_ids is not None else None)
        row = await changes.update_tracked_activity(
            session, scope, decode_id(input.id, ACTIVITY_TYPE_NAMES, ("input", "id")), now,
            regarding_id=regarding, categories=input.categories, related_contact_ids=contacts,
            expected_version=input.expected_version)
        return {"activity": activity_node(row)}
    return await run_mutation(info, payloads.TrackedActivityPayload, work)


async def delete_tracked_activity(
    info: Info, input: inputs.DeleteTrackedActivityInput,
) -> payloads.DeleteTrackedActivityPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        deleted, activity_type = await changes.delete_tracked_activity(
            session, scope, file_store(info), decode_id(input.id, ACTIVITY_TYPE_NAMES, ("input", "id")), now,
            expected_version=input.expected_version)
        return {"deleted_activity_id": strawberry.ID(to_global_id(GRAPHQL_NAMES[activity_type], deleted))}
    return await run_mutation(info, payloads.DeleteTrackedActivityPayload, work)


async def link_suggestions(info: Info, addresses: list[str], first: int = 20) -> LinkSuggestions:
    """R-TRACK-1: resolve the addresses of an email or meeting and suggest what to link it to."""
    scope = info.context.scope
    if len(addresses) > MAX_ADDRESSES:
        raise DomainError(ErrorCode.VALIDATION, f"at most {MAX_ADDRESSES} addresses", ["addresses"])
    if not 0 <= first <= MAX_SUGGESTIONS:
        raise DomainError(ErrorCode.VALIDATION, f"first is between 0 and {MAX_SUGGESTIONS}", ["first"])
    wanted = rules.split_addresses(addresses)
    async with info.context.db.read() as session:
        matches = await queries.resolve_addresses(session, scope, wanted)
        suggestions = await queries.link_suggestions(session, scope, list(matches.values()), first)
    resolved = []
    for address in wanted:
        match = matches.get(address)
        party = None
        if match is not None:
            party = User.from_row(match.user) if match.user is not None else record_node(match.record)
        resolved.append(ResolvedAddress(address=address, party_type=match.party_type if match else None, party=party))
    contacts = list({m.party_id: m.record for m in matches.values() if m.party_type == "CONTACT"}.values())
    return LinkSuggestions(
        addresses=resolved,
        related_contacts=[Contact.from_row(c) for c in contacts],  # type: ignore[arg-type]
        suggestions=[LinkSuggestion(record=node, reason=s.reason)
                     for s in suggestions if (node := record_node(s.record)) is not None],
    )


async def tracked_activity(info: Info, message_id: str | None = None, ical_uid: str | None = None) -> Activity | None:
    """The saved email or meeting for a message id or UID, if you may read it."""
    scope = info.context.scope
    if (message_id is None) == (ical_uid is None):
        raise DomainError(ErrorCode.VALIDATION, "give exactly one of messageId and icalUid", ["messageId"])
    async with info.context.db.read() as session:
        row = await queries.tracked_item(session, scope, message_id=rules.normalise_message_id(message_id),
                                         ical_uid=(ical_uid or "").strip() or None)
    return _node(row)
