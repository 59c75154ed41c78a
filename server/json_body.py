"""What a GraphQL request's JSON must be before Strawberry reads it.

Strawberry decodes the body with the standard library and then calls `.get` on it, so a body
that is not UTF-8, nests a thousand levels (a RecursionError), or is JSON but no object
(`null`, `"x"`, `123`) used to end in a plain-text 500. These checks run first and name the
problem instead; anything they let through Strawberry can parse. Deep nesting is refused at
`RELATE_MAX_JSON_DEPTH` (no input of the schema nests more than a few levels): decoding
and, later, coercing variables recurse once per level.

An array is left to the view (a batch, when batching is on) as long as it holds objects.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

OBJECT_EXPECTED = ('the request body must be a JSON object such as {"query": "{ viewer { roles } }", '
                   '"variables": {}}')
# Query-string parameters a GET request carries JSON in.
JSON_PARAMETERS = ("variables", "extensions")


def nested_deeper_than(value: object, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels (iterative: no recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def json_problem(raw: bytes, max_depth: int, what: str = "the request body") -> tuple[str, object]:
    """`("", value)` when `raw` is usable JSON, else `(why not, None)`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{what} is not valid UTF-8 (byte {exc.start})", None
    try:
        # The standard library, like the view: it lets a lone surrogate escape through (orjson
        # would not), which the field checks then refuse as VALIDATION naming the field.
        value = json.loads(text)
    except RecursionError:
        return f"{what} nests more than {max_depth} levels", None
    except json.JSONDecodeError as exc:
        return f"{what} is not valid JSON ({exc.msg} at character {exc.pos})", None
    if max_depth > 0 and nested_deeper_than(value, max_depth):
        return f"{what} nests more than {max_depth} levels", None
    return "", value


def body_problem(raw: bytes, max_depth: int) -> str:
    """Why a POSTed JSON body cannot be a GraphQL request, or "" when it can."""
    problem, value = json_problem(raw, max_depth)
    if problem:
        return problem
    if isinstance(value, dict):
        return ""
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return ""
    return OBJECT_EXPECTED


def query_string_problem(query_string: bytes, max_depth: int) -> str:
    """Why a GET request's JSON parameters are unusable, or ""."""
    try:
        pairs = parse_qsl(query_string.decode("latin-1"), errors="strict")
    except (UnicodeDecodeError, ValueError):
        return "the query string is not valid"
    for name, text in pairs:
        if name in JSON_PARAMETERS and text:
            problem, value = json_problem(text.encode(), max_depth, f"'{name}'")
            if problem:
                return problem
            if not (value is None or isinstance(value, dict)):
                return f"'{name}' must be a JSON object"
    return ""
