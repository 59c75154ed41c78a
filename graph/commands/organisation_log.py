"""What every administration command leaves behind (R-ADM-*, SPEC §11): a live event with
its actor and, for changes the audit hook cannot see as columns (roles held, members,
privileges, grants), an explicit audit entry. Column changes of users, teams, units and
roles are diffed by the audit hook itself (graph/commands/audit.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import audit
from graph.commands.outbox import publish
from graph.events import OrganisationChanged
from graph.models import utcnow

KINDS = {"USER": "PRINCIPAL", "TEAM": "PRINCIPAL", "BUSINESS_UNIT": "UNIT", "ROLE": "ROLE", "RECORD": "RECORD"}


async def announce(session: AsyncSession, actor_id: uuid.UUID | None, subject_type: str, subject_id: uuid.UUID,
                   change: str, *, now: datetime | None = None, changes: list[dict[str, Any]] | None = None) -> None:
    when = now or utcnow()
    if changes:
        audit.note_change(session.sync_session, KINDS[subject_type], subject_type, subject_id, changes, actor_id, when)
    await publish(session, [OrganisationChanged(subject_type, subject_id, change)], actor_id, when)
