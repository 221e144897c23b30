"""Ticket.routed_by, Ticket.route_score: how the area was decided, the router's labels.

Revision ID: 0005_ticket_routing_source
Revises: 0004_binding_changes
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0005_ticket_routing_source'
down_revision: str | None = '0004_binding_changes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('routed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('route_score', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('route_score')
        batch_op.drop_column('routed_by')
