"""crowd guests: the campaign a guest account of a crowd link belongs to; an index for a
caller's own tasks, which `next` looks for first

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guest_campaign', sa.String(length=16), nullable=True))
    op.create_index('ix_tasks_held', 'tasks', ['campaign_id', 'annotator', 'state'], unique=False)


def downgrade():
    op.drop_index('ix_tasks_held', table_name='tasks')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('guest_campaign')
