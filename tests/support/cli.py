"""Running the `relate` CLI inside the test process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from server.cli import app as cli_app
from server.settings import get_settings


def relate(*args: str) -> Result:
    """Run `relate ARGS` in this process; stdout and stderr are kept apart."""
    return CliRunner().invoke(cli_app, list(args), catch_exceptions=False)


async def arelate(*args: str) -> Result:
    """`relate` from async code: the CLI runs its own event loop, so give it a thread."""
    return await asyncio.to_thread(relate, *args)


def demo_database(path: Path) -> str:
    """`relate migrate` and `relate seed --demo` into a SQLite file; its URL."""
    url = f"sqlite+aiosqlite:///{path}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RELATE_DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            for command in (("migrate",), ("seed", "--demo")):
                result = relate(*command)
                assert result.exit_code == 0, result.stderr
        finally:
            get_settings.cache_clear()
    return url
