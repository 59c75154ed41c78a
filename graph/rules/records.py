"""Field rules for records (R-ACC-1, R-CON-1, R-REC-2): pure, no session."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graph.rules.errors import DomainError, ErrorCode, Problem

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{3,30}$")

# Longest text each field takes; longer input is refused, not truncated.
MAX_LENGTH = {
    "name": 400, "first_name": 200, "last_name": 200, "email": 320, "phone": 50,
    "mobile_phone": 50, "website": 400, "industry": 100, "address_line": 400, "city": 100,
    "postal_code": 20, "country": 100, "job_title": 200, "topic": 400, "company_name": 200,
}
REQUIRED = {"ACCOUNT": ("name",), "CONTACT": ("first_name", "last_name")}
INPUT_NAMES = {"first_name": "firstName", "last_name": "lastName", "mobile_phone": "mobilePhone",
               "address_line": "addressLine", "postal_code": "postalCode", "job_title": "jobTitle",
               "company_name": "companyName"}


def _path(name: str) -> tuple[str, ...]:
    return ("input", INPUT_NAMES.get(name, name))


def clean_text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def check_fields(record_type: str, values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Trim, then check required fields, lengths, email and phone shapes; all problems at once."""
    cleaned = {k: clean_text(v) for k, v in values.items()}
    problems: list[Problem] = []
    for name in REQUIRED.get(record_type, ()):
        if (creating or name in cleaned) and not cleaned.get(name):
            problems.append(Problem(ErrorCode.VALIDATION, f"{INPUT_NAMES.get(name, name)} is required", _path(name)))
    for name, value in cleaned.items():
        if isinstance(value, str):
            if value == "" and name not in REQUIRED.get(record_type, ()):
                cleaned[name] = None
                continue
            limit = MAX_LENGTH.get(name)
            if limit and len(value) > limit:
                problems.append(Problem(ErrorCode.VALIDATION, f"{INPUT_NAMES.get(name, name)} is longer than {limit} characters", _path(name)))
    email = cleaned.get("email")
    if email and not EMAIL.match(email):
        problems.append(Problem(ErrorCode.VALIDATION, f"'{email}' is not an email address", _path("email")))
    for name in ("phone", "mobile_phone"):
        number = cleaned.get(name)
        if number and not PHONE.match(number):
            problems.append(Problem(ErrorCode.VALIDATION, f"'{number}' is not a phone number", _path(name)))
    if problems:
        raise DomainError(problems=problems)
    return cleaned


def display_name(record_type: str, values: Mapping[str, Any]) -> str:
    if record_type in ("CONTACT", "LEAD") and (values.get("first_name") or values.get("last_name")):
        return " ".join(p for p in (values.get("first_name"), values.get("last_name")) if p)
    return values.get("name") or values.get("topic") or ""


def require_active(record: Any, what: str) -> None:
    """R-REC-2: a deactivated (or closed) record is read-only until activated again."""
    if not record.is_active:
        raise DomainError(
            ErrorCode.DEACTIVATED,
            f"{what} '{record.name}' is {record.state.lower()}; activate it before changing it",
        )
