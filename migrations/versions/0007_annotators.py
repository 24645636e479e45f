"""annotators: per-annotator undo index, anonymous authors named, viewers of a project

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Edits recorded before annotators were named belong to "anonymous", like every request
    # that names no annotator from now on, so their undo keeps working.
    edits = sa.table('edits', sa.column('author', sa.String))
    op.execute(edits.update().where(edits.c.author == '').values(author='anonymous'))
    with op.batch_alter_table('edits', schema=None) as batch_op:
        batch_op.drop_index('ix_edits_project_kind_state')
        batch_op.create_index(
            'ix_edits_undo', ['project_id', 'author', 'kind', 'state', 'version'], unique=False
        )

    op.create_table('viewers',
    sa.Column('project_id', sa.String(length=16), nullable=False),
    sa.Column('annotator', sa.String(length=255), nullable=False),
    sa.Column('frame', sa.Integer(), nullable=False),
    sa.Column('feature', sa.Integer(), nullable=False),
    sa.Column('seen', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'annotator')
    )


def downgrade():
    op.drop_table('viewers')
    with op.batch_alter_table('edits', schema=None) as batch_op:
        batch_op.drop_index('ix_edits_undo')
        batch_op.create_index(
            'ix_edits_project_kind_state', ['project_id', 'kind', 'state'], unique=False
        )
