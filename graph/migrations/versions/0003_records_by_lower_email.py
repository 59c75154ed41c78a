"""records by lower-cased email

Every look-up of a record by email ignores case (the `email` filter, matching tracked
mail to its parties, an import's duplicates), so it was `lower(email) = …` or `IN (…)`,
which an index on the column itself cannot answer: each one read the whole email index.
An import of 100,000 contacts spent a fifth of its time there. The index is now on
`lower(email)`, and the one on the column, then unused, is dropped.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_records_email_lower', 'records', [sa.func.lower(sa.text('email'))], unique=False)
    op.drop_index('ix_records_email', table_name='records')


def downgrade() -> None:
    op.create_index('ix_records_email', 'records', ['email'], unique=False)
    op.drop_index('ix_records_email_lower', table_name='records')
