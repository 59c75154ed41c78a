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

from server.json_logs import JsonFormatter, install_request_id_factory
from server.settings import get_settings

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
STRAWBERRY_EXECUTION = "strawberry.execution"


class DropGraphQLErrors(logging.Filter):
    """Drops Strawberry's per-error records (their message is the GraphQLError itself)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not isinstance(record.msg, GraphQLError)


def configure_logging() -> None:
    """Idempotent: safe to call once per process, or again.

    `RELATE_LOG_FORMAT=json` (the default) puts one JSON object per line on the console
    handlers, uvicorn's included; `text` keeps plain lines. Both carry the request id."""
    settings = get_settings()
    install_request_id_factory()
    logging.basicConfig(level=settings.log_level.upper(), format=FORMAT)
    if settings.log_format == "json":
        loggers = [logging.getLogger(), *(logging.getLogger(n) for n in UVICORN_LOGGERS)]
        for handler in (h for lg in loggers for h in lg.handlers):
            if type(handler) is logging.StreamHandler:  # not test or file handlers someone else set
                handler.setFormatter(JsonFormatter())
    execution = logging.getLogger(STRAWBERRY_EXECUTION)
    if not any(isinstance(f, DropGraphQLErrors) for f in execution.filters):
        execution.addFilter(DropGraphQLErrors())
