"""tokens scoped to an org; events with a kind and an org

Revision ID: 6a2f4c1e8b37
Revises: 5e1c0a7b9d21
Create Date: 2026-12-05 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '6a2f4c1e8b37'
down_revision: str | None = '5e1c0a7b9d21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_tokens_org_id'), ['org_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_org_id_orgs'), 'orgs',
                                    ['org_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=24), nullable=False,
                                      server_default='activity'))
        batch_op.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_events_org_id'), ['org_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_events_org_id_orgs'), 'orgs',
                                    ['org_id'], ['id'], ondelete='RESTRICT')


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_org_id_orgs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_events_org_id'))
        batch_op.drop_column('org_id')
        batch_op.drop_column('kind')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_org_id_orgs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_tokens_org_id'))
        batch_op.drop_column('org_id')
