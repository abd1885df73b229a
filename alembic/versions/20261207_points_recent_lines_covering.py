"""points entries: a member's latest lines indexed with their activity and delta, so
that 积分 reads them from the index alone

Revision ID: 5e8a0c6d3f17
Revises: 9c3e51d7a8f2
Create Date: 2026-12-07 00:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '5e8a0c6d3f17'
down_revision: str | None = '9c3e51d7a8f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_points_entries_member_id_created_at_id_delta_activity',
                    'points_entries', ['member_id', 'created_at', 'id', 'delta', 'activity'],
                    unique=False)
    op.drop_index('ix_points_entries_member_id_created_at_id', table_name='points_entries')


def downgrade() -> None:
    op.create_index('ix_points_entries_member_id_created_at_id', 'points_entries',
                    ['member_id', 'created_at', 'id'], unique=False)
    op.drop_index('ix_points_entries_member_id_created_at_id_delta_activity',
                  table_name='points_entries')
