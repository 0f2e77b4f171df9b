"""items.receipt_channel/receipt_ts: where the sender's "You sent…" DM is, so it is redrawn when the item moves on

Revision ID: look01
Revises: relfault01
Create Date: 2026-12-07 13:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'look01'
down_revision = 'relfault01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_channel', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('receipt_ts', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('receipt_ts')
        batch_op.drop_column('receipt_channel')
