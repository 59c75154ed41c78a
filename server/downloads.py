"""`GET /files/{attachment id}`: stream an attachment's bytes to a viewer who may read it.

The same bearer token as the API. A missing attachment and one the viewer may not read
get the same 404 (existence is not leaked). The stored, sniffed content type is sent with
`X-Content-Type-Options: nosniff` and `Content-Disposition: attachment`, so a browser
saves the file instead of rendering it on our origin.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from graph.db import Database
from graph.files import FileStore
from graph.queries.notes import readable_attachment
from resolvers.ids import parse_global_id
from server.auth import authenticate, bearer_token
from server.settings import Settings

log = logging.getLogger("relate.files")


def content_disposition(file_name: str) -> str:
    """RFC 6266: an ASCII fallback for old clients, and the exact name as UTF-8."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in file_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _not_found() -> Response:
    return JSONResponse({"error": "not found", "code": "NOT_FOUND"}, status_code=404)


def download_route(app_state: Any, settings: Settings) -> Route:
    store = FileStore(settings.file_store_dir)

    async def download(request: Request) -> Response:
        db: Database = app_state.db
        viewer = await authenticate(db, bearer_token(request.headers.get("authorization")),
                                    getattr(app_state, "identity", None))
        if viewer is None:
            return JSONResponse(
                {"error": "a valid bearer token is required (Authorization: Bearer <token>)",
                 "code": "UNAUTHENTICATED"},
                status_code=401, headers={"WWW-Authenticate": "Bearer"},
            )
        parsed = parse_global_id(request.path_params["attachment_id"])
        if parsed is None or parsed[0] != "Attachment":
            return _not_found()
        async with db.read() as session:
            row = await readable_attachment(session, viewer.scope, parsed[1])
        if row is None:
            return _not_found()
        path = store.open_path(row.storage_key)
        if path is None:
            log.error("attachment %s has no bytes at %s", row.id, row.storage_key)
            return _not_found()
        return FileResponse(
            path, media_type=row.content_type,
            headers={
                "Content-Disposition": content_disposition(row.file_name),
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, no-store",
                "ETag": f'"{row.sha256}"',
            },
        )

    return Route("/files/{attachment_id}", download, methods=["GET"])
