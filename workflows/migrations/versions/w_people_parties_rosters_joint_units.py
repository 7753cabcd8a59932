"""parties linked to their logins and representatives, mediators' specialties and the case's
mediator, units mediating a case jointly

Revision ID: w_people
Revises: w0001
Create Date: 2026-12-01 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'w_people'
down_revision = 'w0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('specialties', sa.JSON(), nullable=True))

    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('represented_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_party_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_party_person_id_person'), 'person', ['person_id'], ['id'],
            ondelete='SET NULL')
        batch_op.create_foreign_key(
            batch_op.f('fk_party_represented_by_id_party'), 'party', ['represented_by_id'], ['id'])

    with op.batch_alter_table('mediation_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mediator_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_mediation_case_mediator_id'), ['mediator_id'],
                              unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_mediation_case_mediator_id_person'), 'person', ['mediator_id'], ['id'])

    op.create_table('case_joint_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('invited_by', sa.String(length=80), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'],
                            name=op.f('fk_case_joint_unit_case_id_mediation_case'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'],
                            name=op.f('fk_case_joint_unit_org_unit_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_joint_unit')),
    sa.UniqueConstraint('case_id', 'org_unit_id',
                        name=op.f('uq_case_joint_unit_case_id_org_unit_id'))
    )
    with op.batch_alter_table('case_joint_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_joint_unit_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_joint_unit_org_unit_id'), ['org_unit_id'],
                              unique=False)

    # Parties no longer share a unit's queue: the open tasks still waiting in one go to the
    # mediators of that unit, who record the parties' answers (or give them to the party).
    op.execute(
        "UPDATE engine_human_task SET candidate_group = 'mediator:' || substr(candidate_group, 7) "
        "WHERE state = 'ready' AND candidate_group LIKE 'party:%'"
    )


def downgrade() -> None:
    with op.batch_alter_table('case_joint_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_joint_unit_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_case_joint_unit_case_id'))
    op.drop_table('case_joint_unit')

    with op.batch_alter_table('mediation_case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mediation_case_mediator_id_person'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_mediation_case_mediator_id'))
        batch_op.drop_column('mediator_id')

    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_party_represented_by_id_party'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_party_person_id_person'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_party_person_id'))
        batch_op.drop_column('represented_by_id')
        batch_op.drop_column('person_id')

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('specialties')
