"""Expected failures of the domain (SPEC §9): raised by rules and commands, returned to
clients as `errors: [UserError]` data by the one mutation runner."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum


class ErrorCode(Enum):
    """The documented error codes; clients switch on these, never on messages."""

    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    CONFLICT = "CONFLICT"
    DEACTIVATED = "DEACTIVATED"
    INVALID_STATE = "INVALID_STATE"
    CONTACT_HAS_OTHER_ACCOUNT = "CONTACT_HAS_OTHER_ACCOUNT"
    DUPLICATE = "DUPLICATE"
    CONFIRMATION_REQUIRED = "CONFIRMATION_REQUIRED"
    MISSING_CONTACT_POINT = "MISSING_CONTACT_POINT"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_TYPE_BLOCKED = "FILE_TYPE_BLOCKED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    OUTSIDE_WORKING_HOURS = "OUTSIDE_WORKING_HOURS"
    RATE_LIMITED = "RATE_LIMITED"
    RESYNC_REQUIRED = "RESYNC_REQUIRED"
    SLOW_CONSUMER = "SLOW_CONSUMER"
    MALFORMED_FILE = "MALFORMED_FILE"
    AMBIGUOUS = "AMBIGUOUS"
    BATCH_FAILED = "BATCH_FAILED"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: a code, a sentence for people, the input path."""

    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None


@dataclass
class DomainError(Exception):
    """Raised by `graph` code for an expected failure; the transaction is rolled back."""

    problems: list[Problem] = field(default_factory=list)

    def __init__(
        self,
        code: ErrorCode | None = None,
        message: str = "",
        field: Sequence[str] | None = None,
        *,
        problems: Sequence[Problem] = (),
    ) -> None:
        found = list(problems)
        if code is not None:
            found.insert(0, Problem(code, message, tuple(field) if field else None))
        self.problems = found
        super().__init__("; ".join(p.message for p in found))

    @property
    def code(self) -> ErrorCode:
        return self.problems[0].code

    @property
    def extensions(self) -> dict[str, object]:
        """Read by GraphQL when a query (not a mutation) fails this way: the code travels."""
        first = self.problems[0]
        found: dict[str, object] = {"code": first.code.value}
        if first.field:
            found["field"] = list(first.field)
        return found


def not_found(what: str, field: Sequence[str] | None = None) -> DomainError:
    """The same answer for missing and for not readable: existence is not leaked."""
    return DomainError(ErrorCode.NOT_FOUND, f"{what} not found", field)
