"""program rules: mode (verified | scored), shortfall, blind, max_activities, key_minimum, rules; pass_threshold nullable

Revision ID: 0003_s2d_rules
Revises: 0003_s2b_clean
Create Date: 2026-12-01 21:40:00

Rounds that exist before this migration were computed as scored programs with one declared
tier per application: they get ``mode = 'scored'``, ``blind = true`` and ``rules = '2026.1'``,
so they keep computing as they did. ``program_config`` has no child tables, so SQLite's batch
rebuild (for the nullable ``pass_threshold``) cascades nothing.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003_s2d_rules'
down_revision = '0003_s2b_clean'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('program_config', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mode', sa.String(length=10), nullable=False, server_default='scored'))
        batch_op.add_column(sa.Column('shortfall', sa.String(length=12), nullable=False, server_default='pro_rata'))
        batch_op.add_column(sa.Column('blind', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('max_activities', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('key_minimum', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('rules', sa.String(length=10), nullable=False, server_default='2026.1'))
        batch_op.alter_column('pass_threshold', existing_type=sa.Float(), nullable=True)
    # The defaults above were for the rows already there; new rows get theirs from qbdesk.
    with op.batch_alter_table('program_config', schema=None) as batch_op:
        for name, type_ in (('mode', sa.String(length=10)), ('shortfall', sa.String(length=12)),
                            ('blind', sa.Boolean()), ('rules', sa.String(length=10))):
            batch_op.alter_column(name, existing_type=type_, server_default=None)


def downgrade() -> None:
    op.execute("UPDATE program_config SET pass_threshold = 0 WHERE pass_threshold IS NULL")
    with op.batch_alter_table('program_config', schema=None) as batch_op:
        batch_op.alter_column('pass_threshold', existing_type=sa.Float(), nullable=False)
        for name in ('rules', 'key_minimum', 'max_activities', 'blind', 'shortfall', 'mode'):
            batch_op.drop_column(name)
