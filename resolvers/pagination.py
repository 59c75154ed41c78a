"""Opaque cursors and page-size caps (SPEC §9: default 50, max 500)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from graph.queries.keyset import SortKey, signature
from graph.queries.paging import PageRequest
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.records import text_problem
from server.settings import get_settings


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value:
            return datetime.fromisoformat(value["t"])
        if "u" in value:
            return uuid.UUID(value["u"])
        if "d" in value:
            return Decimal(value["d"])
    return value


def encode_cursor(keys: Sequence[SortKey], values: Sequence[Any]) -> str:
    body = json.dumps([signature(keys), [_plain(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[SortKey], argument: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sig, values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if sig != signature(keys) or not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("cursor of another ordering")
        typed = [_typed(v) for v in values]
        if not all(_fits(k, v) for k, v in zip(keys, typed, strict=True)):
            raise ValueError("cursor values of the wrong kind")
        return typed
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DomainError(
            ErrorCode.VALIDATION,
            f"'{argument}' is not a cursor of this list in this order",
            [argument],
        ) from exc


def _fits(key: SortKey, value: Any) -> bool:
    """A forged cursor must fail here as a typed error, not in the database as a bug."""
    if value is None:
        return True
    if isinstance(value, str) and text_problem(value) is not None:
        return False
    try:
        column_type = key.column.type
        expected = getattr(column_type, "impl_instance", column_type).python_type  # see through TypeDecorators
    except (AttributeError, NotImplementedError):
        expected = object
    if expected is object:
        return not isinstance(value, (list, dict))
    if expected is datetime:
        return isinstance(value, datetime) and value.tzinfo is not None
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
    return isinstance(value, expected)


def page_request(
    keys: Sequence[SortKey], first: int | None, after: str | None, last: int | None, before: str | None,
) -> PageRequest:
    settings = get_settings()
    for name, size in (("first", first), ("last", last)):
        if size is not None and (size < 0 or size > settings.max_page_size):
            raise DomainError(
                ErrorCode.VALIDATION, f"'{name}' must be between 0 and {settings.max_page_size}", [name]
            )
    if first is None and last is None:
        first = settings.default_page_size
    return PageRequest(
        first=first,
        after=decode_cursor(after, keys, "after") if after else None,
        last=last,
        before=decode_cursor(before, keys, "before") if before else None,
    )
