"""one member per person (unionid, tombstones) and subscribe-message credits

Members first seen at a mini-program login were created with the sentinel
``last_interaction_at`` of 2000-01-01 and are the only ones with mini-program
sessions: those are marked ``origin = 'miniprogram'`` and their openid copied
to ``mp_openid``.

Revision ID: 7a3d9c41e2b8
Revises: 6a2f4c1e8b37
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '7a3d9c41e2b8'
down_revision: str | None = '6a2f4c1e8b37'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), nullable=False,
                                      server_default='account'))
        batch_op.add_column(sa.Column('mp_openid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('unionid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('unionid_checked_at',
                                      app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('merged_at', app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_members_mp_openid'), ['mp_openid'])
        batch_op.create_unique_constraint(batch_op.f('uq_members_unionid'), ['unionid'])
        batch_op.create_index(batch_op.f('ix_members_merged_into_id'), ['merged_into_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_members_merged_into_id_members'), 'members',
                                    ['merged_into_id'], ['id'])
    op.execute(
        "UPDATE members SET origin = 'miniprogram', mp_openid = openid "
        "WHERE id IN (SELECT member_id FROM mp_sessions) "
        "OR last_interaction_at < '2001-01-01'"
    )
    op.create_table(
        'subscribe_credits',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.String(length=64), nullable=False),
        sa.Column('remaining', sa.Integer(), nullable=False),
        sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('remaining >= 0',
                           name=op.f('ck_subscribe_credits_remaining_not_negative')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_subscribe_credits_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', 'template_id', name=op.f('pk_subscribe_credits')),
    )


def downgrade() -> None:
    op.drop_table('subscribe_credits')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_members_merged_into_id_members'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_members_merged_into_id'))
        batch_op.drop_constraint(batch_op.f('uq_members_unionid'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_members_mp_openid'), type_='unique')
        batch_op.drop_column('merged_at')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('unionid_checked_at')
        batch_op.drop_column('unionid')
        batch_op.drop_column('mp_openid')
        batch_op.drop_column('origin')
