"""Pure rules for leads, opportunities and cases (R-LEAD-1, R-REC-2), record type names
(R-REC-3) and report periods (R-RPT-1): one function, one behaviour per test."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, MetaData, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from graph.queries.reports import as_date, money, period_start
from graph.rules import metadata, sales
from graph.rules.errors import DomainError, ErrorCode


def problems(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[ErrorCode, tuple[str, ...] | None]]:
    return [(p.code, p.field) for p in error.value.problems]


# --- field checks ---------------------------------------------------------------------------


def test_a_lead_needs_topic_and_last_name_all_problems_at_once() -> None:
    with pytest.raises(DomainError) as error:
        sales.check_lead({"topic": " ", "email": "nope"}, creating=True)
    assert sorted(problems(error), key=str) == sorted([
        (ErrorCode.VALIDATION, ("input", "topic")), (ErrorCode.VALIDATION, ("input", "lastName")),
        (ErrorCode.VALIDATION, ("input", "email"))], key=str)


def test_an_update_checks_only_the_fields_it_changes() -> None:
    assert sales.check_lead({"job_title": " Buyer "}, creating=False) == {"job_title": "Buyer"}
    with pytest.raises(DomainError) as error:
        sales.check_lead({"last_name": ""}, creating=False)
    assert problems(error) == [(ErrorCode.VALIDATION, ("input", "lastName"))]


def test_an_unknown_lead_source_is_refused() -> None:
    with pytest.raises(DomainError) as error:
        sales.check_lead({"topic": "T", "last_name": "L", "source": "RADIO"}, creating=True)
    assert problems(error) == [(ErrorCode.VALIDATION, ("input", "source"))]


@pytest.mark.parametrize("amount", ["0", "12.5", "12.50", "9999999999999999.99", "1E+2"])
def test_revenue_takes_amounts_in_cents(amount: str) -> None:
    cleaned = sales.check_opportunity({"name": "Deal", "estimated_revenue": Decimal(amount)}, creating=True)
    assert cleaned["estimated_revenue"] == Decimal(amount)


@pytest.mark.parametrize("amount", ["-0.01", "1.234", "NaN", "Infinity", "10000000000000000"])
def test_revenue_refuses_negative_fractional_cents_and_non_numbers(amount: str) -> None:
    with pytest.raises(DomainError) as error:
        sales.check_opportunity({"name": "Deal", "estimated_revenue": Decimal(amount)}, creating=True)
    assert problems(error) == [(ErrorCode.VALIDATION, ("input", "estimatedRevenue"))]


@pytest.mark.parametrize(("probability", "ok"), [(0, True), (100, True), (-1, False), (101, False)])
def test_probability_is_a_percentage(probability: int, ok: bool) -> None:
    values = {"name": "Deal", "probability": probability}
    if ok:
        assert sales.check_opportunity(values, creating=True)["probability"] == probability
    else:
        with pytest.raises(DomainError):
            sales.check_opportunity(values, creating=True)


def test_the_opportunity_topic_is_trimmed_and_kept_as_its_name() -> None:
    assert sales.check_opportunity({"name": "  Spring order "}, creating=True)["name"] == "Spring order"


def test_a_case_needs_a_title_and_a_customer_and_known_lists() -> None:
    with pytest.raises(DomainError) as error:
        sales.check_case({"name": "", "priority": "URGENT", "origin": "FAX"}, creating=True)
    assert problems(error) == [
        (ErrorCode.VALIDATION, ("input", "title")), (ErrorCode.VALIDATION, ("input", "customerId")),
        (ErrorCode.VALIDATION, ("input", "priority")), (ErrorCode.VALIDATION, ("input", "origin"))]


@pytest.mark.parametrize("title", ["Broken\x00pedals", "x" * 401])
def test_a_case_title_is_storable_text_of_at_most_400_characters(title: str) -> None:
    with pytest.raises(DomainError) as error:
        sales.check_case({"name": title, "customer_id": "c"}, creating=True)
    assert problems(error) == [(ErrorCode.VALIDATION, ("input", "title"))]


def test_a_case_title_is_trimmed_and_kept_as_its_name() -> None:
    assert sales.check_case({"name": "  Broken pedals ", "customer_id": "c"}, creating=True)["name"] == "Broken pedals"


# --- R-REC-2: closed is read-only -----------------------------------------------------------


def row(record_type: str, state: str) -> Any:
    return SimpleNamespace(type=record_type, state=state, name="X")


@pytest.mark.parametrize(("record_type", "state"), [("LEAD", "QUALIFIED"), ("LEAD", "DISQUALIFIED"),
                                                    ("OPPORTUNITY", "WON"), ("OPPORTUNITY", "LOST"),
                                                    ("CASE", "RESOLVED"), ("CASE", "CANCELED")])
def test_a_closed_record_is_read_only_and_cannot_close_again(record_type: str, state: str) -> None:
    with pytest.raises(DomainError) as error:
        sales.require_writable(row(record_type, state))
    assert error.value.code == ErrorCode.DEACTIVATED
    with pytest.raises(DomainError) as error:
        sales.require_open_for("closed", row(record_type, state))
    assert error.value.code == ErrorCode.INVALID_STATE


@pytest.mark.parametrize(("record_type", "state"), [("LEAD", "OPEN"), ("OPPORTUNITY", "OPEN"), ("CASE", "ACTIVE")])
def test_an_open_record_is_writable(record_type: str, state: str) -> None:
    sales.require_writable(row(record_type, state))
    sales.require_open_for("closed", row(record_type, state))


def test_only_known_outcomes_and_reasons() -> None:
    assert sales.close_opportunity_state("WON") == "WON"
    assert sales.disqualified_reason("CANNOT_CONTACT") == "CANNOT_CONTACT"
    with pytest.raises(DomainError):
        sales.close_opportunity_state("DRAW")
    with pytest.raises(DomainError):
        sales.disqualified_reason("BORED")


# --- R-LEAD-1: qualify ----------------------------------------------------------------------

LEAD = {"name": "Chris Preston", "topic": "50 bikes", "first_name": "Chris", "last_name": "Preston",
        "company_name": "Import Sports", "email": "chris@import.example", "phone": "+1 555 0101",
        "mobile_phone": None, "job_title": "Buyer", "address_line": None, "city": "Oslo",
        "postal_code": None, "country": None}


def test_create_and_link_the_same_kind_is_refused() -> None:
    choice = sales.Qualification(create_contact=True, existing_contact_id=uuid.uuid4(),
                                 create_opportunity=True, existing_opportunity_id=uuid.uuid4())
    with pytest.raises(DomainError) as error:
        sales.check_qualification(choice, LEAD)
    assert problems(error) == [(ErrorCode.VALIDATION, ("input", "existingContactId")),
                               (ErrorCode.VALIDATION, ("input", "existingOpportunityId"))]


def test_an_account_needs_the_leads_company_name() -> None:
    with pytest.raises(DomainError) as error:
        sales.check_qualification(sales.Qualification(create_account=True), {**LEAD, "company_name": " "})
    assert problems(error) == [(ErrorCode.VALIDATION, ("input", "createAccount"))]
    sales.check_qualification(sales.Qualification(create_account=True), LEAD)


def test_the_account_contact_and_opportunity_take_the_leads_fields() -> None:
    account_id = uuid.uuid4()
    assert sales.account_from_lead(LEAD) == {"name": "Import Sports", "phone": "+1 555 0101", "city": "Oslo"}
    assert sales.contact_from_lead(LEAD, account_id) == {
        "first_name": "Chris", "last_name": "Preston", "email": "chris@import.example", "phone": "+1 555 0101",
        "job_title": "Buyer", "city": "Oslo", "account_id": account_id}
    assert "account_id" not in sales.contact_from_lead(LEAD, None)
    assert sales.opportunity_from_lead(LEAD, account_id) == {"name": "50 bikes", "customer_id": account_id}
    assert sales.opportunity_from_lead({**LEAD, "topic": None}, None)["name"] == "Chris Preston"


# --- R-REC-3: names -------------------------------------------------------------------------


def test_names_are_trimmed_and_required() -> None:
    assert metadata.check_names("ACCOUNT", "  Key   account ", "Key accounts") == ("Key account", "Key accounts")
    with pytest.raises(DomainError) as error:
        metadata.check_names("ACCOUNT", "", "x" * 101)
    assert problems(error) == [(ErrorCode.VALIDATION, ("input", "singular")),
                               (ErrorCode.VALIDATION, ("input", "plural"))]


def test_a_rename_overrides_one_type_and_the_defaults_drop_the_override() -> None:
    stored = metadata.renamed({}, "ACCOUNT", "Company", "Companies")
    assert stored == {"ACCOUNT": {"singular": "Company", "plural": "Companies"}}
    both = metadata.renamed(stored, "CASE", "Ticket", "Tickets")
    assert set(both) == {"ACCOUNT", "CASE"}
    reset = metadata.renamed(both, "ACCOUNT", "Account", "Accounts")
    assert reset == {"CASE": {"singular": "Ticket", "plural": "Tickets"}}
    found = {n.record_type: (n.singular, n.plural, n.schema_name) for n in metadata.names_of(reset)}
    assert found["CASE"] == ("Ticket", "Tickets", "Case") and found["ACCOUNT"] == ("Account", "Accounts", "Account")


# --- R-RPT-1: periods and money -------------------------------------------------------------

TABLE = Table("t", MetaData(), Column("at", DateTime()))


@pytest.mark.parametrize(("dialect", "period", "sql"), [
    (sqlite.dialect(), "DAY", "date(t.at)"),
    (sqlite.dialect(), "WEEK", "date(t.at, 'weekday 0', '-6 days')"),
    (sqlite.dialect(), "MONTH", "date(t.at, 'start of month')"),
    (postgresql.dialect(), "WEEK", "CAST(date_trunc('week', t.at) AS DATE)"),
    (postgresql.dialect(), "MONTH", "CAST(date_trunc('month', t.at) AS DATE)"),
])
def test_period_truncation_is_one_inlined_expression_per_dialect(dialect: Any, period: str, sql: str) -> None:
    expression = period_start(dialect.name, TABLE.c.at, period)
    compiled = str(select(expression).compile(dialect=dialect))
    assert sql in compiled
    assert "%(" not in compiled and "?" not in compiled.split("FROM")[0]  # nothing bound: GROUP BY can repeat it


def test_dates_from_either_database_become_dates() -> None:
    assert as_date("2024-01-01") == date(2024, 1, 1)
    assert as_date(date(2024, 1, 1)) == date(2024, 1, 1)
    assert as_date(datetime(2024, 1, 1, 5)) == date(2024, 1, 1)
    assert as_date(None) is None


def test_money_is_exact_cents() -> None:
    assert money(Decimal("0.125")) == Decimal("0.13")
    assert money(None) == Decimal("0.00")
    assert money(Decimal("5000.00") * 75, 1) == Decimal("3750.00")
