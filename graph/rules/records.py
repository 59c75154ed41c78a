"""Field rules for records (R-ACC-1, R-CON-1, R-REC-2): pure, no session."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.text_limits import TEXT_LIMITS

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{3,30}$")

# Longest text each field takes (graph/rules/text_limits.py); longer input is refused, not truncated.
MAX_LENGTH = {name: TEXT_LIMITS[name] for name in (
    "name", "first_name", "last_name", "email", "phone", "mobile_phone", "website", "industry", "address_line",
    "city", "postal_code", "country", "job_title", "topic", "title", "company_name", "external_id")}
REQUIRED = {"ACCOUNT": ("name",), "CONTACT": ("first_name", "last_name")}
# Flags that are always true or false: null cannot clear them.
NOT_NULL = ("do_not_phone", "do_not_email", "do_not_text")
INPUT_NAMES = {"first_name": "firstName", "last_name": "lastName", "mobile_phone": "mobilePhone",
               "address_line": "addressLine", "postal_code": "postalCode", "job_title": "jobTitle",
               "company_name": "companyName", "do_not_phone": "doNotPhone", "do_not_email": "doNotEmail",
               "do_not_text": "doNotText", "external_id": "externalId"}
# A contact's office number is `businessPhone` in the API; the column is `phone`. Types
# that name it the same way add themselves to BUSINESS_PHONE_TYPES.
BUSINESS_PHONE_TYPES = {"CONTACT"}
PERSON_INPUT_NAMES = {**INPUT_NAMES, "phone": "businessPhone"}
# Address parts arrive nested under `address`; errors point at the part.
ADDRESS_INPUT_PATHS = {"address_line": ("address", "line"), "city": ("address", "city"),
                       "postal_code": ("address", "postalCode"), "country": ("address", "country")}


def input_name(record_type: str, name: str) -> str:
    """The API's name for a column, as the client typed it in the input."""
    names = PERSON_INPUT_NAMES if record_type in BUSINESS_PHONE_TYPES else INPUT_NAMES
    return names.get(name, name)


def _path(record_type: str, name: str) -> tuple[str, ...]:
    if name in ADDRESS_INPUT_PATHS:
        return ("input", *ADDRESS_INPUT_PATHS[name])
    return ("input", input_name(record_type, name))


def clean_text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


MAX_FILTER_LENGTH = 400


def text_problem(value: str) -> str | None:
    """Why this text can be neither stored nor searched, if so: databases refuse NUL
    characters and lone UTF-16 surrogates, which JSON can still carry."""
    if "\x00" in value:
        return "contains a NUL character"
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "is not valid Unicode text"
    return None


def unusable_text(value: str, limit: int | None) -> str | None:
    """Why this text cannot be stored in a column of `limit` characters, if so."""
    why = text_problem(value)
    if why is None and limit and len(value) > limit:
        why = f"is longer than {limit} characters"
    return why


def check_filter_text(values: Mapping[str, str | None], prefix: Sequence[str]) -> None:
    """Search text from a list filter: refused when unusable or longer than any stored value."""
    problems: list[Problem] = []
    for name, value in values.items():
        if value is None:
            continue
        why = unusable_text(value, MAX_FILTER_LENGTH)
        if why is not None:
            problems.append(Problem(ErrorCode.VALIDATION, f"{name} {why}", (*prefix, name)))
    if problems:
        raise DomainError(problems=problems)


MAX_CLIENT_MUTATION_ID = 200


def check_client_mutation_id(value: str | None) -> None:
    """R-API-2: the retry key is stored as given, so it must be storable."""
    if value is None:
        return
    why = unusable_text(value, MAX_CLIENT_MUTATION_ID)
    if why is not None:
        raise DomainError(ErrorCode.VALIDATION, f"clientMutationId {why}", ("input", "clientMutationId"))


def check_fields(record_type: str, values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Trim, then check required fields, lengths, email and phone shapes; all problems at once.

    Empty optional text becomes None (cleared), so "" and null mean the same to storage.
    """
    cleaned = {k: clean_text(v) for k, v in values.items()}
    required = REQUIRED.get(record_type, ())
    problems: list[Problem] = []
    for name in required:
        if (creating or name in cleaned) and not cleaned.get(name):
            problems.append(Problem(ErrorCode.VALIDATION, f"{input_name(record_type, name)} is required",
                                    _path(record_type, name)))
    for name in NOT_NULL:
        if name in cleaned and cleaned[name] is None:
            problems.append(Problem(ErrorCode.VALIDATION, f"{input_name(record_type, name)} is true or false, not null",
                                    _path(record_type, name)))
    unusable: set[str] = set()
    for name, value in cleaned.items():
        if not isinstance(value, str):
            continue
        why = unusable_text(value, MAX_LENGTH.get(name))
        if why is not None:
            unusable.add(name)
            problems.append(Problem(ErrorCode.VALIDATION, f"{input_name(record_type, name)} {why}",
                                    _path(record_type, name)))
        elif value == "" and name not in required:
            cleaned[name] = None
    email = cleaned.get("email")
    if "email" not in unusable and isinstance(email, str) and email and not EMAIL.match(email):
        problems.append(Problem(ErrorCode.VALIDATION, f"'{email}' is not an email address",
                                _path(record_type, "email")))
    for name in ("phone", "mobile_phone"):
        number = cleaned.get(name)
        if name not in unusable and isinstance(number, str) and number and not PHONE.match(number):
            problems.append(Problem(ErrorCode.VALIDATION, f"'{number}' is not a phone number",
                                    _path(record_type, name)))
    if problems:
        raise DomainError(problems=problems)
    return cleaned


def display_name(record_type: str, values: Mapping[str, Any]) -> str:
    if record_type in ("CONTACT", "LEAD") and (values.get("first_name") or values.get("last_name")):
        return " ".join(p for p in (values.get("first_name"), values.get("last_name")) if p)
    return values.get("name") or values.get("topic") or ""


def require_active(record: Any, what: str, field: Sequence[str] | None = None) -> None:
    """R-REC-2: a deactivated (or closed) record is read-only until activated again.

    `field` names the input that pointed at the record when it is not the one being changed
    (e.g. the `accountId` of a new contact): then nothing is being changed on it, something
    is being linked to it, and the message says so.
    """
    if not record.is_active:
        doing = "linking anything to it" if field is not None else "changing it"
        raise DomainError(
            ErrorCode.DEACTIVATED,
            f"{what} '{record.name}' is {record.state.lower()}; activate it before {doing}",
            field,
        )
