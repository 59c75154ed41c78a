"""records indexed for the common rich filters (R-QRY-1)

Lists filter records of one type by name or industry (case ignored, so on lower(value))
and by creation time ("created this month"). Each index leads with the type, which every
list's read predicate fixes, so these conditions are index range scans, not reads of
every record of the type. SQLite cannot reflect an index on an expression: a later
batch migration that rebuilds `records` must create the two lower() ones again.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-07 15:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_records_type_name_lower', 'records', ['type', sa.func.lower(sa.text('name'))], unique=False)
    op.create_index('ix_records_type_industry_lower', 'records', ['type', sa.func.lower(sa.text('industry'))],
                    unique=False)
    op.create_index('ix_records_type_created_on', 'records', ['type', 'created_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_records_type_created_on', table_name='records')
    op.drop_index('ix_records_type_industry_lower', table_name='records')
    op.drop_index('ix_records_type_name_lower', table_name='records')
