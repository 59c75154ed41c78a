"""organisation administration: unit deactivation and team roles

Business units can be deactivated (R-ADM-3) and teams hold roles that apply to their
members on what the team owns (R-ADM-4).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 11:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
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


def downgrade() -> None:
    op.drop_table('team_roles')
    with op.batch_alter_table('business_units') as batch:
        batch.drop_column('is_active')
