"""GraphQL multipart requests (the upload spec) over the real app, and a look at the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.support.client import Api

ADD_ATTACHMENT = """
mutation($input: AddAttachmentInput!) {
  addAttachment(input: $input) {
    errors { code message field }
    attachment { id fileName contentType size sha256 downloadUrl createdBy { ... on User { fullName } } }
    note { id attachmentCount }
    activity { id attachmentCount }
  }
}"""
PREFLIGHT = {"Apollo-Require-Preflight": "true"}


async def post_upload(api: Api, owner: dict[str, str], file_name: str, data: bytes, *, as_: str = "admin",
                      client_type: str = "application/octet-stream", preflight: bool = True) -> httpx.Response:
    """POST addAttachment as a multipart request; `owner` is {"noteId": …} or {"activityId": …}."""
    operations = {"query": ADD_ATTACHMENT, "variables": {"input": {"file": None, **owner}}}
    headers = {"Authorization": f"Bearer {api.tokens[as_]}", **(PREFLIGHT if preflight else {})}
    return await api.http.post(
        "/graphql", headers=headers,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]})},
        files={"0": (file_name, data, client_type)},
    )


async def upload(api: Api, owner: dict[str, str], file_name: str, data: bytes, *, as_: str = "admin",
                 client_type: str = "application/octet-stream") -> dict[str, Any]:
    """The addAttachment payload (errors kept)."""
    response = await post_upload(api, owner, file_name, data, as_=as_, client_type=client_type)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]["addAttachment"]


def stored_files(root: str | Path) -> list[Path]:
    """Every file under the store, temporary ones included: none may be left by a refusal."""
    base = Path(root)
    return sorted(p for p in base.rglob("*") if p.is_file()) if base.exists() else []
