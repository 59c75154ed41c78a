"""R-API-3: text no database can store (a NUL, a lone UTF-16 surrogate, both of which JSON
can carry) is a VALIDATION problem at the field that holds it, in every rule that accepts
text; PostgreSQL would otherwise refuse it mid-statement, an internal error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from graph.rules import activities, metadata, records, sequences, tracking, webhooks
from graph.rules.errors import DomainError, ErrorCode

BAD = ("a\x00b", "a\ud800b")


def refused(check: Callable[[], Any]) -> list[tuple[ErrorCode, tuple[str, ...]]]:
    with pytest.raises(DomainError) as error:
        check()
    return [(p.code, tuple(p.field or ())) for p in error.value.problems]


@pytest.mark.parametrize("text", BAD)
def test_unusable_text_says_why_and_usable_text_passes(text: str) -> None:
    assert records.unusable_text(text, 400) is not None
    assert records.unusable_text("fine", 400) is None
    assert records.unusable_text("x" * 5, 4) == "is longer than 4 characters"


@pytest.mark.parametrize("text", BAD)
@pytest.mark.parametrize(("check", "field"), [
    (lambda t: activities.check_fields("TASK", {"subject": t}, creating=True), ("input", "subject")),
    (lambda t: tracking.require_id(t, "a message id", ("input", "messageId")), ("input", "messageId")),
    (lambda t: sequences.check_name(t), ("input", "name")),
    (lambda t: sequences.check_steps([sequences.StepSpec("TASK", subject=t)]), ("input", "steps", "0", "subject")),
    (lambda t: sequences.check_steps([sequences.StepSpec("TASK", subject="Call", instructions=t)]),
     ("input", "steps", "0", "instructions")),
    (lambda t: metadata.check_names("ACCOUNT", t, "Companies"), ("input", "singular")),
    (lambda t: webhooks.check_url(f"https://hooks.example/{t}", allow_http=False), ("input", "url")),
])
def test_every_rule_taking_text_refuses_what_cannot_be_stored(
    text: str, check: Callable[[str], Any], field: tuple[str, ...],
) -> None:
    assert refused(lambda: check(text)) == [(ErrorCode.VALIDATION, field)]


def test_a_reply_to_an_unstorable_message_id_names_no_message() -> None:
    """In-Reply-To only points at earlier mail; an id no mail can have is simply not one."""
    assert tracking.replied_ids("<a\x00b@mail.example> <ok@mail.example>") == ["ok@mail.example"]
    assert tracking.replied_ids("a\x00b") == []

