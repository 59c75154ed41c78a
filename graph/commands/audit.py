"""Writing the audit trail: a flush hook that diffs what commands changed (`graph/models/audit.py`).

Why a hook and not a call in every command: the trail must be complete, and a command
written tomorrow must not be able to forget it. Every write goes through the ORM session
of a unit of work, so one `before_flush` listener sees every created, changed and deleted
record, activity and note, with each attribute's old and new value (SQLAlchemy's
attribute history). Entries are collected per transaction and added at `before_commit`,
when the actor is surely known; a rolled-back transaction leaves none.

Who and when: the row's own stamps when the change bumped its version (`stamp_change`,
R-ACT-2), else the transaction's actor, learnt from the stamps and outbox events
(`publish(..., actor_id, now)`) of the same transaction, e.g. for a deletion.

Not audited: the system stamps themselves, counters kept by the system (attachments,
notes), and rows written with Core statements (none of the audited tables are).
Long values are cut at `MAX_VALUE_CHARS` characters, saying how long they were.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from graph.models import Activity, AuditEntry, BusinessUnit, Note, OutboxEvent, Principal, Record, Role, Team

NOT_AUDITED = frozenset({
    "id", "type", "created_on", "created_by_id", "modified_on", "modified_by_id", "version",
    "attachment_count", "note_count",
    # Duplicate-rule keys: derived from audited fields (graph/rules/duplicates.py).
    "phone_key", "mobile_key", "name_key",
})
MAX_VALUE_CHARS = 2000
INFO_KEY = "relate.audit"


@dataclass
class Pending:
    """One entry waiting for the commit; `actor_id` None means "the transaction's actor"."""

    kind: str
    subject_type: str
    subject_id: uuid.UUID
    action: str
    changes: list[dict[str, Any]]
    actor_id: uuid.UUID | None
    changed_on: datetime | None
    version: int | None
    # The savepoint it was written under, if any: rolling that back drops the entry.
    savepoint: Any = None


@dataclass
class Trail:
    entries: list[Pending] = field(default_factory=list)
    created: set[uuid.UUID] = field(default_factory=set)
    actor_id: uuid.UUID | None = None
    now: datetime | None = None

    def learn(self, actor_id: uuid.UUID | None, now: datetime | None) -> None:
        if self.actor_id is None and actor_id is not None:
            self.actor_id, self.now = actor_id, now


def subject(row: Any) -> tuple[str, str] | None:
    if isinstance(row, Record):
        return "RECORD", row.type
    if isinstance(row, Activity):
        return "ACTIVITY", row.type
    if isinstance(row, Note):
        return "NOTE", "NOTE"
    # The organisation (R-ADM-*): people, teams, units and roles are audited like records.
    if isinstance(row, Principal):
        return "PRINCIPAL", str(row.kind or ("team" if isinstance(row, Team) else "user")).upper()
    if isinstance(row, BusinessUnit):
        return "UNIT", "BUSINESS_UNIT"
    if isinstance(row, Role):
        return "ROLE", "ROLE"
    return None


def note_change(session: Session, kind: str, subject_type: str, subject_id: uuid.UUID,
                changes: list[dict[str, Any]], actor_id: uuid.UUID | None, now: datetime | None) -> None:
    """A change the flush hook cannot see as a column (roles held, members, privileges,
    grants: rows of link tables), written to the trail with the same commit."""
    trail = session.info.get(INFO_KEY) or _trail(session)
    trail.learn(actor_id, now)
    trail.entries.append(Pending(kind, subject_type, subject_id, "UPDATED", changes, actor_id, now, None,
                                 session.get_nested_transaction()))


def field_name(key: str) -> str:
    """Column names as the API spells fields: `owner_id` → `ownerId`, `job_title` → `jobTitle`."""
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def plain(value: Any) -> Any:
    """A JSON-ready copy of a column value, long text cut."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return f"{value[:MAX_VALUE_CHARS]}… ({len(value)} characters)"
    if isinstance(value, list | dict):
        return value
    return value


def changed_fields(row: Any) -> list[dict[str, Any]]:
    state = inspect(row)
    changes: list[dict[str, Any]] = []
    for attr in state.mapper.column_attrs:
        if attr.key in NOT_AUDITED:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if attr.key == CUSTOM_VALUES:
            changes.extend(custom_changes(old, new))
            continue
        changes.append({"field": field_name(attr.key), "old": plain(old), "new": plain(new)})
    return changes


CUSTOM_VALUES = "custom_fields"


def custom_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Custom fields (R-QRY-2) are one JSON column but audited one field at a time, like
    built-in fields: `customFields.<name>`."""
    old, new = old or {}, new or {}
    return [{"field": f"customFields.{name}", "old": plain(old.get(name)), "new": plain(new.get(name))}
            for name in sorted({*old, *new}) if old.get(name) != new.get(name)]


def _stamped(row: Any) -> bool:
    """Did this flush bump the row's version (a stamped write, R-API-1)?"""
    attrs = inspect(row).attrs
    return "version" in attrs and bool(attrs["version"].history.added)


def _trail(session: Session) -> Trail:
    trail = session.info.get(INFO_KEY)
    if trail is None:
        trail = session.info[INFO_KEY] = Trail()
    return trail


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    trail: Trail | None = session.info.get(INFO_KEY)
    for row in session.new:
        if isinstance(row, OutboxEvent):
            (trail := trail or _trail(session)).learn(row.actor_id, row.created_on)
            continue
        kind = subject(row)
        if kind is None:
            continue
        trail = trail or _trail(session)
        if row.id is None:
            row.id = uuid.uuid4()  # the column default would come too late to name the subject
        trail.created.add(row.id)
        created_by, created_on = getattr(row, "created_by_id", None), getattr(row, "created_on", None)
        trail.learn(created_by, created_on)
        trail.entries.append(Pending(*kind, row.id, "CREATED", [], created_by, created_on,
                                     getattr(row, "version", None), session.get_nested_transaction()))
    for row in session.dirty:
        kind = subject(row)
        if kind is None or row.id in (trail.created if trail else ()):
            continue
        changes = changed_fields(row)
        if not changes:
            continue
        trail = trail or _trail(session)
        stamped = _stamped(row)
        if stamped:
            trail.learn(row.modified_by_id, row.modified_on)
        trail.entries.append(Pending(*kind, row.id, "UPDATED", changes,
                                     row.modified_by_id if stamped else None,
                                     row.modified_on if stamped else None, getattr(row, "version", None),
                                     session.get_nested_transaction()))
    for row in session.deleted:
        kind = subject(row)
        if kind is None:
            continue
        trail = trail or _trail(session)
        trail.entries.append(Pending(*kind, row.id, "DELETED", [], None, None, None,
                                     session.get_nested_transaction()))


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is released: wait for the real commit
    session.flush()  # changes not flushed yet are diffed now, not after the trail is written
    trail: Trail | None = session.info.pop(INFO_KEY, None)
    if trail is None or not trail.entries:
        return
    now = trail.now or datetime.now(UTC)
    session.add_all(
        AuditEntry(subject_kind=p.kind, subject_type=p.subject_type, subject_id=p.subject_id,
                   action=p.action, changes=p.changes, actor_id=p.actor_id or trail.actor_id,
                   changed_on=p.changed_on or now, version=p.version)
        for p in trail.entries
    )


def _within(savepoint: Any, rolled_back: Any) -> bool:
    while savepoint is not None:
        if savepoint is rolled_back:
            return True
        savepoint = savepoint.parent
    return False


def _after_soft_rollback(session: Session, previous: Any) -> None:
    """A rolled-back savepoint drops what was written under it; a real rollback, everything."""
    trail: Trail | None = session.info.get(INFO_KEY)
    if trail is None:
        return
    if not previous.nested:
        session.info.pop(INFO_KEY, None)
        return
    trail.entries = [p for p in trail.entries if not _within(p.savepoint, previous)]


def install() -> None:
    """Listen on every ORM session (idempotent). Reading sessions never flush, so cost nothing."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


install()
