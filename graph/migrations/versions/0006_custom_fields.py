"""custom fields: definitions, and their values on the record (R-QRY-2)

Values are a JSON object on the record (JSONB on PostgreSQL); each field's index is
created with the field (graph/commands/custom_fields.py), not here. Adding a column does
not rebuild the records table on SQLite, so its expression indexes are kept.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 15:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from graph.models.base import UTCDateTime

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('records', sa.Column('custom_fields', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                       nullable=True))
    op.create_table(
        'custom_field_definitions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('record_type', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('type', sa.String(length=20), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('choices', sa.JSON(), nullable=False),
        sa.Column('lookup_type', sa.String(length=20), nullable=True),
        sa.Column('index_name', sa.String(length=63), nullable=True),
        sa.Column('retired', sa.Boolean(), nullable=False),
        sa.Column('created_on', UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Uuid(), nullable=False),
        sa.Column('modified_on', UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['principals.id'],
                                name=op.f('fk_custom_field_definitions_created_by_id_principals')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_field_definitions')),
    )
    op.create_index(op.f('ix_custom_field_definitions_record_type'), 'custom_field_definitions',
                    ['record_type', 'name'], unique=True)


def downgrade() -> None:
    # Custom fields' own indexes are on the column: drop them before it.
    for (name,) in op.get_bind().execute(sa.text("SELECT index_name FROM custom_field_definitions "
                                                 "WHERE index_name IS NOT NULL")).all():
        op.drop_index(name, table_name='records')
    op.drop_index(op.f('ix_custom_field_definitions_record_type'), table_name='custom_field_definitions')
    op.drop_table('custom_field_definitions')
    # Plain DROP COLUMN (SQLite 3.35+), not a batch rebuild: reflecting `records` for one
    # warns about, and would lose, its expression indexes (lower(email), see 0003).
    op.drop_column('records', 'custom_fields')
