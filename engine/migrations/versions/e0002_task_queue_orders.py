"""task queue indexes for the newest-first and priority orders

Revision ID: e0002
Revises: e0001
Create Date: 2026-11-23 15:20:00
"""
from alembic import op

revision = 'e0002'
down_revision = 'e0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('engine_human_task', schema=None) as batch_op:
        batch_op.create_index(
            'ix_engine_human_task_queue_created', ['state', 'candidate_group', 'id'], unique=False
        )
        batch_op.create_index(
            'ix_engine_human_task_queue_priority',
            ['state', 'candidate_group', 'priority', 'id'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('engine_human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_engine_human_task_queue_priority')
        batch_op.drop_index('ix_engine_human_task_queue_created')
