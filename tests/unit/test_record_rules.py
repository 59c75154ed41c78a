"""Field rules of records as pure functions (graph/rules/records.py): R-ACC-1, R-CON-1, R-REC-2."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from graph.rules.errors import DomainError, ErrorCode
from graph.rules.records import (
    MAX_CLIENT_MUTATION_ID,
    MAX_FILTER_LENGTH,
    MAX_LENGTH,
    check_client_mutation_id,
    check_fields,
    check_filter_text,
    display_name,
    input_name,
    require_active,
    text_problem,
)


def problems(record_type: str, values: dict[str, object], *, creating: bool = True) -> list[tuple[str, tuple[str, ...] | None]]:
    with pytest.raises(DomainError) as raised:
        check_fields(record_type, values, creating=creating)
    assert all(p.code is ErrorCode.VALIDATION for p in raised.value.problems)
    return [(p.message, p.field) for p in raised.value.problems]


def fields(record_type: str, values: dict[str, object], *, creating: bool = True) -> list[tuple[str, ...] | None]:
    return [f for _, f in problems(record_type, values, creating=creating)]


# --- R-ACC-1 / R-CON-1: what is required -------------------------------------------------


def test_r_acc_1_only_the_name_is_required_and_it_is_trimmed() -> None:
    assert check_fields("ACCOUNT", {"name": "  Import Sports "}, creating=True) == {"name": "Import Sports"}
    assert fields("ACCOUNT", {}) == [("input", "name")]
    assert fields("ACCOUNT", {"name": " \t"}) == [("input", "name")]
    assert fields("ACCOUNT", {"name": None}) == [("input", "name")]


def test_r_acc_1_an_update_checks_the_name_only_when_it_is_given() -> None:
    assert check_fields("ACCOUNT", {"phone": "+1 555 0100"}, creating=False) == {"phone": "+1 555 0100"}
    assert fields("ACCOUNT", {"name": ""}, creating=False) == [("input", "name")]


def test_r_con_1_first_and_last_name_are_required_and_reported_together() -> None:
    assert problems("CONTACT", {"first_name": "", "last_name": " "}) == [
        ("firstName is required", ("input", "firstName")), ("lastName is required", ("input", "lastName"))]
    assert fields("CONTACT", {"first_name": "Chris"}) == [("input", "lastName")]
    assert fields("CONTACT", {"last_name": None}, creating=False) == [("input", "lastName")]
    assert check_fields("CONTACT", {"job_title": "Buyer"}, creating=False) == {"job_title": "Buyer"}


# --- shapes, lengths, clearing ----------------------------------------------------------


@pytest.mark.parametrize("email", ["chris@importsports.example", "a.b+c@x.io", "  d@e.fg  "])
def test_r_con_1_good_emails_pass(email: str) -> None:
    assert check_fields("CONTACT", {"email": email}, creating=False)["email"] == email.strip()


@pytest.mark.parametrize("email", ["chris", "chris@", "@x.io", "chris@example", "a b@x.io", "a@b@c.io"])
def test_r_con_1_bad_emails_fail_and_the_message_quotes_them(email: str) -> None:
    [(message, field)] = problems("CONTACT", {"email": email}, creating=False)
    assert field == ("input", "email") and email in message


@pytest.mark.parametrize("phone", ["+1 555 0100", "(425) 555-0100", "020.7946.0958", "+44/20/7946/0958", "555"])
def test_r_con_1_good_phone_numbers_pass(phone: str) -> None:
    assert check_fields("CONTACT", {"phone": phone, "mobile_phone": phone}, creating=False)["phone"] == phone


@pytest.mark.parametrize("phone", ["ring me", "12", "+1 555 0100 x12", "1" * 31, "++1 555"])
def test_r_con_1_bad_phone_numbers_fail_on_the_field_the_client_named(phone: str) -> None:
    # A contact's `phone` column is its `businessPhone` in the API; an account's is `phone`.
    assert fields("CONTACT", {"phone": phone, "mobile_phone": phone}, creating=False) == [
        ("input", "businessPhone"), ("input", "mobilePhone")]
    assert fields("ACCOUNT", {"phone": phone}, creating=False) == [("input", "phone")]


def test_input_names_follow_the_api() -> None:
    assert input_name("CONTACT", "phone") == "businessPhone"
    assert input_name("ACCOUNT", "phone") == "phone"
    assert input_name("CONTACT", "first_name") == "firstName"
    assert input_name("ACCOUNT", "website") == "website"


def test_address_parts_are_reported_under_address() -> None:
    too_long = {k: "x" * (MAX_LENGTH[k] + 1) for k in ("address_line", "city", "postal_code", "country")}
    assert fields("ACCOUNT", too_long, creating=False) == [
        ("input", "address", "line"), ("input", "address", "city"),
        ("input", "address", "postalCode"), ("input", "address", "country")]


def test_lengths_are_refused_not_truncated() -> None:
    limit = MAX_LENGTH["name"]
    assert check_fields("ACCOUNT", {"name": "n" * limit}, creating=True)["name"] == "n" * limit
    [(message, field)] = problems("ACCOUNT", {"name": "n" * (limit + 1)})
    assert field == ("input", "name") and str(limit) in message


def test_empty_optional_text_clears_the_field_and_other_values_pass_through() -> None:
    account_id = uuid.uuid4()
    cleaned = check_fields("CONTACT", {"email": "", "job_title": "  ", "do_not_phone": True,
                                       "account_id": account_id, "mobile_phone": None}, creating=False)
    assert cleaned == {"email": None, "job_title": None, "do_not_phone": True, "account_id": account_id,
                       "mobile_phone": None}


def test_every_problem_is_reported_at_once() -> None:
    assert fields("CONTACT", {"first_name": "", "last_name": "Lee", "email": "nope", "phone": "call",
                              "job_title": "j" * 201}) == [
        ("input", "firstName"), ("input", "jobTitle"), ("input", "email"), ("input", "businessPhone")]


# --- text no database can keep ------------------------------------------------------------


@pytest.mark.parametrize(("value", "why"), [
    ("a\x00b", "NUL"), ("\ud800", "Unicode"), ("ok \udfff", "Unicode"),
])
def test_text_with_nul_or_lone_surrogates_is_refused(value: str, why: str) -> None:
    assert why in (text_problem(value) or "")
    [(message, field)] = problems("ACCOUNT", {"name": "Ok", "email": f"x{value}@y.io"})
    assert field == ("input", "email") and why in message


def test_ordinary_text_in_any_script_is_fine() -> None:
    for value in ("Import Sports", "Ημερολόγιο", "Łódź", "日本語", "emoji 🙂", "tab\tand\nnewline"):
        assert text_problem(value) is None


def test_filter_text_is_checked_with_its_path() -> None:
    check_filter_text({"text": "chris", "city": None}, ("filter",))
    check_filter_text({"text": "c" * MAX_FILTER_LENGTH}, ("filter",))
    with pytest.raises(DomainError) as raised:
        check_filter_text({"text": "c" * (MAX_FILTER_LENGTH + 1), "city": "\x00"}, ("filter",))
    assert [p.field for p in raised.value.problems] == [("filter", "text"), ("filter", "city")]


def test_client_mutation_ids_must_be_storable() -> None:
    check_client_mutation_id(None)
    check_client_mutation_id("k" * MAX_CLIENT_MUTATION_ID)
    for bad in ("k" * (MAX_CLIENT_MUTATION_ID + 1), "a\x00"):
        with pytest.raises(DomainError) as raised:
            check_client_mutation_id(bad)
        assert raised.value.problems[0].field == ("input", "clientMutationId")


# --- display names and R-REC-2 -------------------------------------------------------------


def test_display_names() -> None:
    assert display_name("CONTACT", {"first_name": "Chris", "last_name": "Preston"}) == "Chris Preston"
    assert display_name("CONTACT", {"first_name": None, "last_name": "Preston"}) == "Preston"
    assert display_name("ACCOUNT", {"name": "Import Sports"}) == "Import Sports"
    assert display_name("LEAD", {"topic": "50 bikes"}) == "50 bikes"
    assert display_name("ACCOUNT", {}) == ""


@dataclass
class Rec:
    name: str
    state: str

    @property
    def is_active(self) -> bool:
        return self.state in ("ACTIVE", "OPEN")


def test_r_rec_2_an_active_record_may_change() -> None:
    require_active(Rec("Import Sports", "ACTIVE"), "account")
    require_active(Rec("Bikes", "OPEN"), "lead")


def test_r_rec_2_an_inactive_record_is_read_only_with_a_clear_error() -> None:
    with pytest.raises(DomainError) as raised:
        require_active(Rec("Import Sports", "INACTIVE"), "account", ("input", "accountId"))
    problem = raised.value.problems[0]
    assert problem.code is ErrorCode.DEACTIVATED and problem.field == ("input", "accountId")
    assert "Import Sports" in problem.message and "inactive" in problem.message and "activate" in problem.message
    with pytest.raises(DomainError) as raised:
        require_active(Rec("Chris Preston", "INACTIVE"), "contact")
    assert raised.value.problems[0].field is None
