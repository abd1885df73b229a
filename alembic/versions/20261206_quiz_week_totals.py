"""quiz week totals: each member's quiz answers per week, for the dashboard's weekly
trend, filled from the answers; sign-ups indexed by check-in time

Revision ID: 4b5eb72c937e
Revises: 7b1e4f0c9a52
Create Date: 2026-12-06 03:30:00
"""

import os
from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '4b5eb72c937e'
down_revision: str | None = '7b1e4f0c9a52'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fill_weeks() -> None:
    """Each answer in the week it was given in, Mondays in the service's time zone, which
    SQL cannot compute alike on both databases."""
    zone = ZoneInfo(os.environ.get("HONGXIN_TIMEZONE", "Asia/Shanghai"))
    answers = sa.table('quiz_answers', sa.column('member_id', sa.Integer()),
                       sa.column('answered_at', app.models.base.UTCDateTime(timezone=True)),
                       sa.column('correct', sa.Boolean()))
    connection = op.get_bind()
    totals: dict[tuple[date, int], list[int]] = {}
    given = connection.execute(
        sa.select(answers.c.member_id, answers.c.answered_at, answers.c.correct)
        .execution_options(yield_per=10_000))
    for member_id, answered_at, correct in given:
        local = answered_at.astimezone(zone).date()
        counts = totals.setdefault((local - timedelta(days=local.weekday()), member_id), [0, 0])
        counts[0] += 1
        counts[1] += 1 if correct else 0
    table = sa.table('quiz_week_totals', sa.column('week', sa.Date()),
                     sa.column('member_id', sa.Integer()), sa.column('answers', sa.Integer()),
                     sa.column('correct', sa.Integer()))
    values = [{"week": week, "member_id": member_id, "answers": count, "correct": correct}
              for (week, member_id), (count, correct) in totals.items()]
    for start in range(0, len(values), 1000):
        connection.execute(table.insert(), values[start:start + 1000])


def upgrade() -> None:
    op.create_table('quiz_week_totals',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_quiz_week_totals_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'week', name=op.f('pk_quiz_week_totals'))
    )
    _fill_weeks()
    op.create_index('ix_quiz_week_totals_dashboard', 'quiz_week_totals',
                    ['week', 'member_id', 'answers', 'correct'])
    op.create_index('ix_event_signups_checked_in_at', 'event_signups',
                    ['checked_in_at', 'event_id', 'member_id'])


def downgrade() -> None:
    op.drop_index('ix_event_signups_checked_in_at', table_name='event_signups')
    op.drop_index('ix_quiz_week_totals_dashboard', table_name='quiz_week_totals')
    op.drop_table('quiz_week_totals')
