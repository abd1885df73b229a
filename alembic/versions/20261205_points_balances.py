"""points balances: a running total per member, filled from the ledger

Revision ID: 3c1f0b7a9d52
Revises: 76b72059c6a4
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3c1f0b7a9d52'
down_revision: str | None = '76b72059c6a4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('points_balances',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_balances_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_points_balances'))
    )
    with op.batch_alter_table('points_balances', schema=None) as batch_op:
        batch_op.create_index('ix_points_balances_total', ['total'], unique=False)
    op.execute(
        "INSERT INTO points_balances (member_id, total) "
        "SELECT member_id, SUM(delta) FROM points_entries GROUP BY member_id"
    )


def downgrade() -> None:
    with op.batch_alter_table('points_balances', schema=None) as batch_op:
        batch_op.drop_index('ix_points_balances_total')
    op.drop_table('points_balances')
