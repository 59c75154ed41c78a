"""Automatic persisted queries, in Apollo's protocol (R-WEB-3).

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": <hex>}` and no
query. If this process knows the hash, the query it stands for runs; if not, the answer
is the error Apollo clients look for, `PersistedQueryNotFound` with code
`PERSISTED_QUERY_NOT_FOUND` (HTTP 200, as Apollo Server sends it, so every client version
reads it), and the client sends the query again with its hash, which registers it. A
query whose hash does not match is refused and not registered.

The registry is per process and bounded (least recently used out): a miss costs a client
one extra round trip, never a wrong answer, so nothing needs to be shared between
processes or survive a restart.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

SUPPORTED_VERSION = 1
# A document longer than this is run but not remembered (bounds the registry's memory).
MAX_REMEMBERED_CHARS = 100_000
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True, slots=True)
class PersistedQueryProblem:
    """Why a persisted-query request cannot run: the HTTP status, message and code."""

    status: int
    message: str
    code: str


NOT_FOUND = PersistedQueryProblem(200, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
HASH_MISMATCH = PersistedQueryProblem(400, "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH")
UNSUPPORTED_VERSION = PersistedQueryProblem(400, "Unsupported persisted query version", "BAD_REQUEST")
MALFORMED = PersistedQueryProblem(
    400, "extensions.persistedQuery needs a version and a sha256Hash of 64 hex digits", "BAD_REQUEST")


def query_hash(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


class PersistedQueries:
    """Hash → document, at most `max_entries` of them."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._documents: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._documents)

    def resolve(self, operation: dict[str, Any]) -> dict[str, Any] | PersistedQueryProblem:
        """The operation with its query filled in (registering a new one), or the problem.
        Operations without `extensions.persistedQuery` come back as they are."""
        extensions = operation.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is None:
            return operation
        if not isinstance(persisted, dict):
            return MALFORMED
        if persisted.get("version") != SUPPORTED_VERSION:
            return UNSUPPORTED_VERSION
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _SHA256_HEX.match(digest):
            return MALFORMED
        digest = digest.lower()
        query = operation.get("query")
        if isinstance(query, str):
            if query_hash(query) != digest:
                return HASH_MISMATCH
            self._remember(digest, query)
            return operation
        known = self._documents.get(digest)
        if known is None:
            return NOT_FOUND
        self._documents.move_to_end(digest)
        return {**operation, "query": known}

    def _remember(self, digest: str, query: str) -> None:
        if self.max_entries <= 0 or len(query) > MAX_REMEMBERED_CHARS:
            return
        self._documents[digest] = query
        self._documents.move_to_end(digest)
        while len(self._documents) > self.max_entries:
            self._documents.popitem(last=False)
