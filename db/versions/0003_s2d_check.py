"""qualification checks: the coordinator's 资格审查 results per application

Revision ID: 0003_s2d_check
Revises: 0002
Create Date: 2026-12-01 21:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003_s2d_check'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('qualification_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('check', sa.String(length=40), nullable=False),
    sa.Column('result', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_qualification_check_application_id_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_check')),
    sa.UniqueConstraint('application_id', 'check', name=op.f('uq_qualification_check_application_id'))
    )
    with op.batch_alter_table('qualification_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_check_application_id'), ['application_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('qualification_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualification_check_application_id'))
    op.drop_table('qualification_check')
