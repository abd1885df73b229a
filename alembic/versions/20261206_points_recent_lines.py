"""points entries: a member's latest lines indexed with their id, so that 积分 reads
the last few without sorting the member's whole ledger

Revision ID: 9c3e51d7a8f2
Revises: 4b5eb72c937e
Create Date: 2026-12-06 07:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '9c3e51d7a8f2'
down_revision: str | None = '4b5eb72c937e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_points_entries_member_id_created_at_id', 'points_entries',
                    ['member_id', 'created_at', 'id'], unique=False)
    op.drop_index('ix_points_entries_member_id_created_at', table_name='points_entries')


def downgrade() -> None:
    op.create_index('ix_points_entries_member_id_created_at', 'points_entries',
                    ['member_id', 'created_at'], unique=False)
    op.drop_index('ix_points_entries_member_id_created_at_id', table_name='points_entries')
