"""cleaned blind PDFs and the coordinator's leak decisions

Revision ID: 0003_s2b_clean
Revises: 0003_s2d_check
Create Date: 2026-12-01 21:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003_s2b_clean'
down_revision = '0003_s2d_check'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cleaned_pdf',
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('cleaner', sa.String(length=100), nullable=False),
    sa.Column('cleaned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_sha256'], ['blob.sha256'], name=op.f('fk_cleaned_pdf_source_sha256_blob'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_sha256', name=op.f('pk_cleaned_pdf'))
    )
    op.create_table('leak_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('attachment_file', sa.String(length=300), nullable=True),
    sa.Column('attachment_sha256', sa.String(length=64), nullable=True),
    sa.Column('findings_hash', sa.String(length=64), nullable=True),
    sa.Column('fingerprints', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_leak_decision_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_leak_decision_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leak_decision'))
    )
    with op.batch_alter_table('leak_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leak_decision_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leak_decision_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('leak_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leak_decision_round_id'))
        batch_op.drop_index(batch_op.f('ix_leak_decision_application_id'))
    op.drop_table('leak_decision')
    op.drop_table('cleaned_pdf')
