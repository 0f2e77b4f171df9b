"""rate_limit_keys, rate_limit_slots: QBO/Procore limits shared by every process through the database

Revision ID: scale01
Revises: beyond01
Create Date: 2026-12-07 13:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'scale01'
down_revision = 'beyond01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_limit_keys',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('paused_until', sa.Float(precision=53), server_default='0', nullable=False),
    sa.Column('touched', sa.Float(precision=53), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('rate_limit_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('cost', sa.Integer(), nullable=False),
    sa.Column('batch', sa.Boolean(), nullable=False),
    sa.Column('started', sa.Float(precision=53), nullable=False),
    sa.Column('done', sa.Float(precision=53), nullable=True),
    sa.Column('lease_until', sa.Float(precision=53), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rate_limit_slots', schema=None) as batch_op:
        batch_op.create_index('ix_rate_limit_slots_key_done', ['key', 'done'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rate_limit_slots', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_limit_slots_key_done')
    op.drop_table('rate_limit_slots')
    op.drop_table('rate_limit_keys')
