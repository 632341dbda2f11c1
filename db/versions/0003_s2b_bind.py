"""s2b_bind: what binds a snapshot's codes to their applications, item ids, superseded snapshots

Revision ID: 0003_s2b_bind
Revises: 0003_s2d_rules
Create Date: 2026-12-01 21:40:00

Four nullable columns on ``snapshot`` (rows built before this version keep NULL and are
re-checked as far as their material allows): the signed ``manifest`` bytes, the ``code_key``
that keys each code's binding in it, the snapshot-local ``items`` map, and ``superseded_by``.
Added in place (no batch rebuild): a rebuild of ``snapshot`` would SET NULL every
``score_file.snapshot_id`` through the foreign key.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003_s2b_bind'
down_revision = '0003_s2d_rules'
branch_labels = None
depends_on = None

_COLUMNS = ('superseded_by', 'items', 'code_key', 'manifest')


def upgrade() -> None:
    op.add_column('snapshot', sa.Column('manifest', sa.LargeBinary(), nullable=True))
    op.add_column('snapshot', sa.Column('code_key', sa.String(length=64), nullable=True))
    op.add_column('snapshot', sa.Column('items', sa.JSON(), nullable=True))
    op.add_column('snapshot', sa.Column('superseded_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    for name in _COLUMNS:
        op.drop_column('snapshot', name)  # SQLite ≥ 3.35 drops a plain column in place
