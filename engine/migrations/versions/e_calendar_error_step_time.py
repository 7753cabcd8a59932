"""the time of the step that failed, so a retry computes with it

Revision ID: e_calendar
Revises: e_people
Create Date: 2026-11-30 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'e_calendar'
down_revision = 'e_people'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('engine_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('engine_instance', schema=None) as batch_op:
        batch_op.drop_column('error_at')
