"""items.card_version: the item version its Slack card shows (a card an export left behind is redrawn)

Revision ID: relfault01
Revises: autosend01
Create Date: 2026-11-25 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'relfault01'
down_revision = 'autosend01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_version', sa.Integer(), nullable=True))
    # cards drawn before this revision are taken as current (not all redrawn at once)
    op.execute("UPDATE items SET card_version = version WHERE card_ts IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('card_version')
