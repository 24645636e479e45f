"""cell types that learn: marker panel and imported embeddings of a project

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # NULL for existing projects: no markers named, no vectors imported.
    with op.batch_alter_table('projects') as batch:
        batch.add_column(sa.Column('markers', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('embeddings', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('projects') as batch:
        batch.drop_column('embeddings')
        batch.drop_column('markers')
