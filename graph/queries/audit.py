"""Reading the audit trail: newest first, administrators only (see graph/models/audit.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from graph.models import AuditEntry
from graph.queries.keyset import SortKey
from graph.rules.access import CONFIGURATION, Depth, Scope
from graph.rules.errors import DomainError, ErrorCode

# Entries of one subject in the order they were written (ids grow within one subject: its
# writes are serialised by the row's lock and version).
KEYS = [SortKey("id", AuditEntry.id, descending=True)]


def require_auditor(scope: Scope) -> None:
    """The trail shows old values a record no longer has, so only administrators read it."""
    if scope.depth(CONFIGURATION, "write") < Depth.ORGANIZATION:
        raise DomainError(ErrorCode.FORBIDDEN, "only administrators may read the audit trail")


def trail_query(subject_id: uuid.UUID) -> Select[tuple[AuditEntry]]:
    return select(AuditEntry).where(AuditEntry.subject_id == subject_id)
