"""notices: 通知 to orgs' subtrees or everyone, their target orgs, WeChat user tags of orgs

Revision ID: 4c7e2a9d1b38
Revises: 8a3d5f1c2e60
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '4c7e2a9d1b38'
down_revision: str | None = '8a3d5f1c2e60'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('everyone', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_by_token_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mass_sends', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_token_id'], ['api_tokens.id'],
                            name=op.f('fk_notices_created_by_token_id_api_tokens'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_table('notice_targets',
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'],
                            name=op.f('fk_notice_targets_notice_id_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'],
                            name=op.f('fk_notice_targets_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('notice_id', 'org_id', name=op.f('pk_notice_targets'))
    )
    op.create_index(op.f('ix_notice_targets_org_id'), 'notice_targets', ['org_id'], unique=False)
    op.create_table('wechat_tag_members',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('tagged_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                            name=op.f('fk_wechat_tag_members_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'],
                            name=op.f('fk_wechat_tag_members_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'member_id', name=op.f('pk_wechat_tag_members'))
    )
    op.create_index(op.f('ix_wechat_tag_members_member_id'), 'wechat_tag_members',
                    ['member_id'], unique=False)
    op.add_column('orgs', sa.Column('wechat_tag_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of ``orgs`` would
    # trip over the foreign keys that point at it.
    op.drop_column('orgs', 'wechat_tag_id')
    op.drop_index(op.f('ix_wechat_tag_members_member_id'), table_name='wechat_tag_members')
    op.drop_table('wechat_tag_members')
    op.drop_index(op.f('ix_notice_targets_org_id'), table_name='notice_targets')
    op.drop_table('notice_targets')
    op.drop_table('notices')
