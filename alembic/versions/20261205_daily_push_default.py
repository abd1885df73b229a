"""daily lesson push on by default

Nothing ever turned ``members.daily_push`` on, so the daily lesson reached
nobody. A party organisation wants every member to get the day's lesson and
each to be free to say 退订, so the push is now opt-out: new members get it
(the column's default), and existing members are switched on too. No member
ever chose "off" (there was no way to), so every stored false is the old
default, not a choice this migration would override. The downgrade drops the
default only: it cannot tell which members said 退订 since.

Revision ID: 5d1c0a7e9b42
Revises: 5d1c9e7a2b40
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5d1c0a7e9b42'
down_revision: str | None = '5d1c9e7a2b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.alter_column('daily_push', existing_type=sa.Boolean(), existing_nullable=False,
                              server_default=sa.true())
    op.execute(sa.text("UPDATE members SET daily_push = :on").bindparams(on=True))


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.alter_column('daily_push', existing_type=sa.Boolean(), existing_nullable=False,
                              server_default=None)
