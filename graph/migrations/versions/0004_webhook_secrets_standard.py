"""webhook secrets in the Standard Webhooks form

Deliveries are now signed the Standard Webhooks way, keyed with the bytes a
`whsec_<base64>` secret encodes. Secrets issued before were `whsec_` and URL-safe text,
and their key was that text's UTF-8 bytes. Each is rewritten as `whsec_` + the standard
base64 of those same bytes: the key does not change, so receivers keep their secret
(docs/webhooks.md shows how to hand it to a Standard Webhooks library). Downgrading
turns them back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 11:40:00.000000
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX = 'whsec_'
webhooks = sa.table('webhooks', sa.column('id', sa.Uuid()), sa.column('secret', sa.String(200)))


def _is_standard(secret: str) -> bool:
    try:
        return secret.startswith(PREFIX) and bool(base64.b64decode(secret[len(PREFIX):], validate=True))
    except (binascii.Error, ValueError):
        return False


def _rewrite(convert) -> None:  # type: ignore[no-untyped-def]
    connection = op.get_bind()
    for row in connection.execute(sa.select(webhooks.c.id, webhooks.c.secret)).all():
        new = convert(row.secret)
        if new != row.secret:
            connection.execute(sa.update(webhooks).where(webhooks.c.id == row.id).values(secret=new))


def upgrade() -> None:
    # Legacy secrets (token_urlsafe text: 43 characters, never valid padded base64) only.
    _rewrite(lambda s: s if _is_standard(s) else PREFIX + base64.b64encode(s.encode()).decode())


def downgrade() -> None:
    def back(secret: str) -> str:
        try:
            decoded = base64.b64decode(secret[len(PREFIX):], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return secret
        return decoded if decoded.startswith(PREFIX) else secret
    _rewrite(back)
