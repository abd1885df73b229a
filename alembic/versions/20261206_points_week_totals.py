"""points week totals: each member's points per week, for the dashboard's weekly trend,
filled from the ledger

Revision ID: 2d72a4284f6b
Revises: 4c7e2a9d1b38
Create Date: 2026-12-06 00:10:00
"""

import os
from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '2d72a4284f6b'
down_revision: str | None = '4c7e2a9d1b38'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The 先锋指数's categories as the ledger's writer knew them when this was written.
_CATEGORIES = ("学习", "组织生活", "志愿服务", "先锋作用")


def _fill_weeks() -> None:
    """Each categorised line in the week it occurred in, Mondays in the service's time zone,
    which SQL cannot compute alike on both databases."""
    zone = ZoneInfo(os.environ.get("HONGXIN_TIMEZONE", "Asia/Shanghai"))
    entries = sa.table('points_entries', sa.column('member_id', sa.Integer()),
                       sa.column('occurred_at', app.models.base.UTCDateTime(timezone=True)),
                       sa.column('category', sa.String()), sa.column('delta', sa.Integer()))
    connection = op.get_bind()
    totals: dict[tuple[date, int], int] = {}
    lines = connection.execute(
        sa.select(entries.c.member_id, entries.c.occurred_at, entries.c.delta)
        .where(entries.c.category.in_(_CATEGORIES), entries.c.delta != 0)
        .execution_options(yield_per=10_000))
    for member_id, occurred_at, delta in lines:
        local = occurred_at.astimezone(zone).date()
        key = (local - timedelta(days=local.weekday()), member_id)
        totals[key] = totals.get(key, 0) + delta
    table = sa.table('points_week_totals', sa.column('week', sa.Date()),
                     sa.column('member_id', sa.Integer()), sa.column('points', sa.Integer()))
    values = [{"week": week, "member_id": member_id, "points": points}
              for (week, member_id), points in totals.items()]
    for start in range(0, len(values), 1000):
        connection.execute(table.insert(), values[start:start + 1000])


def upgrade() -> None:
    op.create_table('points_week_totals',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_week_totals_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'week', name=op.f('pk_points_week_totals'))
    )
    _fill_weeks()
    op.create_index('ix_points_week_totals_dashboard', 'points_week_totals',
                    ['week', 'member_id', 'points'])


def downgrade() -> None:
    op.drop_index('ix_points_week_totals_dashboard', table_name='points_week_totals')
    op.drop_table('points_week_totals')
