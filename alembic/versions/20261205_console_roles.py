"""console roles held by roster entries; one-time sign-in links from WeChat; quiz answers
indexed by question for the console's per-question statistics

Revision ID: 7b3e5d2f9c18
Revises: 7a3d5c1e9f24
Create Date: 2026-12-05 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '7b3e5d2f9c18'
down_revision: str | None = '7a3d5c1e9f24'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXED = [('quiz_answers', 'question_id')]


def upgrade() -> None:
    op.create_table('console_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roster_entry_id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('granted_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['roster_entry_id'], ['roster_entries.id'], name=op.f('fk_console_roles_roster_entry_id_roster_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_console_roles_token_id_api_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_roles')),
    sa.UniqueConstraint('roster_entry_id', name=op.f('uq_console_roles_roster_entry_id')),
    sa.UniqueConstraint('token_id', name=op.f('uq_console_roles_token_id'))
    )
    op.create_table('console_sign_in_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_console_sign_in_links_token_id_api_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_sign_in_links')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_console_sign_in_links_code_hash'))
    )
    with op.batch_alter_table('console_sign_in_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_sign_in_links_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_sign_in_links_token_id'), ['token_id'], unique=False)
    for table, column in _INDEXED:
        op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(_INDEXED):
        op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
    with op.batch_alter_table('console_sign_in_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_sign_in_links_token_id'))
        batch_op.drop_index(batch_op.f('ix_console_sign_in_links_expires_at'))
    op.drop_table('console_sign_in_links')
    op.drop_table('console_roles')
