"""campaigns: the presegment setting

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns') as batch_op:
        batch_op.add_column(
            sa.Column('presegment', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('campaigns') as batch_op:
        batch_op.drop_column('presegment')
