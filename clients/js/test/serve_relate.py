"""A real Relate server for the TypeScript tests: a fresh, migrated and seeded SQLite
database in the directory given, served by uvicorn on a free port of 127.0.0.1.

Prints one JSON line, {"base": "http://127.0.0.1:<port>", "token": <sales1's token>},
once it accepts connections, then serves until its stdin closes (the test ending, even
by a crash, ends the server too).

Usage: python serve_relate.py WORKDIR   (with Relate's virtualenv python, from any directory)
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402

from graph.commands.setup import ensure_organisation  # noqa: E402
from graph.commands.tokens import create_token  # noqa: E402
from graph.db import Database  # noqa: E402
from graph.migrate import upgrade  # noqa: E402
from graph.models import utcnow  # noqa: E402
from graph.seed import seed_demo  # noqa: E402
from server.app import create_app  # noqa: E402
from server.settings import Settings  # noqa: E402

USER = "sales1@demo.relate"


async def prepare(settings: Settings) -> str:
    upgrade(settings.database_url)
    db = Database.connect(settings.database_url)
    try:
        async with db.unit_of_work() as session:
            await ensure_organisation(session, attachment_max_bytes=settings.attachment_max_bytes,
                                      blocked_extensions=settings.attachment_blocked_extensions)
        async with db.unit_of_work() as session:
            await seed_demo(session)
        async with db.unit_of_work() as session:
            return await create_token(session, USER, utcnow(), "client tests")
    finally:
        await db.dispose()


async def main(workdir: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{workdir / 'relate.db'}",
                        file_store_dir=str(workdir / "files"), log_level="WARNING", log_format="text",
                        rate_limit_per_second=0)
    token = await prepare(settings)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), lifespan="on", log_level="warning",
                                           ws="websockets-sansio"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if serving.done():
            serving.result()
            raise SystemExit("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    print(json.dumps({"base": f"http://127.0.0.1:{port}", "token": token}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the test closes it
    server.should_exit = True
    await serving


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]).resolve()))
