"""Which database the CLI would use, and where that choice came from.

A newcomer who runs `relate` in the wrong directory, or with a forgotten `.env`, should see
the database named before anything is written to it; and a command that needs existing
data must not quietly create an empty SQLite file (SQLite creates a file on first connect).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from graph.db import async_url
from server.settings import Settings

VARIABLE = "RELATE_DATABASE_URL"


@dataclass(frozen=True)
class DatabaseChoice:
    url: str
    source: str  # the variable, the .env file, or the default

    @property
    def printable(self) -> str:
        """The URL with any password hidden."""
        return make_url(async_url(self.url)).render_as_string(hide_password=True)

    def describe(self) -> str:
        return f"{self.printable} (from {self.source})"

    def sqlite_file(self) -> Path | None:
        """The SQLite file the URL names, or None (PostgreSQL, or an in-memory database)."""
        url = make_url(async_url(self.url))
        if not url.get_backend_name().startswith("sqlite") or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    def missing_sqlite_file(self) -> Path | None:
        """The SQLite file the URL names when it does not exist yet."""
        path = self.sqlite_file()
        return path if path is not None and not path.exists() else None


def database_choice(settings: Settings, environ: dict[str, str], env_file: Path = Path(".env")) -> DatabaseChoice:
    """Settings read the environment first, then `.env`, then the default: say which one won."""
    if any(name.upper() == VARIABLE for name in environ):
        return DatabaseChoice(settings.database_url, f"the environment variable {VARIABLE}")
    if env_file.is_file() and any((name or "").upper() == VARIABLE for name in dotenv_values(env_file)):
        return DatabaseChoice(settings.database_url, f"{VARIABLE} in {env_file.resolve()}")
    return DatabaseChoice(settings.database_url, f"the default; set {VARIABLE} to change it")
