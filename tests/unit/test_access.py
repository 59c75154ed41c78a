"""R-SEC-1: security depths as pure rules (graph/rules/access.py), and the SQL predicate
agreeing with the row check for every depth."""

from __future__ import annotations

import itertools
import uuid

import pytest
from sqlalchemy import Column, MetaData, Table, Uuid, create_engine, insert, select

from graph.rules.access import (
    ACTIONS,
    BUILTIN_ROLES,
    CONFIGURATION,
    SECURED_TYPES,
    Depth,
    Scope,
    descendants,
    merge_privileges,
)
from graph.rules.errors import DomainError, ErrorCode

# Root > Sales > Sales West;  Root > Service.
ROOT, SALES, WEST, SERVICE = (uuid.uuid4() for _ in range(4))
PARENT_OF: dict[uuid.UUID, uuid.UUID | None] = {ROOT: None, SALES: ROOT, WEST: SALES, SERVICE: ROOT}
ME, COLLEAGUE, STRANGER, MY_TEAM, OTHER_TEAM = (uuid.uuid4() for _ in range(5))


def scope(depth: Depth = Depth.NONE, **by_action: Depth) -> Scope:
    """A seller in Sales, member of MY_TEAM, reading at `depth` (other actions as given)."""
    privileges = {("account", "read"): depth, **{("account", a): d for a, d in by_action.items()}}
    return Scope(user_id=ME, business_unit_id=SALES, team_ids=frozenset({MY_TEAM}),
                 deep_unit_ids=descendants(SALES, PARENT_OF), privileges=privileges)


# (owner, owning unit) -> which depths may reach it
CASES = {
    "mine in my unit": ((ME, SALES), {Depth.USER, Depth.BUSINESS_UNIT, Depth.BUSINESS_UNIT_DEEP, Depth.ORGANIZATION}),
    "mine in another unit": ((ME, SERVICE), {Depth.USER, Depth.ORGANIZATION}),
    "my team's": ((MY_TEAM, SALES), {Depth.USER, Depth.BUSINESS_UNIT, Depth.BUSINESS_UNIT_DEEP, Depth.ORGANIZATION}),
    "a colleague's in my unit": ((COLLEAGUE, SALES), {Depth.BUSINESS_UNIT, Depth.BUSINESS_UNIT_DEEP, Depth.ORGANIZATION}),
    "in my child unit": ((STRANGER, WEST), {Depth.BUSINESS_UNIT_DEEP, Depth.ORGANIZATION}),
    "another team's in my unit": ((OTHER_TEAM, SALES), {Depth.BUSINESS_UNIT, Depth.BUSINESS_UNIT_DEEP, Depth.ORGANIZATION}),
    "in my parent unit": ((STRANGER, ROOT), {Depth.ORGANIZATION}),
    "in a sibling unit": ((STRANGER, SERVICE), {Depth.ORGANIZATION}),
}


@pytest.mark.parametrize("depth", list(Depth))
@pytest.mark.parametrize("case", list(CASES))
def test_r_sec_1_allows_at_each_depth(depth: Depth, case: str) -> None:
    (owner, unit), reached_by = CASES[case]
    assert scope().allows(depth, owner, unit) is (depth in reached_by)


class Row:
    def __init__(self, owner: uuid.UUID, unit: uuid.UUID) -> None:
        self.owner_id, self.owning_business_unit_id = owner, unit


def test_r_sec_1_can_looks_up_the_depth_of_the_type_and_action() -> None:
    s = scope(Depth.ORGANIZATION, write=Depth.USER)
    colleague, mine = Row(COLLEAGUE, SALES), Row(ME, SALES)
    assert s.can("read", "account", colleague) and not s.can("write", "account", colleague)
    assert s.can("write", "account", mine)
    assert not s.can("read", "contact", mine)  # nothing granted on contacts
    assert s.depth("contact", "read") is Depth.NONE


def test_r_sec_1_require_hides_what_cannot_be_read_and_forbids_the_rest() -> None:
    s = scope(Depth.USER, write=Depth.ORGANIZATION, assign=Depth.USER)
    with pytest.raises(DomainError) as hidden:
        s.require("write", "account", Row(COLLEAGUE, SALES), "account", ("input", "id"))
    # Write is granted org-wide, but the row is unreadable: it does not exist for this viewer.
    assert (hidden.value.code, hidden.value.problems[0].field) == (ErrorCode.NOT_FOUND, ("input", "id"))
    assert hidden.value.problems[0].message == "account not found"

    readable_not_mine = scope(Depth.ORGANIZATION, write=Depth.USER)
    with pytest.raises(DomainError) as forbidden:
        readable_not_mine.require("write", "account", Row(COLLEAGUE, SALES), "account")
    assert forbidden.value.code is ErrorCode.FORBIDDEN
    assert "write" in forbidden.value.problems[0].message

    s.require("assign", "account", Row(MY_TEAM, SERVICE), "account")  # allowed: no error


def test_r_sec_1_can_own_checks_the_owner_a_row_would_get() -> None:
    s = scope(create=Depth.BUSINESS_UNIT_DEEP)
    assert s.can_own("create", "account", COLLEAGUE, WEST)
    assert not s.can_own("create", "account", STRANGER, SERVICE)


def test_r_sec_1_configuration_is_for_administrators_only() -> None:
    admin = Scope(ME, ROOT, frozenset(), frozenset({ROOT}), merge_privileges([BUILTIN_ROLES["system_administrator"]]))
    admin.require_configuration()
    with pytest.raises(DomainError) as refused:
        scope(Depth.ORGANIZATION).require_configuration()
    assert refused.value.code is ErrorCode.FORBIDDEN


# --- the SQL predicate and the row check agree --------------------------------------------

METADATA = MetaData()
ROWS = Table("rows", METADATA, Column("owner_id", Uuid), Column("unit_id", Uuid))


@pytest.mark.parametrize("depth", list(Depth))
def test_r_sec_1_read_filter_selects_exactly_what_allows_reaches(depth: Depth) -> None:
    engine = create_engine("sqlite://")
    METADATA.create_all(engine)
    owners, units = (ME, COLLEAGUE, STRANGER, MY_TEAM, OTHER_TEAM), tuple(PARENT_OF)
    everything = set(itertools.product(owners, units))
    s = scope(depth)
    with engine.begin() as conn:
        conn.execute(insert(ROWS), [{"owner_id": o, "unit_id": u} for o, u in everything])
        found = {tuple(r) for r in conn.execute(
            select(ROWS.c.owner_id, ROWS.c.unit_id).where(s.read_filter("account", ROWS.c.owner_id, ROWS.c.unit_id))
        )}
    assert found == {(o, u) for o, u in everything if s.allows(depth, o, u)}
    assert s.reads_everything("account") is (depth is Depth.ORGANIZATION)
    engine.dispose()


# --- roles and units ---------------------------------------------------------------------


def test_r_sec_1_merge_privileges_is_the_union_deepest_grant_wins() -> None:
    a = {("account", "read"): Depth.USER, ("account", "write"): Depth.ORGANIZATION}
    b = {("account", "read"): Depth.BUSINESS_UNIT, ("contact", "read"): Depth.NONE}
    merged = merge_privileges([a, b])
    assert merged == {("account", "read"): Depth.BUSINESS_UNIT, ("account", "write"): Depth.ORGANIZATION,
                      ("contact", "read"): Depth.NONE}
    assert a[("account", "read")] is Depth.USER  # inputs untouched
    assert merge_privileges([]) == {}
    assert merge_privileges([b, a]) == merged


def test_r_sec_1_built_in_roles_match_the_spec() -> None:
    seller, manager, admin = (BUILTIN_ROLES[n] for n in ("salesperson", "sales_manager", "system_administrator"))
    for t in SECURED_TYPES:
        assert seller[(t, "read")] is Depth.ORGANIZATION
        assert {seller[(t, a)] for a in ("write", "assign", "delete")} == {Depth.USER}
        assert manager[(t, "read")] is Depth.ORGANIZATION
        assert {manager[(t, a)] for a in ("write", "assign")} == {Depth.BUSINESS_UNIT_DEEP}
        assert {admin[(t, a)] for a in ACTIONS} == {Depth.ORGANIZATION}
    assert admin[(CONFIGURATION, "write")] is Depth.ORGANIZATION
    assert (CONFIGURATION, "write") not in seller and (CONFIGURATION, "write") not in manager
    # A seller who is also a manager has the manager's reach.
    both = merge_privileges([seller, manager])
    assert both[("account", "write")] is Depth.BUSINESS_UNIT_DEEP


def test_descendants_are_a_unit_and_everything_below_it() -> None:
    assert descendants(ROOT, PARENT_OF) == {ROOT, SALES, WEST, SERVICE}
    assert descendants(SALES, PARENT_OF) == {SALES, WEST}
    assert descendants(WEST, PARENT_OF) == {WEST}
    lonely = uuid.uuid4()
    assert descendants(lonely, PARENT_OF) == {lonely}


def test_descendants_survive_a_cycle_in_bad_data() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert descendants(a, {a: c, b: a, c: b}) == {a, b, c}
