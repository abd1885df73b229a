"""board indexes: points balances by (total desc, member), roster entries by (org, member)

Revision ID: 9d4e2b7c1a05
Revises: 7b3d5f2a9c14
Create Date: 2026-12-05 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9d4e2b7c1a05'
down_revision: str | None = '7b3d5f2a9c14'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('points_balances', schema=None) as batch_op:
        batch_op.drop_index('ix_points_balances_total')
        batch_op.create_index('ix_points_balances_board', [sa.text('total DESC'), 'member_id'],
                              unique=False)
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.create_index('ix_roster_entries_org_id_member_id', ['org_id', 'member_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_entries_org_id_member_id')
    with op.batch_alter_table('points_balances', schema=None) as batch_op:
        batch_op.drop_index('ix_points_balances_board')
        batch_op.create_index('ix_points_balances_total', ['total'], unique=False)
