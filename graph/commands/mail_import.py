"""Importing real message files (R-TRACK-1): an `.eml` is tracked as an email, each meeting
of an `.ics` as an appointment, exactly as if a mail-client add-in had sent them.

One file, one unit of work: if any item in it is refused (a meeting outside working
hours, a recurring series), nothing from the file is saved and the errors say why. A
refusal of what the file holds points at `file`, the input it came in: the tracking
commands name their own inputs' fields (`start`, `isRecurring`, `messageId`), which this
mutation does not have.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.attachments import IncomingFile
from graph.commands.tracking import (
    ChosenFile,
    TrackedEmail,
    TrackedMeeting,
    TrackResult,
    track_appointment,
    track_email,
)
from graph.files import FileStore
from graph.mail_import import (
    MailFormatError,
    ParsedEmail,
    ParsedFile,
    detect_kind,
    organizers,
    parse_eml,
    parse_ics,
)
from graph.models import User
from graph.queries.principals import build_scope
from graph.rules.access import Scope
from graph.rules.activities import MAX_CATEGORIES, MAX_CATEGORY_LENGTH
from graph.rules.errors import DomainError, ErrorCode, Problem

MAX_MESSAGE_BYTES = 50 * 1024 * 1024
FILE = ("input", "file")
# importMail's own inputs besides the file: a refusal naming one of them keeps its path.
OWN_FIELDS = frozenset({("input", "regardingId"), ("input", "onlyReplies")})


@dataclass
class ImportedItem:
    kind: str  # EMAIL or APPOINTMENT
    result: TrackResult


async def import_mail(
    session: AsyncSession, scope: Scope, store: FileStore, file_name: str | None, data: bytes, now: datetime, *,
    regarding_id: uuid.UUID | None = None, only_replies: bool = False,
) -> list[ImportedItem]:
    try:
        return await _import(session, scope, store, file_name, data, now, regarding_id=regarding_id,
                             only_replies=only_replies)
    except DomainError as error:
        raise about_the_file(error) from None


def about_the_file(error: DomainError) -> DomainError:
    """The same problems, each pointing at `file` unless it names one of importMail's own inputs."""
    return DomainError(problems=[p if p.field is not None and tuple(p.field[:2]) in OWN_FIELDS
                                 else Problem(p.code, p.message, FILE) for p in error.problems])


async def _import(
    session: AsyncSession, scope: Scope, store: FileStore, file_name: str | None, data: bytes, now: datetime, *,
    regarding_id: uuid.UUID | None, only_replies: bool,
) -> list[ImportedItem]:
    field = FILE
    if not data.strip():
        raise DomainError(ErrorCode.VALIDATION, "the file is empty", field)
    if len(data) > MAX_MESSAGE_BYTES:
        raise DomainError(ErrorCode.FILE_TOO_LARGE, f"a message file is at most {MAX_MESSAGE_BYTES} bytes", field)
    kind = detect_kind(file_name, data[:512])
    try:
        if kind == "eml":
            return [ImportedItem("EMAIL", await track_email(
                session, scope, store, _email(parse_eml(data)), now,
                regarding_id=regarding_id, only_replies=only_replies))]
        viewer = await session.get(User, scope.user_id)
        meetings = parse_ics(data, default_zone=(viewer.time_zone if viewer else None) or "UTC",
                             organizer_zones=await _zones_of(session, organizers(data)))
    except MailFormatError as error:
        raise DomainError(ErrorCode.VALIDATION, f"cannot read {file_name or 'the file'}: {error}", field) from None
    items = []
    for meeting in meetings:
        tracked = TrackedMeeting(
            ical_uid=meeting.uid, subject=meeting.subject, description=meeting.description,
            organizer=meeting.organizer, required=meeting.required, optional=meeting.optional,
            start=meeting.start, end=meeting.end, location=(meeting.location or "")[:400] or None,
            online_meeting_url=meeting.online_meeting_url, is_recurring=meeting.is_recurring,
            attachments=[_chosen(f) for f in meeting.attachments])
        items.append(ImportedItem("APPOINTMENT", await track_appointment(
            session, scope, store, tracked, now, regarding_id=regarding_id)))
    return items


async def _zones_of(session: AsyncSession, addresses: list[str]) -> dict[str, str | None]:
    """The time zones of the users with these addresses: a floating `.ics` time is wall-clock
    time where its organiser planned it."""
    if not addresses:
        return {}
    rows = await session.execute(select(User.email, User.time_zone).where(
        func.lower(User.email).in_([a.lower() for a in addresses])))
    return {(email or "").lower(): zone for email, zone in rows}


def _email(parsed: ParsedEmail) -> TrackedEmail:
    """Header values are what any client wrote: categories are cut to what an email holds."""
    return TrackedEmail(
        message_id=parsed.message_id, subject=parsed.subject, body_html=parsed.body_html,
        sender=parsed.sender, to=parsed.to, cc=parsed.cc, bcc=parsed.bcc, sent_on=parsed.sent_on,
        in_reply_to=parsed.in_reply_to,
        categories=[c[:MAX_CATEGORY_LENGTH] for c in parsed.categories][:MAX_CATEGORIES], is_draft=parsed.is_draft,
        attachments=[_chosen(f) for f in parsed.attachments],
    )


def _chosen(parsed: ParsedFile) -> ChosenFile:
    async def chunks() -> AsyncIterator[bytes]:
        yield parsed.data

    return ChosenFile(IncomingFile(parsed.file_name, chunks()), inline=parsed.inline)


async def import_mail_as(
    session: AsyncSession, email: str, store: FileStore, file_name: str | None, data: bytes, now: datetime, *,
    regarding_id: uuid.UUID | None = None, only_replies: bool = False,
) -> list[ImportedItem]:
    """`import_mail` on behalf of the active user with this email (the CLI's way in)."""
    user = await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower(),
                                                   User.is_active.is_(True)))
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"no active user with the email {email}", ("as",))
    scope = await build_scope(session, user)
    return await import_mail(session, scope, store, file_name, data, now,
                             regarding_id=regarding_id, only_replies=only_replies)
