"""Structured logs: one JSON object per line, each carrying the request id it belongs to.

Every log record gets a `request_id` attribute ("-" outside a request, null in JSON) from the request
context (server/request_scope.py) through a record factory, so the id is there whichever
logger or handler the record goes through: Relate's own, uvicorn's access log, pytest's.
The same id is in the `X-Request-Id` response header and, for a masked bug, in the
error's `extensions.requestId`, next to `errorId`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from server.request_scope import current_request_id

# The attributes every LogRecord has; anything else was passed with `extra=` and is kept.
# (`color_message` is uvicorn's copy of the message with terminal colours: not for a log file.)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "color_message"}
_installed = False


def install_request_id_factory() -> None:
    """Idempotent: wrap the current record factory once per process."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if getattr(record, "request_id", "-") == "-" else record.request_id,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                document[key] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        return orjson.dumps(document, default=str).decode()
