"""tenant_settings.sync_intervals: each scheduled sync job's interval in minutes, where a tenant changed it

Revision ID: polls01
Revises: deleg01_ends_at
Create Date: 2026-12-07 15:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'polls01'
down_revision = 'deleg01_ends_at'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tenant_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sync_intervals', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenant_settings', schema=None) as batch_op:
        batch_op.drop_column('sync_intervals')
