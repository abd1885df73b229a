"""tokens: last use, server-side console sessions, events assigned by token id

Revision ID: 5e1c0a7d9b42
Revises: 3c1f0b7a9d52
Create Date: 2026-12-05 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '5e1c0a7d9b42'
down_revision: str | None = '3c1f0b7a9d52'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An event whose organizer name belongs to exactly one live organizer token goes to that
# token; a name shared by several (the defect this fixes) or by none stays unassigned.
_ASSIGN_BY_UNIQUE_NAME = """
UPDATE events SET organizer_token_id = (
    SELECT t.id FROM api_tokens t
    WHERE t.name = events.organizer AND t.role = 'organizer' AND t.revoked_at IS NULL)
WHERE organizer IS NOT NULL AND (
    SELECT count(*) FROM api_tokens t
    WHERE t.name = events.organizer AND t.role = 'organizer' AND t.revoked_at IS NULL) = 1
"""


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
    op.create_table('console_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_sessions')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_console_sessions_secret_hash'))
    )
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_sessions_token_hash'), ['token_hash'], unique=False)
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organizer_token_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_events_organizer_token_id'), ['organizer_token_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_events_organizer_token_id_api_tokens'), 'api_tokens', ['organizer_token_id'], ['id'])
    op.execute(_ASSIGN_BY_UNIQUE_NAME)


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_organizer_token_id_api_tokens'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_events_organizer_token_id'))
        batch_op.drop_column('organizer_token_id')
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_sessions_token_hash'))
        batch_op.drop_index(batch_op.f('ix_console_sessions_expires_at'))
    op.drop_table('console_sessions')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
