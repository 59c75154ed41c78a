"""`relate …`: serve, migrate, seed demo data, issue tokens, import records, export the schema."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from graph.db import Database, async_url
from graph.rules.errors import DomainError
from server.database_choice import DatabaseChoice, database_choice
from server.settings import get_settings

HELP = "Relate: a customer-engagement GraphQL backend."


def _chosen_database() -> DatabaseChoice:
    import os

    return database_choice(get_settings(), dict(os.environ))


class _HelpNamesTheDatabase(typer.core.TyperGroup):
    """`relate --help` says which database the commands would use and why, computed when the
    help is shown (not at import), so it follows RELATE_DATABASE_URL and .env."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.help = f"{HELP}\n\nDatabase: {escape(_chosen_database().describe())}."
        super().format_help(ctx, formatter)


app = typer.Typer(help=HELP, no_args_is_help=True, cls=_HelpNamesTheDatabase)
token_app = typer.Typer(help="Bearer tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
admin_app = typer.Typer(help="The organisation's administrators.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


def _printable(database_url: str) -> str:
    return make_url(async_url(database_url)).render_as_string(hide_password=True)


@contextlib.contextmanager
def _plain_errors() -> Iterator[None]:
    """Expected failures end a command with one readable line and exit 1, not a traceback."""
    try:
        yield
    except DomainError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except (DBAPIError, OSError) as exc:  # unreachable server, missing database or tables
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        where = _printable(get_settings().database_url)
        err.print(f"[red]error:[/red] database {escape(where)}: {escape(reason)}")
        if "no such table" in reason or ("relation" in reason and "does not exist" in reason):
            err.print("hint: run `relate migrate` first")
        raise typer.Exit(1) from None


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        sys.stdout.write(f"relate {version('relate')}\n")
        raise typer.Exit()


@app.callback()
def main(
    show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit."),
) -> None:
    """Relate: a customer-engagement GraphQL backend."""


def _need_existing_database() -> None:
    """SQLite creates a missing file on first connect: refuse instead, so a command run from
    the wrong directory does not leave an empty relate.db behind and report a puzzling error."""
    choice = _chosen_database()
    missing = choice.missing_sqlite_file()
    if missing is not None:
        err.print(f"[red]error:[/red] no database at {escape(str(missing.resolve()))}: "
                  f"the URL is {escape(choice.describe())}")
        err.print("hint: run `relate migrate` to create it, or point RELATE_DATABASE_URL at an existing one")
        raise typer.Exit(1)


def _with_session(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work` in one unit of work on the configured, existing database, committed if it returns."""
    _need_existing_database()

    async def run() -> T:
        settings = get_settings()
        db = Database.connect(settings.database_url, schema=settings.database_schema)
        try:
            async with db.unit_of_work() as session:
                return await work(session)
        finally:
            await db.dispose()

    with _plain_errors():
        return asyncio.run(run())


@app.command()
def migrate() -> None:
    """Bring the database schema up to date and make sure the built-in roles exist."""
    from graph.commands.setup import ensure_organisation
    from graph.migrate import current_revision, head_revision, upgrade

    settings = get_settings()
    schema = settings.database_schema
    choice = _chosen_database()
    with _plain_errors():
        if schema:
            asyncio.run(_create_schema(settings.database_url, schema))
        new_file = choice.missing_sqlite_file() is not None
        before = None if new_file else asyncio.run(current_revision(settings.database_url, schema))
        upgrade(settings.database_url, schema=schema)
    _with_session(lambda s: ensure_organisation(
        s, attachment_max_bytes=settings.attachment_max_bytes,
        blocked_extensions=settings.attachment_blocked_extensions))
    where = escape(choice.describe() + (f", schema {schema}" if schema else ""))
    head = head_revision()
    if new_file:
        err.print(f"[green]created a new database and migrated it to revision {head}[/green]: {where}")
    elif before is None:
        err.print(f"[green]migrated a new database to revision {head}[/green]: {where}")
    elif before != head:
        err.print(f"[green]migrated from revision {before} to {head}[/green]: {where}")
    else:
        err.print(f"[green]database is up to date (revision {head})[/green]: {where}")


async def _create_schema(database_url: str, schema: str) -> None:
    """RELATE_DATABASE_SCHEMA on PostgreSQL: the first migrate creates the schema."""
    db = Database.connect(database_url)
    try:
        if not db.is_sqlite:
            async with db.writer.begin() as conn:
                quoted = '"' + schema.replace('"', '""') + '"'
                await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
    finally:
        await db.dispose()


@app.command()
def seed(
    demo: bool = typer.Option(False, "--demo", help="Create the demo organisation of the README."),
) -> None:
    """Create demo data (once; a second run changes nothing)."""
    from graph.seed import seed_demo

    if not demo:
        err.print("nothing to do: pass --demo")
        raise typer.Exit(2)
    result = _with_session(seed_demo)
    if result.created:
        err.print(f"[green]demo organisation created[/green]: "
                  f"{result.accounts} accounts, {result.contacts} contacts")
    else:
        err.print("demo organisation already present")
    if result.history is not None:
        err.print(f"[green]demo history added[/green]: {result.history.activities} activities, "
                  f"{result.history.notes} notes, a sequence in progress (Import Sports, Chris Preston)")


@token_app.command("create")
def token_create(email: str, label: str = typer.Option(None, help="A note for yourself.")) -> None:
    """Issue a bearer token for a user; prints only the token."""
    from graph.commands.tokens import create_token
    from graph.models import utcnow

    token = _with_session(lambda s: create_token(s, email, utcnow(), label))
    sys.stdout.write(token + "\n")


@admin_app.command("create")
def admin_create(email: str, name: str = typer.Option(None, "--name", help="Full name of a new user.")) -> None:
    """Make EMAIL a system administrator (R-ADM-1): on an empty database the root business unit
    and the user are created; an existing user is given the role. Prints only a token."""
    from graph.commands.users import first_administrator
    from graph.models import utcnow

    made = _with_session(lambda s: first_administrator(s, email, name, utcnow()))
    what = "created" if made.created else "is now a system administrator"
    err.print(f"[green]{escape(made.user.email or email)} {what}[/green]; "
              "send the token as 'Authorization: Bearer <token>'")
    sys.stdout.write(made.token + "\n")


@token_app.command("revoke")
def token_revoke(token_or_id: str) -> None:
    """Revoke a token (give the token or its id); it stops working at once."""
    from graph.commands.tokens import revoke_token
    from graph.models import utcnow

    count = _with_session(lambda s: revoke_token(s, token_or_id, utcnow()))
    if not count:
        err.print("[red]no such active token[/red]")
        raise typer.Exit(1)
    err.print("revoked")


@app.command("demo-tokens")
def demo_tokens(
    base_url: str = typer.Option(None, "--base-url", help="Where the server listens (http://HOST:PORT): also "
                                                           "print a link to the demo page, signed in."),
) -> None:
    """Issue a fresh token for each demo user and print them."""
    from graph.commands.tokens import create_token
    from graph.demo_history import SELLER, demo_records
    from graph.models import utcnow
    from graph.seed import DEMO_USERS
    from resolvers.ids import to_global_id

    async def issue(session: Any) -> tuple[list[tuple[str, ...]], str | None]:
        rows = [(email, name, role, unit, await create_token(session, email, utcnow(), "demo"))
                for email, name, unit, role in DEMO_USERS]
        try:
            account, _ = await demo_records(session)
        except LookupError:  # the demo records were renamed or deleted: no link, tokens still
            return rows, None
        return rows, to_global_id("Account", account.id)

    table = Table(title="Demo users: send a token as the header 'Authorization: Bearer <token>'")
    for column in ("user", "name", "role", "unit", "token"):
        table.add_column(column, no_wrap=True)
    rows, record = _with_session(issue)
    for row in rows:
        table.add_row(*row)
    Console(width=180).print(table)
    if base_url and record:
        token = next(row[4] for row in rows if row[0] == SELLER)
        # The token goes in the fragment: browsers never send it to the server or to logs.
        link = f"{base_url.rstrip('/')}/demo#{urlencode({'token': token, 'record': record})}"
        sys.stdout.write(f"\nThe demo page, signed in as Sam Seller on Import Sports' timeline:\n  {link}\n\n")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, help="Worker processes; more than one needs a shared broker."),
    reload: bool = False,
) -> None:
    """Serve the API (GraphiQL at /graphql)."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and settings.broadcast_url.startswith("memory"):
        err.print("[red]--workers > 1 needs RELATE_BROADCAST_URL of redis:// or postgres://; "
                  "memory:// reaches one process only[/red]")
        raise typer.Exit(2)
    _need_existing_database()
    err.print(f"GraphiQL: http://{host}:{port}/graphql")
    uvicorn.run("server.main:app", host=host, port=port, workers=workers, reload=reload,
                log_level=settings.log_level.lower(), lifespan="on",
                ws_per_message_deflate=settings.ws_per_message_deflate)


@app.command("import-mail")
def import_mail(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="An .eml email or .ics calendar."),
    as_: str = typer.Option(..., "--as", help="Email of the user who tracks it."),
    regarding: str = typer.Option(None, help="Id (global or raw) of the record to link."),
    replies_only: bool = typer.Option(False, "--replies-only", help="Emails: save only replies to tracked mail."),
) -> None:
    """Track a real message file as if a mail-client add-in had saved it (R-TRACK-1)."""
    from graph.commands.mail_import import import_mail_as
    from graph.files import FileStore
    from graph.models import utcnow
    from resolvers.ids import parse_global_id, to_global_id

    parsed = parse_global_id(regarding) if regarding else None
    try:
        regarding_id = parsed[1] if parsed else uuid.UUID(regarding) if regarding else None
    except ValueError:
        err.print(f"[red]error:[/red] --regarding {escape(regarding)} is not an id")
        raise typer.Exit(2) from None
    store = FileStore(get_settings().file_store_dir)
    items = _with_session(lambda s: import_mail_as(s, as_, store, file.name, file.read_bytes(), utcnow(),
                                                   regarding_id=regarding_id, only_replies=replies_only))
    names = {"EMAIL": ("email", "Email"), "APPOINTMENT": ("meeting", "Appointment")}
    for item in items:
        result, row = item.result, item.result.activity
        kind, type_name = names[item.kind]
        about = f" {to_global_id(type_name, row.id)}: {row.subject}" if row else ""
        sys.stdout.write(f"{result.outcome.lower().replace('_', ' ')} {kind}{about}\n")
        for name in result.skipped_inline:
            sys.stdout.write(f"  skipped inline image {name}\n")
        for refused in result.refused_files:
            sys.stdout.write(f"  refused attachment {refused.file_name}: {refused.message}\n")


@app.command("import")
def import_records(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="A .csv, .xlsx or .xml file of accounts or contacts."),
    type_: str = typer.Option(..., "--type", help="What each row is: contact or account."),
    as_: str = typer.Option(..., "--as", help="Email of the user who imports (and owns, unless --owner)."),
    map_: list[str] = typer.Option([], "--map", help="COLUMN=field fills field from COLUMN; COLUMN= ignores it. "
                                                    "Repeat for more columns."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, write nothing."),
    format_: str = typer.Option(None, "--format", help="csv, xlsx or xml (default: from the file name)."),
    owner: str = typer.Option(None, "--owner", help="Id (global or raw) of the user or team to own the records."),
) -> None:
    """Import accounts or contacts from a file (R-IMP-1, docs/import.md), with a progress bar.

    Exit status: 0 when the import ran (rows it could not import are listed), 1 when it was
    refused (a broken file, a wrong mapping, no permission: nothing was written) or stopped
    early, 2 for a wrong option.
    """
    from server.import_report import import_with_progress

    record_type = type_.strip().upper()
    fmt = format_.strip().upper() if format_ else None
    if record_type not in ("ACCOUNT", "CONTACT") or (fmt is not None and fmt not in ("CSV", "XLSX", "XML")):
        err.print("[red]error:[/red] --type is contact or account; --format is csv, xlsx or xml")
        raise typer.Exit(2)
    mapping = []
    for item in map_:
        column, sep, field = item.partition("=")
        if not sep or not column.strip():
            err.print(f"[red]error:[/red] --map {escape(item)}: write COLUMN=field (or COLUMN= to ignore it)")
            raise typer.Exit(2)
        mapping.append((column.strip(), field.strip() or None))
    owner_id = _id_option(owner, "--owner") if owner else None
    _need_existing_database()
    with _plain_errors():
        complete = asyncio.run(import_with_progress(
            file, record_type, as_, mapping=mapping or None, dry_run=dry_run, fmt=fmt, owner_id=owner_id))
    if not complete:
        raise typer.Exit(1)


def _id_option(value: str, option: str) -> uuid.UUID:
    from resolvers.ids import parse_global_id

    parsed = parse_global_id(value)
    try:
        return parsed[1] if parsed else uuid.UUID(value)
    except ValueError:
        err.print(f"[red]error:[/red] {option} {escape(value)} is not an id")
        raise typer.Exit(2) from None


@app.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL), as committed in schema.graphql."""
    from schema.build import export_sdl

    sys.stdout.write(export_sdl())


def _register_administration() -> None:
    from server.cli_admin import register

    register(app)


_register_administration()


if __name__ == "__main__":
    app()
