"""lesson series, covers and schedule; the sensitive-word list in the database

The sensitive-word list moves from a file into the database, so that an edit in
the console reaches every process at once; it starts with the words the file
shipped with.

Revision ID: 7c3e5a1f0b64
Revises: 7b3e5d2f9c18
Create Date: 2026-12-05 12:20:00
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '7c3e5a1f0b64'
down_revision: str | None = '7b3e5d2f9c18'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The list app/moderation/sensitive_words.txt held when the list moved here.
DEFAULT_WORDS = ("法轮", "台独", "藏独", "疆独", "赌博", "博彩", "代开发票", "办证", "色情",
                 "傻逼", "他妈的", "fuck")


def upgrade() -> None:
    op.create_table(
        'lesson_series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('description', sa.String(length=200), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_series')),
        sa.UniqueConstraint('name', name=op.f('uq_lesson_series_name')),
    )
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_lessons_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_lessons_series_id_lesson_series'),
                                    'lesson_series', ['series_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'lesson_covers',
        sa.Column('lesson_id', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('stored_name', sa.String(length=100), nullable=True),
        sa.Column('uploaded_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'],
                                name=op.f('fk_lesson_covers_lesson_id_lessons'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('lesson_id', name=op.f('pk_lesson_covers')),
    )
    op.create_table(
        'lesson_schedule',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('lesson_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'],
                                name=op.f('fk_lesson_schedule_lesson_id_lessons'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_lesson_schedule')),
    )
    with op.batch_alter_table('lesson_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_schedule_lesson_id'), ['lesson_id'],
                              unique=False)
    words = op.create_table(
        'sensitive_words',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('word', sa.String(length=50), nullable=False),
        sa.Column('added_by', sa.String(length=80), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sensitive_words')),
        sa.UniqueConstraint('word', name=op.f('uq_sensitive_words_word')),
    )
    revisions = op.create_table(
        'sensitive_words_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.String(length=32), nullable=False),
        sa.Column('changed_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sensitive_words_revision')),
    )
    now = datetime.now(UTC)
    op.bulk_insert(words, [{'word': word, 'added_by': 'default', 'created_at': now}
                           for word in DEFAULT_WORDS])
    op.bulk_insert(revisions, [{'id': 1, 'revision': secrets.token_hex(16), 'changed_at': now}])


def downgrade() -> None:
    op.drop_table('sensitive_words_revision')
    op.drop_table('sensitive_words')
    with op.batch_alter_table('lesson_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_schedule_lesson_id'))
    op.drop_table('lesson_schedule')
    op.drop_table('lesson_covers')
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lessons_series_id_lesson_series'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_lessons_series_id'))
        batch_op.drop_column('series_id')
    op.drop_table('lesson_series')
