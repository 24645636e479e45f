"""frame relabels: a relabelling of a frame stored as one packed mapping (value, the cell its
cell_values row names, the cell it encodes now) instead of one row update per value

Upgrade adds the table: existing rows stay correct as they are (no mapping means each row's
cell is the truth). Downgrade writes every mapping back into the rows it overrides, then drops
the table.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 07:30:00.000000

"""
from alembic import op
import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('frame_relabels',
    sa.Column('project_id', sa.String(length=16), nullable=False),
    sa.Column('feature', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('frame', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary().with_variant(mysql.LONGBLOB(), 'mariadb').with_variant(mysql.LONGBLOB(), 'mysql'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'feature', 'frame')
    )


def downgrade():
    connection = op.get_bind()
    relabels = sa.table(
        'frame_relabels',
        sa.column('project_id'), sa.column('feature'), sa.column('frame'), sa.column('data'),
    )
    cell_values = sa.table(
        'cell_values',
        sa.column('project_id'), sa.column('feature'), sa.column('frame'), sa.column('value'),
        sa.column('cell'),
    )
    give_back = (
        sa.update(cell_values)
        .where(
            cell_values.c.project_id == sa.bindparam('p'),
            cell_values.c.feature == sa.bindparam('f'),
            cell_values.c.frame == sa.bindparam('t'),
            cell_values.c.value == sa.bindparam('v'),
        )
        .values(cell=sa.bindparam('c'))
    )
    for project_id, feature, frame, data in connection.execute(sa.select(relabels)).all():
        # Three int64 arrays of one length: values, the cells their rows name, their cells now.
        count = len(data) // 24
        values, _, cells = (np.frombuffer(data, '<i8', count, 8 * count * n) for n in range(3))
        rows = [
            {'p': project_id, 'f': feature, 't': frame, 'v': value, 'c': cell}
            for value, cell in zip(values.tolist(), cells.tolist(), strict=True)
        ]
        if rows:
            connection.execute(give_back, rows)
    op.drop_table('frame_relabels')
