"""activities by owner and creation time

"My activities" ordered by `createdOn` (R-VIEW-1) read every activity of the owner and
sorted them for one page; with this index the page is a range scan that stops after it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_owner_id_created_on', ['owner_id', 'created_on', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_owner_id_created_on')
