"""The operators of the rich filters (R-QRY-1), by kind of field, and the checks of their values.

Every leaf condition is two-valued (never NULL), so `not` in the translator is the exact
complement: a missing value fails every operator except `ne`, `not_in` and `is_null: true`.
Strings compare on lower(value). A new kind of field (a custom field's, say) is one more
entry in OPERATORS, and in VALUE_CHECKS when its values need checking.
"""

from __future__ import annotations

from collections.abc import Callable
import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, true

from graph.rules.errors import DomainError, ErrorCode
from graph.rules.records import MAX_FILTER_LENGTH, unusable_text

# Values in one `in` / `not_in` list.
MAX_VALUES = 200
MAX_NUMBER = 10**18

Path = tuple[str, ...]
Operator = Callable[[Any, Any, bool], ColumnElement[bool]]


# --- operators by kind ----------------------------------------------------------------------


def _present(column: Any, nullable: bool, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition`, false (never NULL) where the value is missing."""
    return and_(column.is_not(None), condition) if nullable else condition


def _absent_or(column: Any, nullable: bool, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition`, true where the value is missing."""
    return or_(column.is_(None), condition) if nullable else condition


def _is_null(column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
    if not nullable:
        return false() if value else true()
    return column.is_(None) if value else column.is_not(None)


def _compare(how: str) -> Operator:
    def operator(column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
        return _present(column, nullable, getattr(column, how)(value))
    return operator


def _eq(column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
    return _present(column, nullable, column == value)


def _ne(column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
    return _absent_or(column, nullable, column != value)


def _in(column: Any, values: Any, nullable: bool) -> ColumnElement[bool]:
    return _present(column, nullable, column.in_(list(values))) if values else false()


def _not_in(column: Any, values: Any, nullable: bool) -> ColumnElement[bool]:
    return _absent_or(column, nullable, column.not_in(list(values))) if values else true()


def _lowered(operator: Operator) -> Operator:
    """The operator on lower(column) with lower-cased values: strings ignore case."""
    def on_lower(column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
        value = [v.lower() for v in value] if isinstance(value, list) else value.lower()
        compared = operator(func.lower(column), value, False)
        if operator in (_ne, _not_in):
            return _absent_or(column, nullable, compared)
        return _present(column, nullable, compared)
    return on_lower


def _like(pattern: Callable[[str], str]) -> Operator:
    def operator(column: Any, value: str, nullable: bool) -> ColumnElement[bool]:
        escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return _present(column, nullable, func.lower(column).like(pattern(escaped), escape="\\"))
    return operator


EQUALITY: dict[str, Operator] = {"eq": _eq, "ne": _ne, "in": _in, "not_in": _not_in, "is_null": _is_null}
ORDERED: dict[str, Operator] = {
    "eq": _eq, "ne": _ne, "in": _in, "is_null": _is_null,
    "lt": _compare("__lt__"), "lte": _compare("__le__"), "gt": _compare("__gt__"), "gte": _compare("__ge__"),
}
STRING: dict[str, Operator] = {
    **{name: _lowered(op) for name, op in EQUALITY.items() if name != "is_null"},
    "is_null": _is_null,
    "contains": _like(lambda v: f"%{v}%"),
    "starts_with": _like(lambda v: f"{v}%"),
}
# Field kind → its operators. A kind's values are checked by VALUE_CHECKS before use.
OPERATORS: dict[str, dict[str, Operator]] = {
    "string": STRING,
    "number": ORDERED,
    "date": ORDERED,
    "datetime": ORDERED,
    "enum": EQUALITY,
    "id": EQUALITY,
}


# --- values ---------------------------------------------------------------------------------


def camel(name: str) -> str:
    """Paths in errors name the input as clients wrote it."""
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def problem(message: str, path: Path) -> DomainError:
    return DomainError(ErrorCode.VALIDATION, message, path)


def _check_string(value: Any, path: Path) -> None:
    if not isinstance(value, str):
        raise problem("expected text", path)
    why = unusable_text(value, MAX_FILTER_LENGTH)
    if why is not None:
        raise problem(f"text {why}", path)


def _check_datetime(value: Any, path: Path) -> None:
    if not isinstance(value, datetime):
        raise problem("expected a date and time", path)
    if value.tzinfo is None:
        raise problem("a date and time needs a time zone offset", path)
    try:
        value.astimezone(UTC)  # stored in UTC: 0001-01-01T00:00+01:00 has no UTC time
    except OverflowError:
        raise problem("the date and time is out of range", path) from None


def _check_date(value: Any, path: Path) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise problem("expected a date", path)


def _check_number(value: Any, path: Path) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise problem("expected a number", path)
    # Stored amounts have 18 digits at most; NaN and infinities compare with nothing.
    if not math.isfinite(value) or abs(value) >= MAX_NUMBER:
        raise problem(f"a number must be finite and below {MAX_NUMBER:.0e} in size", path)


VALUE_CHECKS: dict[str, Callable[[Any, Path], None]] = {
    "string": _check_string, "datetime": _check_datetime, "date": _check_date, "number": _check_number,
}


def checked(kind: str, operator: str, value: Any, path: Path) -> Any:
    if value is None:
        raise problem("give a value or leave the operator out (isNull asks for a missing value)", path)
    if operator == "is_null":
        if not isinstance(value, bool):
            raise problem("expected true or false", path)
        return value
    check = VALUE_CHECKS.get(kind)
    if operator in ("in", "not_in"):
        values = list(value)
        if len(values) > MAX_VALUES:
            raise problem(f"at most {MAX_VALUES} values in one list", path)
        for i, item in enumerate(values):
            if item is None:
                raise problem("a list of values cannot hold null (use isNull)", (*path, str(i)))
            if check is not None:
                check(item, (*path, str(i)))
        return values
    if check is not None:
        check(value, path)
    return value
