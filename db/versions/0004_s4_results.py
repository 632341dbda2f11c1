"""s4_results: frozen (published) results, and each program's aggregation settings

Revision ID: 0004_s4_results
Revises: 0003_s2b_bind
Create Date: 2026-12-02 01:00:00

A new table ``frozen_result`` (one row per ``qbdesk results freeze``: the canonical JSON of the
results document and its SHA-256), and a nullable JSON column ``program_config.aggregation``
(NULL: the documented defaults). Both added in place; no existing row changes.
"""

from alembic import op
import sqlalchemy as sa


revision = '0004_s4_results'
down_revision = '0003_s2b_bind'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'frozen_result',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_frozen_result_round_id_round'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_frozen_result')),
    )
    op.create_index(op.f('ix_frozen_result_round_id'), 'frozen_result', ['round_id'], unique=False)
    op.add_column('program_config', sa.Column('aggregation', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('program_config', 'aggregation')  # SQLite ≥ 3.35 drops a plain column in place
    op.drop_index(op.f('ix_frozen_result_round_id'), table_name='frozen_result')
    op.drop_table('frozen_result')
