"""Rules for leads, opportunities and cases (SPEC §2, R-LEAD-1, R-REC-2): pure, no session.

Each type has one open state and closed states reached only through its own actions
(qualify/disqualify, close as won/lost, resolve/cancel). A closed record is read-only,
like a deactivated account: every write fails with DEACTIVATED, and an action that needs
the open state fails with INVALID_STATE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from graph.rules import records
from graph.rules.errors import DomainError, ErrorCode, Problem

LEAD_SOURCES = ("MANUAL", "CAMPAIGN", "WEB", "EMAIL_LIST", "SOCIAL", "OTHER")
DISQUALIFY_REASONS = ("LOST", "CANNOT_CONTACT", "NO_LONGER_INTERESTED", "CANCELED")
OUTCOMES = ("WON", "LOST")
CASE_PRIORITIES = ("LOW", "NORMAL", "HIGH")
CASE_ORIGINS = ("PHONE", "EMAIL", "WEB", "FACEBOOK", "TWITTER")

OPEN_STATE = {"LEAD": "OPEN", "OPPORTUNITY": "OPEN", "CASE": "ACTIVE"}
CLOSED_STATES = {
    "LEAD": ("QUALIFIED", "DISQUALIFIED"),
    "OPPORTUNITY": ("WON", "LOST"),
    "CASE": ("RESOLVED", "CANCELED"),
}
STATES = {t: (OPEN_STATE[t], *closed) for t, closed in CLOSED_STATES.items()}

# Estimated revenue is Numeric(18, 2): at most 16 digits before the point, 2 after.
MAX_REVENUE = Decimal("9999999999999999.99")
CUSTOMER_TYPES = ("ACCOUNT", "CONTACT")

LEAD_REQUIRED = (("topic", "topic"), ("last_name", "lastName"))


def _required(values: Mapping[str, Any], names: Sequence[tuple[str, str]], creating: bool) -> list[Problem]:
    problems = []
    for column, input_name in names:
        if (creating or column in values) and not records.clean_text(values.get(column)):
            problems.append(Problem(ErrorCode.VALIDATION, f"{input_name} is required", ("input", input_name)))
    return problems


def _checked(record_type: str, values: Mapping[str, Any], creating: bool, problems: list[Problem]) -> dict[str, Any]:
    """Shared text checks (lengths, email and phone shapes) plus `problems`, all reported at once."""
    try:
        cleaned = records.check_fields(record_type, values, creating=creating)
    except DomainError as error:
        raise DomainError(problems=[*problems, *error.problems]) from None
    if problems:
        raise DomainError(problems=problems)
    return cleaned


def check_lead(values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """A lead needs a topic and a last name (as in the products the spec follows)."""
    problems = _required(values, LEAD_REQUIRED, creating)
    source = values.get("source")
    if source is not None and source not in LEAD_SOURCES:
        problems.append(Problem(ErrorCode.VALIDATION, f"source is one of {', '.join(LEAD_SOURCES)}", ("input", "source")))
    return _checked("LEAD", values, creating, problems)


def check_opportunity(values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Topic required; revenue a non-negative amount in cents; probability 0–100."""
    problems = _required(values, (("name", "topic"),), creating)
    revenue = values.get("estimated_revenue")
    if revenue is not None and not _is_amount(revenue):
        problems.append(Problem(
            ErrorCode.VALIDATION,
            f"estimatedRevenue must be an amount between 0 and {MAX_REVENUE} with at most 2 decimals",
            ("input", "estimatedRevenue"),
        ))
    probability = values.get("probability")
    if probability is not None and not 0 <= probability <= 100:
        problems.append(Problem(ErrorCode.VALIDATION, "probability is a percentage between 0 and 100",
                                ("input", "probability")))
    return _checked_named("OPPORTUNITY", "topic", values, creating, problems)


def _checked_named(record_type: str, name_input: str, values: Mapping[str, Any], creating: bool,
                   problems: list[Problem]) -> dict[str, Any]:
    """`_checked` for a type whose display name (the `name` column) the API calls otherwise:
    problems then point at the input the client typed (`topic`, `title`)."""
    named = {(name_input if k == "name" else k): v for k, v in values.items()}
    cleaned = _checked(record_type, named, creating, problems)
    if name_input in cleaned:
        cleaned["name"] = cleaned.pop(name_input)
    return cleaned


def _is_amount(value: Any) -> bool:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return False
    if not amount.is_finite() or amount < 0 or amount > MAX_REVENUE:
        return False
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and (exponent >= -2 or amount == amount.quantize(Decimal("0.01")))


def check_case(values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Title and customer required; priority and origin from their lists."""
    problems = _required(values, (("name", "title"), ("customer_id", "customerId")), creating)
    if values.get("priority") is not None and values["priority"] not in CASE_PRIORITIES:
        problems.append(Problem(ErrorCode.VALIDATION, "priority is LOW, NORMAL or HIGH", ("input", "priority")))
    if values.get("origin") is not None and values["origin"] not in CASE_ORIGINS:
        problems.append(Problem(ErrorCode.VALIDATION, f"origin is one of {', '.join(CASE_ORIGINS)}", ("input", "origin")))
    return _checked_named("CASE", "title", values, creating, problems)


def is_open(record_type: str, state: str) -> bool:
    return state == OPEN_STATE[record_type]


def require_writable(record: Any, field: Sequence[str] | None = None, *, what: str | None = None) -> None:
    """R-REC-2: a closed lead, opportunity or case is read-only (DEACTIVATED). `what`: how
    to name its type (default: the type's own name)."""
    if not is_open(record.type, record.state):
        what = what or record.type.lower()
        raise DomainError(
            ErrorCode.DEACTIVATED,
            f"{what} '{record.name}' is {record.state.lower()} and therefore read-only",
            field,
        )


def require_open_for(action: str, record: Any, field: Sequence[str] | None = ("input", "id")) -> None:
    """An action that moves a record out of its open state needs it open (INVALID_STATE)."""
    if not is_open(record.type, record.state):
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"{record.type.lower()} '{record.name}' is already {record.state.lower()}; it cannot be {action}",
            field,
        )


def close_opportunity_state(outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise DomainError(ErrorCode.VALIDATION, "outcome is WON or LOST", ("input", "outcome"))
    return outcome


def disqualified_reason(reason: str) -> str:
    if reason not in DISQUALIFY_REASONS:
        raise DomainError(ErrorCode.VALIDATION, f"reason is one of {', '.join(DISQUALIFY_REASONS)}",
                          ("input", "reason"))
    return reason


# --- R-LEAD-1: qualifying ------------------------------------------------------------------


@dataclass(frozen=True)
class Qualification:
    """What the caller chose for each of account, contact and opportunity: create, link, or neither."""

    create_account: bool = False
    existing_account_id: Any = None
    create_contact: bool = False
    existing_contact_id: Any = None
    create_opportunity: bool = False
    existing_opportunity_id: Any = None


def check_qualification(choice: Qualification, lead: Mapping[str, Any]) -> None:
    """Create *or* link, never both; what is to be created must be derivable from the lead."""
    problems: list[Problem] = []
    for kind, create, existing in (
        ("Account", choice.create_account, choice.existing_account_id),
        ("Contact", choice.create_contact, choice.existing_contact_id),
        ("Opportunity", choice.create_opportunity, choice.existing_opportunity_id),
    ):
        if create and existing is not None:
            problems.append(Problem(ErrorCode.VALIDATION,
                                    f"choose either create{kind} or existing{kind}Id, not both",
                                    ("input", f"existing{kind}Id")))
    if choice.create_account and not records.clean_text(lead.get("company_name")):
        problems.append(Problem(ErrorCode.VALIDATION,
                                "the lead has no company name to create an account from; add one or link an existing account",
                                ("input", "createAccount")))
    if choice.create_contact and not records.clean_text(lead.get("last_name")):
        problems.append(Problem(ErrorCode.VALIDATION,
                                "the lead has no last name to create a contact from; add one or link an existing contact",
                                ("input", "createContact")))
    if choice.create_opportunity and not (choice.create_account or choice.existing_account_id is not None
                                          or choice.create_contact or choice.existing_contact_id is not None):
        # An opportunity has a customer, an account or a contact (SPEC §2); a lead has no account or
        # contact of its own to fall back on, so guessing one would be silent and wrong.
        problems.append(Problem(ErrorCode.VALIDATION,
                                "a new opportunity needs a customer: also create or link an account or a contact "
                                "(createAccount, existingAccountId, createContact or existingContactId)",
                                ("input", "createOpportunity")))
    if problems:
        raise DomainError(problems=problems)


ADDRESS = ("address_line", "city", "postal_code", "country")


def account_from_lead(lead: Mapping[str, Any]) -> dict[str, Any]:
    """The company a lead names becomes the account: name, office phone and address."""
    values = {"name": lead.get("company_name"), "phone": lead.get("phone")}
    values.update({k: lead.get(k) for k in ADDRESS})
    return {k: v for k, v in values.items() if v is not None}


def contact_from_lead(lead: Mapping[str, Any], account_id: Any) -> dict[str, Any]:
    """The person a lead names becomes the contact, in the account when there is one."""
    keys = ("first_name", "last_name", "email", "phone", "mobile_phone", "job_title", *ADDRESS)
    values = {k: lead.get(k) for k in keys if lead.get(k) is not None}
    if account_id is not None:
        values["account_id"] = account_id
    return values


def opportunity_from_lead(lead: Mapping[str, Any], customer_id: Any) -> dict[str, Any]:
    """The lead's topic (else the person's name) names the deal; the customer is the account, else the contact."""
    return {"name": lead.get("topic") or lead.get("name"), "customer_id": customer_id}
