"""The rich filter's meaning (R-QRY-1), in Python: what the SQL translator must agree with.

Rows are plain dicts keyed by filter field names (ids as global ids, times aware); a
relation's rows come from `related(entity, name, row)`, already narrowed to the rows the
viewer may read. Written from docs/api.md, not from the translator.

Custom fields (R-QRY-2): a row's values are `row["custom"]` (name → typed value, None when
missing), their types `custom_types[entity]`; a filter's `custom_fields` holds
CustomFieldConditions as GraphQL takes them (values as text), read per docs/custom-fields.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

Related = Callable[[str, str, Mapping[str, Any]], Iterable[Mapping[str, Any]]]

RELATIONS = {
    "ACCOUNT": {"contacts": "CONTACT", "opportunities": "OPPORTUNITY", "cases": "CASE"},
    "CONTACT": {"account": "ACCOUNT"},
    "ACTIVITY": {"regarding": "RECORD"},
    "TIMELINE": {"activity": "ACTIVITY"},
}


def _low(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def condition(op: str, stored: Any, given: Any) -> bool:
    """One operator on one stored value (None: missing). Strings ignore case."""
    if op == "is_null":
        return (stored is None) == given
    if op == "ne":
        return stored is None or _low(stored) != _low(given)
    if op == "not_in":
        return stored is None or _low(stored) not in [_low(g) for g in given]
    if stored is None:
        return False
    if op == "eq":
        return _low(stored) == _low(given)
    if op == "in":
        return _low(stored) in [_low(g) for g in given]
    if op == "contains":
        return given.lower() in stored.lower()
    if op == "starts_with":
        return stored.lower().startswith(given.lower())
    return {"lt": stored < given, "lte": stored <= given, "gt": stored > given, "gte": stored >= given}[op]


def _custom_value(kind: str, text: str) -> Any:
    """A condition's text as the field's type reads it (choices ignore case)."""
    if kind == "NUMBER":
        return int(text)
    if kind == "DECIMAL":
        return Decimal(text)
    if kind == "DATE":
        return date.fromisoformat(text)
    if kind == "BOOLEAN":
        return text.strip().casefold() == "true"
    return text.casefold() if kind in ("CHOICE", "MULTI_CHOICE") else text


def custom_condition(kind: str, stored: Any, given: Mapping[str, Any]) -> bool:
    """One CustomFieldCondition on one stored value (None: missing)."""
    op = given.get("operator", "EQ")
    if op == "IS_NULL":
        return (stored is None) == ((given.get("value") or "true").strip().casefold() == "true")
    wanted = ([_custom_value(kind, v) for v in given["values"]] if op in ("IN", "NOT_IN")
              else _custom_value(kind, given["value"]))
    if kind in ("CHOICE", "MULTI_CHOICE") and stored is not None:
        stored = [s.casefold() for s in stored] if kind == "MULTI_CHOICE" else stored.casefold()
    if kind == "MULTI_CHOICE":
        chosen = set(stored or ()) & set(wanted if isinstance(wanted, list) else [wanted])
        return bool(chosen) == (op in ("EQ", "IN"))
    if op == "NE":
        return stored is None or stored != wanted
    if op == "NOT_IN":
        return stored is None or stored not in wanted
    if stored is None:
        return False
    if op == "EQ":
        return stored == wanted
    if op == "IN":
        return stored in wanted
    if op == "CONTAINS":
        return wanted.strip().lower() in stored.lower()
    if op == "STARTS_WITH":
        return stored.lower().startswith(wanted.strip().lower())
    return {"LT": stored < wanted, "LTE": stored <= wanted, "GT": stored > wanted, "GTE": stored >= wanted}[op]


def matches(entity: str, flt: Mapping[str, Any], row: Mapping[str, Any], related: Related,
            custom_types: Mapping[str, Mapping[str, str]] | None = None) -> bool:
    for key, value in flt.items():
        if key == "and":
            ok = all(matches(entity, f, row, related, custom_types) for f in value)
        elif key == "or":
            ok = any(matches(entity, f, row, related, custom_types) for f in value)
        elif key == "not":
            ok = not matches(entity, value, row, related, custom_types)
        elif key == "custom_fields":
            types = (custom_types or {})[entity]
            ok = all(custom_condition(types[c["name"]], row["custom"][c["name"]], c) for c in value)
        elif key in RELATIONS.get(entity, {}):
            target = RELATIONS[entity][key]
            ok = any(matches(target, value, r, related, custom_types) for r in related(entity, key, row))
        else:
            ok = all(condition(op, row[key], given) for op, given in value.items())
        if not ok:
            return False
    return True
