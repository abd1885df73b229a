"""quiz bank import state and content hash

Revision ID: 5d1c9e7a2b40
Revises: 5e1c0a7d9b42
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5d1c9e7a2b40'
down_revision: str | None = '5e1c0a7d9b42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('quiz_banks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='ready',
                                      nullable=False))
        batch_op.add_column(sa.Column('content_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_quiz_banks_content_hash'), ['content_hash'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quiz_banks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_banks_content_hash'))
        batch_op.drop_column('content_hash')
        batch_op.drop_column('state')
