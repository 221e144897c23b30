"""binding_change: group binding requests awaiting a supervisor, and every binding change.

Revision ID: 0004_binding_changes
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0004_binding_changes'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('binding_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('chat_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('thread_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('areas', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('previous', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('binding_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_binding_change_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_binding_change_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('binding_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_binding_change_status'))
        batch_op.drop_index(batch_op.f('ix_binding_change_key'))

    op.drop_table('binding_change')
