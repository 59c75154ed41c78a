"""Logging set-up: one line per record on stderr, level from RELATE_LOG_LEVEL."""

from __future__ import annotations

import logging

from server.settings import get_settings


def configure_logging() -> None:
    logging.basicConfig(
        level=get_settings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
