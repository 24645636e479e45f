"""project status, pyramid levels and label overviews

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

VIEW_TILE_SIZE = 512


def _levels(height, width):
    levels = 1
    while height > VIEW_TILE_SIZE or width > VIEW_TILE_SIZE:
        height, width = -(-height // 2), -(-width // 2)
        levels += 1
    return levels


def upgrade():
    with op.batch_alter_table('projects') as batch:
        batch.add_column(sa.Column('levels', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='ready'))
        batch.add_column(sa.Column('progress', sa.Float(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('status_message', sa.String(length=1024), nullable=False, server_default=''))
        batch.add_column(sa.Column('heartbeat', sa.DateTime(), nullable=True))
    op.create_table('label_overviews',
    sa.Column('project_id', sa.String(length=16), nullable=False),
    sa.Column('feature', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('frame', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tile_y', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tile_x', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary().with_variant(mysql.LONGBLOB(), 'mariadb').with_variant(mysql.LONGBLOB(), 'mysql'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'feature', 'frame', 'level', 'tile_y', 'tile_x')
    )
    # Existing projects are ready; their level count follows from their size. Their raw pyramid
    # tiles and label overviews do not exist yet: `flask add-pyramids` writes them.
    bind = op.get_bind()
    projects = sa.table('projects', sa.column('id'), sa.column('height'), sa.column('width'), sa.column('levels'))
    for project_id, height, width in bind.execute(sa.select(projects.c.id, projects.c.height, projects.c.width)).all():
        levels = _levels(height, width)
        if levels > 1:
            bind.execute(projects.update().where(projects.c.id == project_id).values(levels=levels))


def downgrade():
    op.drop_table('label_overviews')
    with op.batch_alter_table('projects') as batch:
        batch.drop_column('heartbeat')
        batch.drop_column('status_message')
        batch.drop_column('progress')
        batch.drop_column('status')
        batch.drop_column('levels')
