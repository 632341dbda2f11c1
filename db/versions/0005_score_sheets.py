"""score_sheets: score values stored one sheet per application of a score file

Revision ID: 0005_score_sheets
Revises: 0004_s4_results
Create Date: 2026-12-02 04:30:00

The table ``score`` (one row per value: 3,600 for a file of 300 applications × 12 criteria)
becomes ``score_sheet`` (one row per application of a file, its values in ``entries``, the JSON
array ``[[criterion, item, value, comment], …]`` of strings in the file's order). Every existing
row is carried over: each file's rows, in the order they were written, grouped by application.
On PostgreSQL the stored score files' bytes (age ciphertext, which does not compress) are made
``STORAGE EXTERNAL``, so the server no longer tries to compress them.

What reads ``score`` with SQL (an auditor's query, a user's script) keeps working: ``score`` is now
a read-only view with the old columns, one row per value (``id`` is the sheet's id × 100000 plus
the value's place on it, so ordering by ``id`` keeps the file's order; ``sheet_id`` names the sheet).
Downgrading expands the sheets back into ``score`` rows.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0005_score_sheets'
down_revision = '0004_s4_results'
branch_labels = None
depends_on = None

_score = sa.table('score', sa.column('id', sa.Integer), sa.column('score_file_id', sa.Integer),
                  sa.column('expert_id', sa.Integer), sa.column('application_id', sa.Integer),
                  sa.column('criterion', sa.String), sa.column('item', sa.String), sa.column('value', sa.Text),
                  sa.column('comment', sa.Text))
_sheet = sa.table('score_sheet', sa.column('id', sa.Integer), sa.column('score_file_id', sa.Integer),
                  sa.column('expert_id', sa.Integer), sa.column('application_id', sa.Integer),
                  sa.column('entries', sa.Text))


VIEW = {
    'sqlite': """CREATE VIEW score AS
SELECT ss.id * 100000 + j.key AS id, ss.id AS sheet_id, ss.score_file_id, ss.expert_id, ss.application_id,
       json_extract(j.value, '$[0]') AS criterion, json_extract(j.value, '$[1]') AS item,
       json_extract(j.value, '$[2]') AS value, json_extract(j.value, '$[3]') AS comment
FROM score_sheet ss, json_each(ss.entries) j""",
    'postgresql': """CREATE VIEW score AS
SELECT ss.id::bigint * 100000 + e.n - 1 AS id, ss.id AS sheet_id, ss.score_file_id, ss.expert_id, ss.application_id,
       e.v ->> 0 AS criterion, e.v ->> 1 AS item, e.v ->> 2 AS value, e.v ->> 3 AS comment
FROM score_sheet ss CROSS JOIN LATERAL jsonb_array_elements(ss.entries::jsonb) WITH ORDINALITY AS e(v, n)""",
}


def _entries(values: list) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(',', ':'))


def upgrade() -> None:
    op.create_table(
        'score_sheet',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('score_file_id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('entries', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name=op.f('fk_score_sheet_application_id_application'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_score_sheet_expert_id_expert'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['score_file_id'], ['score_file.id'],
                                name=op.f('fk_score_sheet_score_file_id_score_file'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_score_sheet')),
        sa.UniqueConstraint('score_file_id', 'application_id', name=op.f('uq_score_sheet_score_file_id')),
    )
    op.create_index(op.f('ix_score_sheet_application_id'), 'score_sheet', ['application_id'], unique=False)
    bind = op.get_bind()
    files = [f for (f,) in bind.execute(sa.select(_score.c.score_file_id).distinct().order_by(_score.c.score_file_id))]
    for file_id in files:  # a file at a time: memory stays one file's rows
        sheets: dict[int, tuple[int, list]] = {}
        for _id, expert, app, criterion, item, value, comment in bind.execute(
                sa.select(_score.c.id, _score.c.expert_id, _score.c.application_id, _score.c.criterion,
                          _score.c.item, _score.c.value, _score.c.comment)
                .where(_score.c.score_file_id == file_id).order_by(_score.c.id)):
            sheets.setdefault(app, (expert, []))[1].append([criterion, item, value, comment])
        bind.execute(_sheet.insert(), [
            {'score_file_id': file_id, 'expert_id': expert, 'application_id': app, 'entries': _entries(values)}
            for app, (expert, values) in sheets.items()])
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_score_file_id'))
        batch_op.drop_index('ix_score_expert_application')
    op.drop_table('score')
    if bind.dialect.name in VIEW:
        op.execute(VIEW[bind.dialect.name])
    if bind.dialect.name == 'postgresql':
        op.execute('ALTER TABLE score_file ALTER COLUMN content SET STORAGE EXTERNAL')


def downgrade() -> None:
    bind = op.get_bind()
    op.execute('DROP VIEW IF EXISTS score')
    if bind.dialect.name == 'postgresql':
        op.execute('ALTER TABLE score_file ALTER COLUMN content SET STORAGE EXTENDED')
    op.create_table(
        'score',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('score_file_id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('criterion', sa.String(length=60), nullable=False),
        sa.Column('item', sa.String(length=60), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name=op.f('fk_score_application_id_application'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_score_expert_id_expert'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['score_file_id'], ['score_file.id'], name=op.f('fk_score_score_file_id_score_file'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_score')),
        sa.UniqueConstraint('score_file_id', 'application_id', 'criterion', 'item', name=op.f('uq_score_score_file_id')),
    )
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.create_index('ix_score_expert_application', ['expert_id', 'application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_score_file_id'), ['score_file_id'], unique=False)
    files = [f for (f,) in bind.execute(sa.select(_sheet.c.score_file_id).distinct().order_by(_sheet.c.score_file_id))]
    for file_id in files:
        rows = []
        for expert, app, entries in bind.execute(
                sa.select(_sheet.c.expert_id, _sheet.c.application_id, _sheet.c.entries)
                .where(_sheet.c.score_file_id == file_id).order_by(_sheet.c.id)):
            rows.extend({'score_file_id': file_id, 'expert_id': expert, 'application_id': app, 'criterion': c,
                         'item': i, 'value': v, 'comment': m} for c, i, v, m in json.loads(entries))
        bind.execute(_score.insert(), rows)
    op.drop_index(op.f('ix_score_sheet_application_id'), table_name='score_sheet')
    op.drop_table('score_sheet')
