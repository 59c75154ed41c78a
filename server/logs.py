"""Logging set-up for the server: one line per record on stderr, level from RELATE_LOG_LEVEL.

Every unexpected exception is logged once, by `relate.errors` (schema/build.py), with the
id the client sees in "internal error <id>", so a report can be matched to its traceback.
Strawberry also logs every GraphQL error, expected ones included (a missing token, a bad
cursor, a mistyped field), at ERROR with a traceback; those are answers to the client, not
faults of the server, and the real faults are already logged with their id, so its copy is
dropped.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError

from server.settings import get_settings

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
STRAWBERRY_EXECUTION = "strawberry.execution"


class DropGraphQLErrors(logging.Filter):
    """Drops Strawberry's per-error records (their message is the GraphQLError itself)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not isinstance(record.msg, GraphQLError)


def configure_logging() -> None:
    """Idempotent: safe to call once per process, or again."""
    logging.basicConfig(level=get_settings().log_level.upper(), format=FORMAT)
    execution = logging.getLogger(STRAWBERRY_EXECUTION)
    if not any(isinstance(f, DropGraphQLErrors) for f in execution.filters):
        execution.addFilter(DropGraphQLErrors())
