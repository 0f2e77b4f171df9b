"""delegation: the instant an absence ends (end of its last day in the approver's time zone)

Revision ID: deleg01_ends_at
Revises: scale01
Create Date: 2026-12-07 15:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'deleg01_ends_at'
down_revision = 'scale01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows from before keep ends_at NULL and end after their `until` date (UTC), as they did
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ends_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('ends_at')
