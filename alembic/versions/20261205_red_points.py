"""red points: a versioned rules catalogue, who recorded each line and why, period totals
by category for the 先锋指数, members' claims of offline deeds

Revision ID: 7a3d5c1e9f24
Revises: 9d4e2b7c1a05
Create Date: 2026-12-05 12:30:00
"""

import os
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '7a3d5c1e9f24'
# After both the scopes and the identity migrations, which branch from one parent.
down_revision: str | None = '9d4e2b7c1a05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Lines written before the catalogue were earned under its first version, whose
# points are those of the fixed table it replaced.
_CATEGORY_BY_ACTIVITY = """
UPDATE points_entries SET rule_version = 1, category = CASE activity
    WHEN 'lesson_read' THEN '学习' WHEN 'answer_correct' THEN '学习'
    WHEN 'quiz_full_marks' THEN '学习' WHEN 'event_checkin' THEN '组织生活' END
"""
_CORRECTIONS_FOLLOW = """
UPDATE points_entries SET category = (
    SELECT o.category FROM points_entries o WHERE o.id = points_entries.reverses_id)
WHERE reverses_id IS NOT NULL
"""
_COLUMNS = {"学习": "study", "组织生活": "org_life", "志愿服务": "volunteering",
            "先锋作用": "pioneering"}


def _fill_months() -> None:
    """Months in the service's time zone, which SQL cannot compute alike on both databases."""
    zone = ZoneInfo(os.environ.get("HONGXIN_TIMEZONE", "Asia/Shanghai"))
    entries = sa.table('points_entries', sa.column('id', sa.Integer()),
                       sa.column('created_at', app.models.base.UTCDateTime(timezone=True)),
                       sa.column('occurred_month', sa.Integer()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(entries.c.id, entries.c.created_at)).all()
    months: dict[int, list[int]] = {}
    for entry_id, created_at in rows:
        local = created_at.astimezone(zone)
        months.setdefault(local.year * 100 + local.month, []).append(entry_id)
    for month, ids in months.items():
        for start in range(0, len(ids), 500):
            connection.execute(entries.update().where(entries.c.id.in_(ids[start:start + 500]))
                               .values(occurred_month=month))


def _fill_period_totals() -> None:
    """Each line in its year, quarter and month, as the ledger's writer keeps them from now on."""
    connection = op.get_bind()
    sums = connection.execute(sa.text(
        "SELECT member_id, occurred_month, category, SUM(delta) FROM points_entries "
        "WHERE category IS NOT NULL GROUP BY member_id, occurred_month, category")).all()
    rows: dict[tuple[str, int], dict[str, int]] = {}
    for member_id, month, category, total in sums:
        year, number = divmod(month, 100)
        for period in (str(year), f"{year}Q{(number - 1) // 3 + 1}", f"{year}-{number:02d}"):
            row = rows.setdefault((period, member_id), dict.fromkeys(_COLUMNS.values(), 0))
            row[_COLUMNS[category]] += int(total)
    table = sa.table('points_period_totals', sa.column('period', sa.String()),
                     sa.column('member_id', sa.Integer()),
                     *(sa.column(name, sa.Integer()) for name in _COLUMNS.values()))
    values = [{"period": period, "member_id": member_id, **columns}
              for (period, member_id), columns in rows.items()]
    for start in range(0, len(values), 1000):
        connection.execute(table.insert(), values[start:start + 1000])


def upgrade() -> None:
    op.create_table('points_rule_sets',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_points_rule_sets'))
    )
    op.create_table('points_period_totals',
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('study', sa.Integer(), nullable=False),
    sa.Column('org_life', sa.Integer(), nullable=False),
    sa.Column('volunteering', sa.Integer(), nullable=False),
    sa.Column('pioneering', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_period_totals_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('period', 'member_id', name=op.f('pk_points_period_totals'))
    )
    with op.batch_alter_table('points_period_totals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_period_totals_member_id'), ['member_id'], unique=False)
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('category', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('recorded_by', sa.String(length=80), nullable=False,
                                      server_default='system'))
        batch_op.add_column(sa.Column('occurred_at', app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('occurred_month', sa.Integer(), nullable=True))
    op.execute("UPDATE points_entries SET occurred_at = created_at")
    op.execute(_CATEGORY_BY_ACTIVITY)
    op.execute(_CORRECTIONS_FOLLOW)
    _fill_months()
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.alter_column('occurred_at', existing_type=app.models.base.UTCDateTime(timezone=True),
                              nullable=False)
        batch_op.alter_column('occurred_month', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_points_entries_member_id_occurred_at',
                              ['member_id', 'occurred_at'], unique=False)
    _fill_period_totals()
    op.create_table('points_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['points_entries.id'], name=op.f('fk_points_claims_entry_id_points_entries')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_claims_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_claims'))
    )
    with op.batch_alter_table('points_claims', schema=None) as batch_op:
        batch_op.create_index('ix_points_claims_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_claims_member_id'), ['member_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('points_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_claims_member_id'))
        batch_op.drop_index('ix_points_claims_status_created_at')
    op.drop_table('points_claims')
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_points_entries_member_id_occurred_at')
        batch_op.drop_column('occurred_month')
        batch_op.drop_column('occurred_at')
        batch_op.drop_column('recorded_by')
        batch_op.drop_column('category')
        batch_op.drop_column('rule_version')
    with op.batch_alter_table('points_period_totals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_period_totals_member_id'))
    op.drop_table('points_period_totals')
    op.drop_table('points_rule_sets')
