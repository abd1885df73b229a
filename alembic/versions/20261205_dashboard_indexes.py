"""covering indexes for the dashboard's figures read by time

The weekly trends read the period's ledger lines, lesson reads and quiz
answers by time: each index starts with the time and holds every column the
figures read, so a figure reads the index alone. A scoped caller's weekly
points read its members' lines: the ledger's index by member and time gains
the category and the points for the same reason.

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


MEMBER_INDEX = "ix_points_entries_member_id_occurred_at"
WIDER_MEMBER_INDEX = "ix_points_entries_member_id_occurred_at_points"


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    op.create_index(WIDER_MEMBER_INDEX, "points_entries",
                    ["member_id", "occurred_at", "category", "delta"])
    op.drop_index(MEMBER_INDEX, table_name="points_entries")


def downgrade() -> None:
    op.create_index(MEMBER_INDEX, "points_entries", ["member_id", "occurred_at"])
    op.drop_index(WIDER_MEMBER_INDEX, table_name="points_entries")
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
