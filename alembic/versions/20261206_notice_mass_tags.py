"""notice mass tags: each notice's own WeChat tag for its mass send, and the members left to it

Revision ID: 7b1e4f0c9a52
Revises: 2d72a4284f6b
Create Date: 2026-12-06 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '7b1e4f0c9a52'
down_revision: str | None = '2d72a4284f6b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mass_tag_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mass_tag_deleted_at',
                                      app.models.base.UTCDateTime(timezone=True), nullable=True))
    op.create_table('notice_mass_members',
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                            name=op.f('fk_notice_mass_members_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'],
                            name=op.f('fk_notice_mass_members_notice_id_notices'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('notice_id', 'member_id', name=op.f('pk_notice_mass_members'))
    )
    op.create_index(op.f('ix_notice_mass_members_member_id'), 'notice_mass_members',
                    ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_notice_mass_members_member_id'), table_name='notice_mass_members')
    op.drop_table('notice_mass_members')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('mass_tag_deleted_at')
        batch_op.drop_column('mass_tag_id')
