"""Security roles turned into SQL predicates and row checks (R-SEC-1, DESIGN §6).

A `Scope` is built once per viewer from their roles, teams and business unit. Reads put
`scope.read_filter(...)` into the WHERE clause of every list, page, loader batch, count
and event check; writes call `scope.require(...)` on the row they change.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, false, or_, true

from graph.rules.errors import DomainError, ErrorCode


class Depth(IntEnum):
    NONE = 0
    USER = 1
    BUSINESS_UNIT = 2
    BUSINESS_UNIT_DEEP = 3
    ORGANIZATION = 4


ACTIONS = ("create", "read", "write", "delete", "assign", "append_to")
SECURED_TYPES = ("account", "contact", "lead", "opportunity", "case", "activity", "note")
CONFIGURATION = "configuration"

Privileges = dict[tuple[str, str], Depth]


def _grant(**by_action: Depth) -> Privileges:
    return {(t, a): by_action.get(a, Depth.NONE) for t in SECURED_TYPES for a in ACTIONS}


# The three built-in roles of SPEC §1. Appending an activity or note to a record is allowed
# wherever the record can be read: a seller logs a call on a colleague's account.
BUILTIN_ROLES: dict[str, Privileges] = {
    "salesperson": _grant(
        create=Depth.USER, read=Depth.ORGANIZATION, write=Depth.USER, delete=Depth.USER,
        assign=Depth.USER, append_to=Depth.ORGANIZATION,
    ),
    "sales_manager": _grant(
        create=Depth.BUSINESS_UNIT_DEEP, read=Depth.ORGANIZATION,
        write=Depth.BUSINESS_UNIT_DEEP, delete=Depth.BUSINESS_UNIT_DEEP,
        assign=Depth.BUSINESS_UNIT_DEEP, append_to=Depth.ORGANIZATION,
    ),
    "system_administrator": {
        **_grant(**{a: Depth.ORGANIZATION for a in ACTIONS}),
        (CONFIGURATION, "write"): Depth.ORGANIZATION,
    },
}


def merge_privileges(roles: Iterable[Mapping[tuple[str, str], Depth]]) -> Privileges:
    """A user's rights are the union of their roles: the deepest grant wins."""
    merged: Privileges = {}
    for role in roles:
        for key, depth in role.items():
            merged[key] = max(merged.get(key, Depth.NONE), depth)
    return merged


class Owned(Protocol):
    owner_id: uuid.UUID
    owning_business_unit_id: uuid.UUID


@dataclass(frozen=True)
class TeamGrant:
    """A team's own roles, held by each member for what the team owns (R-ADM-4, Dataverse
    owner teams): USER depth means rows the team owns; unit depths are the team's unit."""

    team_id: uuid.UUID
    unit_id: uuid.UUID
    deep_unit_ids: frozenset[uuid.UUID]
    privileges: Privileges

    def depth(self, record_type: str, action: str) -> Depth:
        return self.privileges.get((record_type, action), Depth.NONE)

    def allows(self, depth: Depth, owner_id: uuid.UUID, unit_id: uuid.UUID) -> bool:
        return _allows(depth, owner_id in (self.team_id,), unit_id == self.unit_id, unit_id in self.deep_unit_ids)

    def filter_for(self, depth: Depth, owner_col: Any, unit_col: Any) -> ColumnElement[bool]:
        return _filter(depth, lambda: owner_col == self.team_id, lambda: unit_col == self.unit_id,
                       lambda: unit_col.in_(sorted(self.deep_unit_ids)))


def _allows(depth: Depth, owned: bool, in_unit: bool, in_deep: bool) -> bool:
    if depth == Depth.ORGANIZATION:
        return True
    if depth == Depth.BUSINESS_UNIT_DEEP:
        return in_deep
    if depth == Depth.BUSINESS_UNIT:
        return in_unit
    if depth == Depth.USER:
        return owned
    return False


def _filter(depth: Depth, owned: Any, in_unit: Any, in_deep: Any) -> ColumnElement[bool]:
    if depth == Depth.ORGANIZATION:
        return true()
    if depth == Depth.BUSINESS_UNIT_DEEP:
        return in_deep()
    if depth == Depth.BUSINESS_UNIT:
        return in_unit()
    if depth == Depth.USER:
        return owned()
    return false()


@dataclass(frozen=True)
class Scope:
    """What one viewer may do, independent of any request or session."""

    user_id: uuid.UUID
    business_unit_id: uuid.UUID
    team_ids: frozenset[uuid.UUID]
    # The viewer's unit and every unit below it.
    deep_unit_ids: frozenset[uuid.UUID]
    privileges: Privileges = field(default_factory=dict)
    role_names: frozenset[str] = frozenset()
    team_grants: tuple[TeamGrant, ...] = ()

    @property
    def principal_ids(self) -> frozenset[uuid.UUID]:
        return self.team_ids | {self.user_id}

    def depth(self, record_type: str, action: str) -> Depth:
        """The depth of the viewer's own roles (a team's roles reach only what the team owns)."""
        return self.privileges.get((record_type, action), Depth.NONE)

    def widest(self, record_type: str, action: str) -> Depth:
        """The deepest grant from the viewer's roles or any of their teams' roles."""
        return max([self.depth(record_type, action), *(g.depth(record_type, action) for g in self.team_grants)])

    def can(self, action: str, record_type: str, row: Owned) -> bool:
        return self.can_own(action, record_type, row.owner_id, row.owning_business_unit_id)

    def allows(self, depth: Depth, owner_id: uuid.UUID, unit_id: uuid.UUID) -> bool:
        return _allows(depth, owner_id in self.principal_ids, unit_id == self.business_unit_id,
                       unit_id in self.deep_unit_ids)

    def can_own(self, action: str, record_type: str, owner_id: uuid.UUID, unit_id: uuid.UUID) -> bool:
        """May the viewer act on (create, assign …) a row owned like this, by their roles or a team's?"""
        if self.allows(self.depth(record_type, action), owner_id, unit_id):
            return True
        return any(g.allows(g.depth(record_type, action), owner_id, unit_id) for g in self.team_grants)

    def require(self, action: str, record_type: str, row: Owned, what: str = "record",
                field: Sequence[str] | None = None) -> None:
        """Refuse `action` on `row`: NOT_FOUND when the viewer may not even read it (the very
        answer a missing id gets, so existence is not leaked), FORBIDDEN otherwise.

        Read is checked first: a right to act on a row one cannot read must not reveal it.
        """
        if not self.can("read", record_type, row):
            raise DomainError(ErrorCode.NOT_FOUND, f"{what} not found", field)
        if not self.can(action, record_type, row):
            raise DomainError(
                ErrorCode.FORBIDDEN, f"you may not {action.replace('_', ' ')} this {what}", field
            )

    def require_configuration(self) -> None:
        if self.depth(CONFIGURATION, "write") < Depth.ORGANIZATION:
            raise DomainError(ErrorCode.FORBIDDEN, "only administrators may change configuration")

    def read_filter(self, record_type: str, owner_col: Any, unit_col: Any) -> ColumnElement[bool]:
        """The SQL predicate for "rows of this type the viewer may read": their roles' depth,
        or a team's roles on what the team owns."""
        own = self.filter_for(self.depth(record_type, "read"), owner_col, unit_col)
        if self.reads_everything(record_type):
            return true()
        teams = [g.filter_for(g.depth(record_type, "read"), owner_col, unit_col)
                 for g in self.team_grants if g.depth(record_type, "read") > Depth.NONE]
        return or_(own, *teams) if teams else own

    def reads_alike(self, first: str, second: str) -> bool:
        """Do two record types have the very same read predicate?"""
        return all(holder.depth(first, "read") == holder.depth(second, "read")
                   for holder in (self, *self.team_grants))

    def filter_for(self, depth: Depth, owner_col: Any, unit_col: Any) -> ColumnElement[bool]:
        return _filter(depth, lambda: owner_col.in_(sorted(self.principal_ids)),
                       lambda: unit_col == self.business_unit_id, lambda: unit_col.in_(sorted(self.deep_unit_ids)))

    def reads_everything(self, record_type: str) -> bool:
        return self.widest(record_type, "read") == Depth.ORGANIZATION


def visibility_key(scope: Scope) -> Hashable:
    """Viewers with equal keys read exactly the same rows, so one look-up (and one rendered
    live event) serves them all. Whoever reads every secured type organisation-wide reads
    everything (grants add nothing to that); anyone else is a class of their own, under
    this very scope (a changed role gives a new scope object, hence a new class)."""
    if all(scope.reads_everything(record_type) for record_type in SECURED_TYPES):
        return ("everything",)
    return ("viewer", scope.user_id, id(scope))


def descendants(unit_id: uuid.UUID, parent_of: Mapping[uuid.UUID, uuid.UUID | None]) -> frozenset[uuid.UUID]:
    """A unit and every unit below it, from a child → parent map of the whole tree."""
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for child, parent in parent_of.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found = {unit_id}
    stack = [unit_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)
