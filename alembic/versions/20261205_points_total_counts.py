"""points total counts: members per total, for ranks, filled from the balances

Revision ID: 8a3d5f1c2e60
Revises: 5d1a8c3e7f20
Create Date: 2026-12-05 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8a3d5f1c2e60'
down_revision: str | None = '5d1a8c3e7f20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('points_total_counts',
    sa.Column('total', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('total', name=op.f('pk_points_total_counts'))
    )
    op.execute(
        "INSERT INTO points_total_counts (total, members) "
        "SELECT total, COUNT(*) FROM points_balances GROUP BY total"
    )


def downgrade() -> None:
    op.drop_table('points_total_counts')
