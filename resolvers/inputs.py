"""Turning GraphQL inputs into the plain values `graph` commands take."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import strawberry

from resolvers.ids import decode_id, parse_global_id

ADDRESS_FIELDS = {"line": "address_line", "city": "city", "postal_code": "postal_code", "country": "country"}


def given(input_obj: Any, renames: Mapping[str, str] | None = None,
          ids: Mapping[str, Collection[str]] | None = None,
          skip: Collection[str] = ()) -> dict[str, Any]:
    """The fields a client actually sent (UNSET dropped), with ids decoded and names mapped.

    `ids` maps a field to the global-id types it accepts; the input path of a bad id is
    reported as ["input", <camelCase name>].
    """
    renames = renames or {}
    ids = ids or {}
    values: dict[str, Any] = {}
    for name, value in vars(input_obj).items():
        if value is strawberry.UNSET or name in skip:
            continue
        if name == "address":
            for sub, column in ADDRESS_FIELDS.items():
                values[column] = getattr(value, sub) if value is not None else None
            continue
        if name in ids and value is not None:
            value = decode_id(value, ids[name], ("input", _camel(name)))
        values[renames.get(name, name)] = value
    return values


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def decode_optional(global_id: str | None, types: Collection[str] | None, field: Sequence[str]) -> Any:
    return None if global_id is None else decode_id(global_id, types, field)


def decode_principal(global_id: str, field: Sequence[str]) -> tuple[str, Any]:
    """("user" | "team", uuid) from a User or Team id: commands refuse a user's id given as a team's."""
    raw = decode_id(global_id, {"User", "Team"}, field)
    parsed = parse_global_id(global_id)
    assert parsed is not None  # decode_id refused anything else
    return parsed[0].lower(), raw
