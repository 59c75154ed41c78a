"""Duplicate rules (R-QRY-3): the normalised keys two records are compared by. Pure.

Each key is stored in its own indexed column when a record is written, so finding the
likely duplicates of a record is an index look-up per rule, never a scan:

- contacts and leads: the same email ignoring case (`lower(email)`, already indexed);
- contacts and leads: the same phone digits (`phone_key`, `mobile_key`), either number;
- accounts: the same name ignoring case, spaces and punctuation (`name_key`) under the
  same parent account.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from graph.rules.errors import DomainError, ErrorCode

# Fewer digits than this are not a phone number worth matching on ("0", "112").
MIN_PHONE_DIGITS = 6
PERSON_TYPES = ("CONTACT", "LEAD")


def email_key(email: str | None) -> str | None:
    return email.strip().lower() or None if email else None


def phone_key(phone: str | None) -> str | None:
    """The digits of a number: "+1 (555) 010-0100" and "15550100100" are the same phone."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def name_key(name: str | None) -> str | None:
    """A name without case, accents, spaces or punctuation: "Import Sports, Inc." and
    "import sports inc" are the same account."""
    if not name:
        return None
    folded = unicodedata.normalize("NFKD", name).casefold()
    kept = "".join(ch for ch in folded if ch.isalnum())
    return kept or None


def keys_of(record_type: str, values: Mapping[str, Any]) -> dict[str, str | None]:
    """The key columns of a record with these values (what the rules compare)."""
    return {
        "phone_key": phone_key(values.get("phone")) if record_type in PERSON_TYPES else None,
        "mobile_key": phone_key(values.get("mobile_phone")) if record_type in PERSON_TYPES else None,
        "name_key": name_key(values.get("name")) if record_type == "ACCOUNT" else None,
    }


def reasons(record_type: str, mine: Mapping[str, Any], other: Mapping[str, Any]) -> list[str]:
    """Which rules make `other` a likely duplicate of `mine` (both: column values)."""
    found: list[str] = []
    if record_type in PERSON_TYPES:
        if email_key(mine.get("email")) and email_key(mine.get("email")) == email_key(other.get("email")):
            found.append("EMAIL")
        phones = {mine.get("phone_key"), mine.get("mobile_key")} - {None}
        if phones & ({other.get("phone_key"), other.get("mobile_key")} - {None}):
            found.append("PHONE")
    if record_type == "ACCOUNT" and mine.get("name_key") and mine.get("name_key") == other.get("name_key") \
            and mine.get("parent_account_id") == other.get("parent_account_id"):
        found.append("NAME_AND_PARENT")
    return found


RULE_WORDS = {"EMAIL": "the same email", "PHONE": "the same phone number", "NAME_AND_PARENT": "the same name"}
SHOWN = 5


def warn(what: str, matches: Sequence[tuple[str, Sequence[str]]], acknowledged: bool) -> None:
    """R-QRY-3: likely duplicates (name, reasons) are a warning to confirm, naming them."""
    if acknowledged or not matches:
        return
    named = "; ".join(f"'{name}' ({', '.join(RULE_WORDS[r] for r in reasons)})" for name, reasons in matches[:SHOWN])
    more = f" and {len(matches) - SHOWN} more" if len(matches) > SHOWN else ""
    raise DomainError(ErrorCode.DUPLICATE, f"this {what} looks like a duplicate of {named}{more}; repeat with "
                                           "acknowledgeWarnings: true to save it anyway (see duplicates(recordId))",
                      ("input", "acknowledgeWarnings"))
