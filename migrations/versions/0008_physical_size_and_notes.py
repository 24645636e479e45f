"""physical pixel size and import notes of a project

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Both stay empty (NULL) for existing projects: their files were read without them.
    # MySQL gives TEXT columns no default, so the notes have none here either.
    with op.batch_alter_table('projects') as batch:
        batch.add_column(sa.Column('physical_size', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('notes', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('projects') as batch:
        batch.drop_column('notes')
        batch.drop_column('physical_size')
