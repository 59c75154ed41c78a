"""Which timelines show an entry (R-TL-2): one pure function, used on every write.

Reads never compute roll-up; writers call this and store the answer in
`timeline_entries` (DESIGN §4). Relation DIRECT means the entry is about the record or
names it as a party (what `rollup: NONE` shows); RELATED means it rolled up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

DIRECT = "DIRECT"
RELATED = "RELATED"

# Record types whose timelines show an activity that names them as a party.
PARTY_TIMELINE_TYPES = frozenset({"CONTACT", "LEAD", "ACCOUNT"})
MAX_CHAIN = 8


def timeline_date(created_on: datetime, sent_on: datetime | None) -> datetime:
    """Where an entry sits on a timeline (R-TL-1): mail by when it was sent or received
    (`sentOn`: for tracked mail its Date header, not when it was tracked), everything else
    by when it was created."""
    return sent_on or created_on


def rollup_parent(
    account_id: uuid.UUID | None,
    customer_id: uuid.UUID | None,
    qualified_opportunity_id: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """The one record a record's timeline rolls up into (R-TL-2, R-LEAD-1).

    A contact rolls up into its account; an opportunity or a case into its customer; a
    qualified lead into the opportunity it became, so that opportunity (and, through it,
    the customer) shows the lead's history. An account has no roll-up parent: its
    parent account is reached by reading `rollup: EXTENDED`, not by copying rows up.
    """
    return account_id or customer_id or qualified_opportunity_id


def ancestors(record_id: uuid.UUID, parent_of: Mapping[uuid.UUID, uuid.UUID | None]) -> list[uuid.UUID]:
    """The roll-up parents of a record, nearest first: contact → account; case → customer → …"""
    chain: list[uuid.UUID] = []
    current = parent_of.get(record_id)
    while current is not None and current not in chain and current != record_id and len(chain) < MAX_CHAIN:
        chain.append(current)
        current = parent_of.get(current)
    return chain


def timeline_targets(
    regarding_id: uuid.UUID | None,
    party_record_ids: Iterable[uuid.UUID],
    parent_of: Mapping[uuid.UUID, uuid.UUID | None],
) -> dict[uuid.UUID, str]:
    """Every record whose timeline shows the entry, with the relation to each.

    - the regarding record (DIRECT) and its roll-up parents (RELATED);
    - each party record (DIRECT) and, for a contact, its account (RELATED).
    A record reached both ways keeps DIRECT.
    """
    targets: dict[uuid.UUID, str] = {}

    def add(record_id: uuid.UUID, relation: str) -> None:
        if targets.get(record_id) != DIRECT:
            targets[record_id] = relation

    if regarding_id is not None:
        add(regarding_id, DIRECT)
        for parent in ancestors(regarding_id, parent_of):
            add(parent, RELATED)
    for party_id in party_record_ids:
        add(party_id, DIRECT)
        parent = parent_of.get(party_id)
        if parent is not None:
            add(parent, RELATED)
    return targets
