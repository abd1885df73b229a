"""covering indexes for the dashboard's figures read by time

The weekly trends read the period's ledger lines, lesson reads and quiz
answers by time: each index starts with the time and holds every column the
figures read, so a figure reads the index alone.

Revision ID: 5d1a8c3e7f20
Revises: 7c3e5a1f0b64
Create Date: 2026-12-05 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '5d1a8c3e7f20'
down_revision: str | None = '7c3e5a1f0b64'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_points_entries_dashboard": ("points_entries",
                                    ["occurred_at", "member_id", "category", "delta"]),
    "ix_lesson_reads_dashboard": ("lesson_reads", ["read_at", "member_id"]),
    "ix_quiz_answers_dashboard": ("quiz_answers", ["answered_at", "member_id", "correct"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
