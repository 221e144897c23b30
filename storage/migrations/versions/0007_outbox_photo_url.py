"""OutboxMessage.photo_url: a user's photo passed on by its link (Telegram/Zalo sendPhoto).

Revision ID: 0007_outbox_photo_url
Revises: 0006_instance_heartbeats
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0007_outbox_photo_url'
down_revision: str | None = '0006_instance_heartbeats'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('photo_url', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_column('photo_url')
