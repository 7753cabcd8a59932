"""task index by who ended it: the instances a person has worked

Revision ID: e_people
Revises: e0002
Create Date: 2026-12-01 10:00:00
"""
from alembic import op

revision = 'e_people'
down_revision = 'e0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('engine_human_task', schema=None) as batch_op:
        batch_op.create_index(
            'ix_engine_human_task_done_by', ['ended_by', 'instance_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('engine_human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_engine_human_task_done_by')
