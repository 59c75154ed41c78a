"""The rich filter's meaning (R-QRY-1), in Python: what the SQL translator must agree with.

Rows are plain dicts keyed by filter field names (ids as global ids, times aware); a
relation's rows come from `related(entity, name, row)`, already narrowed to the rows the
viewer may read. Written from docs/api.md, not from the translator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


def matches(entity: str, flt: Mapping[str, Any], row: Mapping[str, Any], related: Related) -> bool:
    for key, value in flt.items():
        if key == "and":
            ok = all(matches(entity, f, row, related) for f in value)
        elif key == "or":
            ok = any(matches(entity, f, row, related) for f in value)
        elif key == "not":
            ok = not matches(entity, value, row, related)
        elif key in RELATIONS.get(entity, {}):
            target = RELATIONS[entity][key]
            ok = any(matches(target, value, r, related) for r in related(entity, key, row))
        else:
            ok = all(condition(op, row[key], given) for op, given in value.items())
        if not ok:
            return False
    return True
