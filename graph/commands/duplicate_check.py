"""The duplicate warning on create and update (R-QRY-3), shared by every record command."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.queries.duplicates import likely_duplicates
from graph.queries.metadata import type_label
from graph.rules import duplicates as rules
from graph.rules.access import Scope

# Fields the rules read: an update that changes none of them is not checked again.
RULE_FIELDS = frozenset({"email", "phone", "mobile_phone", "name", "first_name", "last_name", "parent_account_id"})
CHECKED_TYPES = ("ACCOUNT", "CONTACT", "LEAD")


async def warn_of_duplicates(
    session: AsyncSession, scope: Scope, record_type: str, values: Mapping[str, Any], *,
    acknowledged: bool, exclude: uuid.UUID | None = None, changed: Mapping[str, Any] | None = None,
) -> None:
    """DUPLICATE, naming the matches, unless acknowledged (or nothing the rules read changed)."""
    if acknowledged or record_type not in CHECKED_TYPES:
        return
    if changed is not None and not RULE_FIELDS & changed.keys():
        return
    matches = await likely_duplicates(session, scope, record_type, values, exclude)
    if matches:
        what = (await type_label(session, record_type)).lower()
        rules.warn(what, [(m.record.name, m.reasons) for m in matches], acknowledged)
