"""organisations and the roster

Revision ID: 5e1c0a7b9d21
Revises: 5d1c0a7e9b42
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '5e1c0a7b9d21'
down_revision: str | None = '5d1c0a7e9b42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'orgs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=True),
        sa.Column('path', sa.String(length=512), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['parent_id'], ['orgs.id'], name=op.f('fk_orgs_parent_id_orgs'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_orgs')),
    )
    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orgs_path'), ['path'], unique=False)
        batch_op.create_index('uq_orgs_parent_id_name', ['parent_id', 'name'], unique=True,
                              sqlite_where=sa.text('parent_id IS NOT NULL'),
                              postgresql_where=sa.text('parent_id IS NOT NULL'))
        batch_op.create_index('uq_orgs_root_name', ['name'], unique=True,
                              sqlite_where=sa.text('parent_id IS NULL'),
                              postgresql_where=sa.text('parent_id IS NULL'))
    op.create_table(
        'roster_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('phone', sa.String(length=11), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('joined_on', sa.Date(), nullable=True),
        sa.Column('duty', sa.String(length=16), nullable=True),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('bound_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_roster_entries_member_id_members'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['org_id'], ['orgs.id'],
                                name=op.f('fk_roster_entries_org_id_orgs'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_entries')),
        sa.UniqueConstraint('member_id', name=op.f('uq_roster_entries_member_id')),
        sa.UniqueConstraint('phone', name=op.f('uq_roster_entries_phone')),
    )
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_entries_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_entries_org_id'))
    op.drop_table('roster_entries')
    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.drop_index('uq_orgs_root_name', sqlite_where=sa.text('parent_id IS NULL'),
                            postgresql_where=sa.text('parent_id IS NULL'))
        batch_op.drop_index('uq_orgs_parent_id_name',
                            sqlite_where=sa.text('parent_id IS NOT NULL'),
                            postgresql_where=sa.text('parent_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_orgs_path'))
    op.drop_table('orgs')
