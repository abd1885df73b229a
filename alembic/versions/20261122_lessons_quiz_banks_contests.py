"""lessons quiz banks contests

Revision ID: 8baf92ed0273
Revises: eed8f7bef2a8
Create Date: 2026-11-22 04:15:01.340847
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base


revision: str = '8baf92ed0273'
down_revision: str | None = 'eed8f7bef2a8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('cover_url', sa.String(length=500), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('publish_date', sa.Date(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lessons'))
    )
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lessons_publish_date'), ['publish_date'], unique=False)

    op.create_table('quiz_banks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source_filename', sa.String(length=200), nullable=False),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('activated_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_banks')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_quiz_banks_name_version'))
    )
    with op.batch_alter_table('quiz_banks', schema=None) as batch_op:
        batch_op.create_index('ix_quiz_banks_one_active', ['is_active'], unique=True, sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))

    op.create_table('bank_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('answer', sa.String(length=500), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('difficulty', sa.Integer(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['quiz_banks.id'], name=op.f('fk_bank_questions_bank_id_quiz_banks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_questions')),
    sa.UniqueConstraint('bank_id', 'position', name=op.f('uq_bank_questions_bank_id_position'))
    )
    op.create_table('contests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('seconds_per_question', sa.Integer(), nullable=True),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['quiz_banks.id'], name=op.f('fk_contests_bank_id_quiz_banks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contests'))
    )
    op.create_table('lesson_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('read_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_reads_lesson_id_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lesson_reads_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_reads')),
    sa.UniqueConstraint('member_id', 'lesson_id', name=op.f('uq_lesson_reads_member_id_lesson_id'))
    )
    with op.batch_alter_table('lesson_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_reads_lesson_id'), ['lesson_id'], unique=False)

    op.create_table('mp_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_mp_sessions_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mp_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_mp_sessions_token_hash'))
    )
    with op.batch_alter_table('mp_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mp_sessions_member_id'), ['member_id'], unique=False)

    op.create_table('quiz_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=True),
    sa.Column('question_ids', sa.JSON(), nullable=False),
    sa.Column('shuffles', sa.JSON(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['quiz_banks.id'], name=op.f('fk_quiz_attempts_bank_id_quiz_banks')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_quiz_attempts_contest_id_contests')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_quiz_attempts_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempts'))
    )
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempts_contest_id'), ['contest_id'], unique=False)
        batch_op.create_index('ix_quiz_attempts_member_id_status', ['member_id', 'status'], unique=False)

    op.create_table('quiz_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('given', sa.Text(), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('answered_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_quiz_answers_attempt_id_quiz_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_quiz_answers_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['bank_questions.id'], name=op.f('fk_quiz_answers_question_id_bank_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_answers')),
    sa.UniqueConstraint('attempt_id', 'position', name=op.f('uq_quiz_answers_attempt_id_position'))
    )
    with op.batch_alter_table('quiz_answers', schema=None) as batch_op:
        batch_op.create_index('ix_quiz_answers_member_id_answered_at', ['member_id', 'answered_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('quiz_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_answers_member_id_answered_at')

    op.drop_table('quiz_answers')
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_attempts_member_id_status')
        batch_op.drop_index(batch_op.f('ix_quiz_attempts_contest_id'))

    op.drop_table('quiz_attempts')
    with op.batch_alter_table('mp_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mp_sessions_member_id'))

    op.drop_table('mp_sessions')
    with op.batch_alter_table('lesson_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_reads_lesson_id'))

    op.drop_table('lesson_reads')
    op.drop_table('contests')
    op.drop_table('bank_questions')
    with op.batch_alter_table('quiz_banks', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_banks_one_active', sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))

    op.drop_table('quiz_banks')
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lessons_publish_date'))

    op.drop_table('lessons')
