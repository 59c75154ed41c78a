"""`UserError`: an expected failure, returned as data in every mutation payload."""

from __future__ import annotations

import strawberry

from graph.rules.errors import ErrorCode as DomainErrorCode
from graph.rules.errors import Problem

ErrorCode = strawberry.enum(
    DomainErrorCode,
    name="ErrorCode",
    description="What went wrong; clients switch on this, never on the message.",
)


@strawberry.type(description="One expected failure: a code, a sentence for people, the input path.")
class UserError:
    code: ErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        default=None, description="Path to the input field at fault, e.g. [\"input\", \"name\"]."
    )

    @classmethod
    def from_problem(cls, problem: Problem) -> UserError:
        return cls(code=problem.code, message=problem.message, field=list(problem.field) if problem.field else None)
