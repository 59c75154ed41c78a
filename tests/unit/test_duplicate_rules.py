"""The duplicate rules' keys and matching (R-QRY-3), as plain functions."""

from __future__ import annotations

import uuid

import pytest

from graph.rules import duplicates as rules
from graph.rules.errors import DomainError, ErrorCode


def test_keys_ignore_what_people_type_differently() -> None:
    assert rules.email_key("  Ada@Example.ORG ") == "ada@example.org"
    assert rules.phone_key("+1 (555) 010-0100") == rules.phone_key("15550100100") == "15550100100"
    assert rules.phone_key("112") is None  # too short to mean a person
    assert rules.name_key("Import Sports, Inc.") == rules.name_key("import  sports inc") == "importsportsinc"
    assert rules.name_key("Café Crème") == rules.name_key("cafe creme")
    assert rules.name_key("...") is None


def test_each_type_has_its_own_rules() -> None:
    parent = uuid.uuid4()
    mine = {"email": "a@x.org", **rules.keys_of("CONTACT", {"phone": "+44 20 7946 0001"})}
    other = {"email": "A@X.org", **rules.keys_of("CONTACT", {"mobile_phone": "442079460001"})}
    assert rules.reasons("CONTACT", mine, other) == ["EMAIL", "PHONE"]
    account = {**rules.keys_of("ACCOUNT", {"name": "Acme Ltd."}), "parent_account_id": parent}
    assert rules.reasons("ACCOUNT", account, {**rules.keys_of("ACCOUNT", {"name": "ACME LTD"}),
                                              "parent_account_id": parent}) == ["NAME_AND_PARENT"]
    assert rules.reasons("ACCOUNT", account, {**account, "parent_account_id": None}) == []
    assert rules.keys_of("ACCOUNT", {"phone": "+1 555 0100"})["phone_key"] is None  # accounts match by name only


def test_the_warning_names_the_matches_and_is_silenced_by_acknowledging() -> None:
    with pytest.raises(DomainError) as caught:
        rules.warn("contact", [("Ada Lovelace", ["EMAIL", "PHONE"])], acknowledged=False)
    problem = caught.value.problems[0]
    assert problem.code == ErrorCode.DUPLICATE and problem.field == ("input", "acknowledgeWarnings")
    assert "'Ada Lovelace' (the same email, the same phone number)" in problem.message
    rules.warn("contact", [("Ada Lovelace", ["EMAIL"])], acknowledged=True)
    rules.warn("contact", [], acknowledged=False)
