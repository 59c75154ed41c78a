"""records indexed for the common rich filters (R-QRY-1)

Lists filter records of one type by name or industry, ignoring case, so on lower(value).
Each index leads with the type, which every list's read predicate fixes, so `eq` and `in`
on them are index look-ups, not reads of every record of the type. (An index on
(type, created_on) was tried and left out: without statistics SQLite then chose it for
`type = ?` over the lower(email) index, and an email look-up became a scan.) SQLite
cannot reflect an index on an expression: a later batch migration that rebuilds
`records` must create these two again.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-07 15:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_records_name_lower', 'records', [sa.func.lower(sa.text('name'))], unique=False)
    op.create_index('ix_records_industry_lower', 'records', [sa.func.lower(sa.text('industry'))], unique=False)


def downgrade() -> None:
    op.drop_index('ix_records_industry_lower', table_name='records')
    op.drop_index('ix_records_name_lower', table_name='records')
