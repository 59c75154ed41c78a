"""R-TL-2: which timelines show an entry, decided by one pure function (DESIGN §4)."""

from __future__ import annotations

import uuid

from graph.rules.rollup import DIRECT, MAX_CHAIN, RELATED, ancestors, rollup_parent, timeline_targets

ACCOUNT, CHRIS, OTHER_ACCOUNT, DANA, OPPORTUNITY, CASE, LEAD = (uuid.uuid4() for _ in range(7))
PARENTS: dict[uuid.UUID, uuid.UUID | None] = {
    CHRIS: ACCOUNT, DANA: OTHER_ACCOUNT, OPPORTUNITY: CHRIS, CASE: ACCOUNT, ACCOUNT: None,
    OTHER_ACCOUNT: None, LEAD: None,
}


def test_r_tl_2_a_task_about_a_contact_shows_on_the_contact_and_rolls_up_to_its_account() -> None:
    # Chris Preston, contact of Import Sports: the task names only Chris.
    assert timeline_targets(CHRIS, [], PARENTS) == {CHRIS: DIRECT, ACCOUNT: RELATED}


def test_r_tl_2_an_activity_about_an_account_shows_only_there() -> None:
    assert timeline_targets(ACCOUNT, [], PARENTS) == {ACCOUNT: DIRECT}


def test_r_tl_2_an_opportunity_rolls_up_to_its_customer_and_the_customers_account() -> None:
    assert timeline_targets(OPPORTUNITY, [], PARENTS) == {OPPORTUNITY: DIRECT, CHRIS: RELATED, ACCOUNT: RELATED}


def test_r_tl_2_a_contact_party_shows_the_entry_on_the_contact_and_its_account() -> None:
    assert timeline_targets(None, [DANA], PARENTS) == {DANA: DIRECT, OTHER_ACCOUNT: RELATED}


def test_r_tl_2_a_personal_activity_with_no_parties_shows_nowhere() -> None:
    assert timeline_targets(None, [], PARENTS) == {}


def test_r_tl_2_a_record_reached_directly_and_by_roll_up_is_direct() -> None:
    # About Chris, and the account itself is a party: the account's row is DIRECT.
    assert timeline_targets(CHRIS, [ACCOUNT], PARENTS) == {CHRIS: DIRECT, ACCOUNT: DIRECT}
    # Order does not matter: the party first, then the regarding record's roll-up.
    assert timeline_targets(CASE, [CHRIS], PARENTS) == {CASE: DIRECT, CHRIS: DIRECT, ACCOUNT: RELATED}


def test_r_tl_2_parties_and_regarding_on_different_accounts_show_on_both() -> None:
    assert timeline_targets(CHRIS, [DANA], PARENTS) == {
        CHRIS: DIRECT, ACCOUNT: RELATED, DANA: DIRECT, OTHER_ACCOUNT: RELATED,
    }


def test_ancestors_stop_at_a_cycle_and_at_the_chain_limit() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert ancestors(a, {a: b, b: a}) == [b]
    chain = [uuid.uuid4() for _ in range(MAX_CHAIN + 5)]
    parents = {chain[i]: chain[i + 1] for i in range(len(chain) - 1)}
    assert ancestors(chain[0], parents) == chain[1:MAX_CHAIN + 1]
    assert ancestors(LEAD, PARENTS) == []


def test_r_lead_1_a_qualified_lead_rolls_up_to_its_opportunity() -> None:
    contact_account, customer, opportunity = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert rollup_parent(contact_account, None) == contact_account
    assert rollup_parent(None, customer) == customer
    assert rollup_parent(None, None, opportunity) == opportunity
    assert rollup_parent(None, None, None) is None
    parents = {LEAD: opportunity, opportunity: customer, customer: None}
    assert timeline_targets(LEAD, [], parents) == {LEAD: DIRECT, opportunity: RELATED, customer: RELATED}
