"""organisation administration: unit deactivation, team roles, record sharing

Business units can be deactivated (R-ADM-3), teams hold roles that apply to their
members on what the team owns (R-ADM-4), and a record can be shared with one user or
team (R-ADM-6): the read predicate finds a grant by its primary key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 11:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from graph.models.base import UTCDateTime

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('business_units') as batch:
        batch.add_column(sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        'team_roles',
        sa.Column('team_id', sa.Uuid(), nullable=False),
        sa.Column('role_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_team_roles_role_id_roles')),
        sa.ForeignKeyConstraint(['team_id'], ['principals.id'], name=op.f('fk_team_roles_team_id_principals')),
        sa.PrimaryKeyConstraint('team_id', 'role_id', name=op.f('pk_team_roles')),
    )
    op.create_table(
        'record_grants',
        sa.Column('record_id', sa.Uuid(), nullable=False),
        sa.Column('principal_id', sa.Uuid(), nullable=False),
        sa.Column('can_read', sa.Boolean(), nullable=False),
        sa.Column('can_write', sa.Boolean(), nullable=False),
        sa.Column('can_append', sa.Boolean(), nullable=False),
        sa.Column('can_assign', sa.Boolean(), nullable=False),
        sa.Column('can_share', sa.Boolean(), nullable=False),
        sa.Column('granted_on', UTCDateTime(), nullable=False),
        sa.Column('granted_by_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['granted_by_id'], ['principals.id'],
                                name=op.f('fk_record_grants_granted_by_id_principals')),
        sa.ForeignKeyConstraint(['principal_id'], ['principals.id'],
                                name=op.f('fk_record_grants_principal_id_principals')),
        sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_record_grants_record_id_records')),
        sa.PrimaryKeyConstraint('record_id', 'principal_id', name=op.f('pk_record_grants')),
    )
    op.create_index('ix_record_grants_principal_id', 'record_grants', ['principal_id', 'record_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_record_grants_principal_id', table_name='record_grants')
    op.drop_table('record_grants')
    op.drop_table('team_roles')
    with op.batch_alter_table('business_units') as batch:
        batch.drop_column('is_active')
