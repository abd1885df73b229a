"""outbox and access tokens

Revision ID: eed8f7bef2a8
Revises: 16b88500e138
Create Date: 2026-11-22 04:14:16.883392
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base


revision: str = 'eed8f7bef2a8'
down_revision: str | None = '16b88500e138'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('access_tokens',
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('token', sa.Text(), nullable=True),
    sa.Column('expires_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refresh_after', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_until', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('app_id', name=op.f('pk_access_tokens'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_errcode', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_outbox_member_id_channel_sent_at', ['member_id', 'channel', 'sent_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_member_id_channel_sent_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('last_errcode')

    op.drop_table('access_tokens')
