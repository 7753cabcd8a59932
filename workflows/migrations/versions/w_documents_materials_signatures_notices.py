"""case materials, agreement signatures, notices to parties, stored case files, document
templates and public status lookups

Revision ID: w_documents
Revises: w_people
Create Date: 2026-12-01 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'w_documents'
down_revision = 'w_people'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'material',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('thumbnail_sha256', sa.String(length=64), nullable=True),
        sa.Column('added_by', sa.String(length=80), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_by', sa.String(length=80), nullable=True),
        sa.Column('withdrawal_reason', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'],
                                name=op.f('fk_material_case_id_mediation_case'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_material')),
    )
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_case_id'), ['case_id'], unique=False)

    op.create_table(
        'agreement_signature',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('party_id', sa.Integer(), nullable=True),
        sa.Column('party_name', sa.String(length=100), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('image_sha256', sa.String(length=64), nullable=True),
        sa.Column('document_sha256', sa.String(length=64), nullable=False),
        sa.Column('content_sha256', sa.String(length=64), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sa.String(length=80), nullable=False),
        sa.Column('confirmed_by', sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'],
                                name=op.f('fk_agreement_signature_case_id_mediation_case'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['party_id'], ['party.id'],
                                name=op.f('fk_agreement_signature_party_id_party')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_signature')),
    )
    with op.batch_alter_table('agreement_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_signature_case_id'), ['case_id'],
                              unique=False)

    op.create_table(
        'notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=30), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('party_id', sa.Integer(), nullable=True),
        sa.Column('recipient', sa.String(length=100), nullable=False),
        sa.Column('phone', sa.String(length=30), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result', sa.String(length=300), nullable=True),
        sa.Column('handled_by', sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'],
                                name=op.f('fk_notice_case_id_mediation_case'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['party_id'], ['party.id'],
                                name=op.f('fk_notice_party_id_party')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
        sa.UniqueConstraint('case_id', 'key', 'party_id',
                            name=op.f('uq_notice_case_id_key_party_id')),
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_notice_status', ['status', 'id'], unique=False)

    op.create_table(
        'case_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'],
                                name=op.f('fk_case_file_case_id_mediation_case'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_file')),
        sa.UniqueConstraint('case_id', name=op.f('uq_case_file_case_id')),
    )
    op.create_table(
        'document_template',
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_document_template')),
    )
    op.create_table(
        'status_lookup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('case_no', sa.String(length=60), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('found', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_status_lookup')),
    )
    with op.batch_alter_table('status_lookup', schema=None) as batch_op:
        batch_op.create_index('ix_status_lookup_client_at', ['client', 'at'], unique=False)
        batch_op.create_index('ix_status_lookup_case_no_at', ['case_no', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('status_lookup', schema=None) as batch_op:
        batch_op.drop_index('ix_status_lookup_case_no_at')
        batch_op.drop_index('ix_status_lookup_client_at')
    op.drop_table('status_lookup')
    op.drop_table('document_template')
    op.drop_table('case_file')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_status')
        batch_op.drop_index(batch_op.f('ix_notice_case_id'))
    op.drop_table('notice')
    with op.batch_alter_table('agreement_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_signature_case_id'))
    op.drop_table('agreement_signature')
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_case_id'))
    op.drop_table('material')
