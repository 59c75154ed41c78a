"""Visibility classes for live events rendered once (issue 22): viewers share a class only
when they read exactly the same rows."""

from __future__ import annotations

import uuid

from graph.rules.access import BUILTIN_ROLES, Depth, Scope, TeamGrant, merge_privileges, visibility_key

UNIT = uuid.uuid4()


def viewer(*roles: str, grants: tuple[TeamGrant, ...] = (), **reads: Depth) -> Scope:
    privileges = merge_privileges([BUILTIN_ROLES[r] for r in roles])
    privileges.update({(t, "read"): d for t, d in reads.items()})
    return Scope(uuid.uuid4(), UNIT, frozenset(), frozenset({UNIT}), privileges, frozenset(roles), grants)


def test_everyone_who_reads_every_type_organisation_wide_is_one_class() -> None:
    keys = {visibility_key(viewer(role)) for role in BUILTIN_ROLES for _ in range(3)}
    assert keys == {("everything",)}


def test_a_narrower_read_on_any_type_is_a_class_of_its_own() -> None:
    first, second = viewer("salesperson", activity=Depth.USER), viewer("salesperson", activity=Depth.USER)
    assert visibility_key(first) != visibility_key(second)
    assert visibility_key(first) != ("everything",)
    assert visibility_key(first) == visibility_key(first)


def test_a_team_reading_everything_widens_its_members_to_everything() -> None:
    team = TeamGrant(uuid.uuid4(), UNIT, frozenset({UNIT}), merge_privileges([BUILTIN_ROLES["salesperson"]]))
    assert visibility_key(viewer(activity=Depth.USER, grants=(team,))) == ("everything",)
    assert visibility_key(viewer()) != ("everything",)  # no roles: reads nothing by role
