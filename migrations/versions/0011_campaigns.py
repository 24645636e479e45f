"""campaigns: settings and members, images, tasks and their events, comments, crowd links

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaigns',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('replicas', sa.Integer(), nullable=False),
    sa.Column('review_share', sa.Float(), nullable=False),
    sa.Column('lease_minutes', sa.Float(), nullable=False),
    sa.Column('agreement_threshold', sa.Float(), nullable=False),
    sa.Column('gold_rate', sa.Float(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('campaign_members',
    sa.Column('campaign_id', sa.String(length=16), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('worker', sa.String(length=255), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'username')
    )
    op.create_index('ix_campaign_members_username', 'campaign_members', ['username'])
    op.create_table('campaign_images',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('source', sa.String(length=1024), nullable=False),
    sa.Column('gold', sa.Boolean(), nullable=False),
    sa.Column('reference_key', sa.String(length=1024), nullable=True),
    sa.Column('error', sa.String(length=2000), nullable=True),
    sa.Column('agreement', sa.JSON(), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_campaign_images_campaign_id', 'campaign_images', ['campaign_id'])
    op.create_table('tasks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.String(length=16), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=False),
    sa.Column('replica', sa.Integer(), nullable=False),
    sa.Column('gold', sa.Boolean(), nullable=False),
    sa.Column('project_id', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('annotator', sa.String(length=255), nullable=True),
    sa.Column('reviewer', sa.String(length=255), nullable=True),
    sa.Column('leased', sa.DateTime(), nullable=True),
    sa.Column('needs_review', sa.Boolean(), nullable=True),
    sa.Column('agreement', sa.Float(), nullable=True),
    sa.Column('gold_f1', sa.Float(), nullable=True),
    sa.Column('completion_code', sa.String(length=64), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['image_id'], ['campaign_images.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_tasks_next', 'tasks', ['campaign_id', 'state', 'id'])
    op.create_index('ix_tasks_image_id', 'tasks', ['image_id'])
    op.create_index('ix_tasks_project_id', 'tasks', ['project_id'])
    op.create_index('ix_tasks_annotator', 'tasks', ['annotator'])
    op.create_table('task_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=False),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_task_events_task_id', 'task_events', ['task_id'])
    op.create_index('ix_task_events_at', 'task_events', ['at'])
    op.create_table('comments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.String(length=16), nullable=False),
    sa.Column('frame', sa.Integer(), nullable=False),
    sa.Column('x', sa.Float(), nullable=False),
    sa.Column('y', sa.Float(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=255), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.Column('resolved_by', sa.String(length=255), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_comments_project_id', 'comments', ['project_id'])
    op.create_table('crowd_links',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('campaign_id', sa.String(length=16), nullable=False),
    sa.Column('expires', sa.DateTime(), nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_crowd_links_campaign_id', 'crowd_links', ['campaign_id'])


def downgrade():
    op.drop_table('crowd_links')
    op.drop_table('comments')
    op.drop_table('task_events')
    op.drop_table('tasks')
    op.drop_table('campaign_images')
    op.drop_table('campaign_members')
    op.drop_table('campaigns')
