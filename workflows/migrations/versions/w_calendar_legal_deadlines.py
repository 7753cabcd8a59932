"""the legal periods processes counted, with their provisional years

Revision ID: w_calendar
Revises: w_documents
Create Date: 2026-11-30 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'w_calendar'
down_revision = 'w_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'legal_deadline',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('key', sa.String(length=100), nullable=True),
        sa.Column('start', sa.Date(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('unit', sa.String(length=2), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('provisional', sa.Boolean(), nullable=False),
        sa.Column('provisional_years', sa.JSON(), nullable=False),
        sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('running', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'],
                                name=op.f('fk_legal_deadline_case_id_mediation_case'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_deadline')),
    )
    with op.batch_alter_table('legal_deadline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_deadline_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_legal_deadline_instance', ['instance_id', 'running'],
                              unique=False)
        batch_op.create_index('ix_legal_deadline_provisional', ['provisional', 'running'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('legal_deadline')
