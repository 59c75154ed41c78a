"""`relate …`: serve, migrate, seed demo data, issue tokens, export the schema."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from graph.db import Database
from graph.rules.errors import DomainError
from server.settings import get_settings

app = typer.Typer(help="Relate: a customer-engagement GraphQL backend.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
err = Console(stderr=True)
T = TypeVar("T")


def _with_session(work: Callable[[Any], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database.connect(get_settings().database_url)
        try:
            async with db.unit_of_work() as session:
                return await work(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


@app.command()
def migrate() -> None:
    """Bring the database schema up to date and make sure the built-in roles exist."""
    from graph.commands.setup import ensure_organisation
    from graph.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    _with_session(lambda s: ensure_organisation(
        s, attachment_max_bytes=settings.attachment_max_bytes,
        blocked_extensions=settings.attachment_blocked_extensions))
    err.print("[green]database is up to date[/green]")


@app.command()
def seed(demo: bool = typer.Option(False, "--demo", help="Create the demo organisation of the README.")) -> None:
    """Create demo data (once; a second run changes nothing)."""
    from graph.seed import seed_demo

    if not demo:
        err.print("nothing to do: pass --demo")
        raise typer.Exit(2)
    result = _with_session(seed_demo)
    if result.created:
        err.print(f"[green]demo organisation created[/green]: {result.accounts} accounts, {result.contacts} contacts")
    else:
        err.print("demo organisation already present")


@token_app.command("create")
def token_create(email: str, label: str = typer.Option(None, help="A note for yourself.")) -> None:
    """Issue a bearer token for a user; prints only the token."""
    from graph.commands.tokens import create_token
    from graph.models import utcnow

    token = _with_session(lambda s: create_token(s, email, utcnow(), label))
    sys.stdout.write(token + "\n")


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
def demo_tokens() -> None:
    """Issue a fresh token for each demo user and print them."""
    from graph.commands.tokens import create_token
    from graph.models import utcnow
    from graph.seed import DEMO_USERS

    async def issue(session: Any) -> list[tuple[str, str, str]]:
        return [(email, role, await create_token(session, email, utcnow(), "demo"))
                for email, _name, _unit, role in DEMO_USERS]

    table = Table(title="Demo users: pass a token as 'Authorization: Bearer <token>'")
    for column in ("user", "role", "token"):
        table.add_column(column)
    for row in _with_session(issue):
        table.add_row(*row)
    Console(width=160).print(table)


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
    err.print(f"GraphiQL: http://{host}:{port}/graphql")
    uvicorn.run("server.main:app", host=host, port=port, workers=workers, reload=reload,
                log_level=settings.log_level.lower(), lifespan="on")


@app.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL), as committed in schema.graphql."""
    from schema.build import export_sdl

    sys.stdout.write(export_sdl())


if __name__ == "__main__":
    app()
