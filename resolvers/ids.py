"""Relay global ids: base64("Type:uuid"). Opaque to clients, checked on the way in."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Collection, Sequence

from graph.rules.errors import DomainError, ErrorCode


def to_global_id(type_name: str, raw_id: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{raw_id}".encode()).decode()


def parse_global_id(global_id: str) -> tuple[str, uuid.UUID] | None:
    try:
        decoded = base64.b64decode(global_id.encode(), validate=True).decode()
        type_name, _, raw = decoded.partition(":")
        return type_name, uuid.UUID(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def decode_id(global_id: str, types: Collection[str] | None, field: Sequence[str]) -> uuid.UUID:
    """The uuid inside a global id of one of `types`, else a VALIDATION error on `field`."""
    parsed = parse_global_id(global_id)
    if parsed is None:
        raise DomainError(ErrorCode.VALIDATION, f"'{global_id}' is not a Relate id", field)
    type_name, raw = parsed
    if types is not None and type_name not in types:
        wanted = " or ".join(sorted(types))
        raise DomainError(ErrorCode.VALIDATION, f"expected the id of a {wanted}, got a {type_name} id", field)
    return raw


def decode_ids(global_ids: Sequence[str], types: Collection[str] | None, field: Sequence[str]) -> list[uuid.UUID]:
    return [decode_id(g, types, (*field, str(i))) for i, g in enumerate(global_ids)]
