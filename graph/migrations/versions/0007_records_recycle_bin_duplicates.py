"""records: recycle bin, duplicate keys, external ids and merges

Records and activities can be deleted to a recycle bin (R-QRY-4: `deleted_on`), records
carry normalised keys the duplicate rules match on through indexes (R-QRY-3), an external
id to upsert by (R-QRY-5, unique per type where set) and, once merged, the survivor.

Plain ADD COLUMN (no batch rebuild of `records` on SQLite), so the expression index on
lower(email) stays as it is.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from graph.models.base import UTCDateTime
from graph.rules.duplicates import keys_of

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('records', sa.Column('external_id', sa.String(length=200), nullable=True))
    op.add_column('records', sa.Column('phone_key', sa.String(length=50), nullable=True))
    op.add_column('records', sa.Column('mobile_key', sa.String(length=50), nullable=True))
    op.add_column('records', sa.Column('name_key', sa.String(length=400), nullable=True))
    op.add_column('records', sa.Column('deleted_on', UTCDateTime(), nullable=True))
    op.add_column('records', sa.Column('deleted_by_id', sa.Uuid(), nullable=True))
    op.add_column('records', sa.Column('merged_into_id', sa.Uuid(), nullable=True))
    op.add_column('activities', sa.Column('deleted_on', UTCDateTime(), nullable=True))
    op.add_column('activities', sa.Column('deleted_by_id', sa.Uuid(), nullable=True))
    _fill_keys()
    op.create_index('ix_records_type_phone_key', 'records', ['type', 'phone_key'])
    op.create_index('ix_records_type_mobile_key', 'records', ['type', 'mobile_key'])
    op.create_index('ix_records_type_name_key', 'records', ['type', 'name_key'])
    op.create_index('ix_records_type_external_id', 'records', ['type', 'external_id'], unique=True)
    op.create_index('ix_records_deleted_on', 'records', ['deleted_on'])
    op.create_index('ix_activities_deleted_on', 'activities', ['deleted_on'])
    if op.get_bind().dialect.name == 'postgresql':
        # New columns have no statistics until autovacuum next analyzes the tables, which
        # adding a column does not trigger. Without them PostgreSQL guesses `deleted_on IS
        # NULL` is rare and reads every row through this index: the plain activities page
        # went from about 2 to 105 ms of database CPU at 1M activities (bench.compare).
        op.execute('ANALYZE records')
        op.execute('ANALYZE activities')


def _fill_keys() -> None:
    """Existing records get their keys, computed by the same rule as new ones."""
    connection = op.get_bind()
    records = sa.table('records', sa.column('id'), sa.column('type'), sa.column('name'), sa.column('phone'),
                       sa.column('mobile_phone'), sa.column('phone_key'), sa.column('mobile_key'),
                       sa.column('name_key'))
    rows = connection.execute(sa.select(records.c.id, records.c.type, records.c.name, records.c.phone,
                                        records.c.mobile_phone)).all()
    updates = []
    for record_id, record_type, name, phone, mobile in rows:
        keys = keys_of(record_type, {"name": name, "phone": phone, "mobile_phone": mobile})
        if any(keys.values()):
            updates.append({"rid": record_id, **keys})
    if updates:
        connection.execute(
            records.update().where(records.c.id == sa.bindparam('rid')).values(
                phone_key=sa.bindparam('phone_key'), mobile_key=sa.bindparam('mobile_key'),
                name_key=sa.bindparam('name_key')),
            updates,
        )


def downgrade() -> None:
    op.drop_index('ix_activities_deleted_on', table_name='activities')
    op.drop_index('ix_records_deleted_on', table_name='records')
    op.drop_index('ix_records_type_external_id', table_name='records')
    op.drop_index('ix_records_type_name_key', table_name='records')
    op.drop_index('ix_records_type_mobile_key', table_name='records')
    op.drop_index('ix_records_type_phone_key', table_name='records')
    # Plain DROP COLUMN (SQLite 3.35+), not a batch rebuild: reflecting `records` for one
    # would lose its expression index on lower(email).
    op.drop_column('activities', 'deleted_by_id')
    op.drop_column('activities', 'deleted_on')
    for column in ('merged_into_id', 'deleted_by_id', 'deleted_on', 'name_key', 'mobile_key', 'phone_key',
                   'external_id'):
        op.drop_column('records', column)
