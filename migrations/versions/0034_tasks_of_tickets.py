"""a task of a volunteer-eligible ticket offered to volunteers: tasks carry their community and belong
to a consultation or to a ticket

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 00:41:19.865927

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('community_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ticket_id', sa.Integer(), nullable=True))
    op.execute("UPDATE consultation_tasks SET community_id = (SELECT consultations.community_id FROM consultations"
               " WHERE consultations.id = consultation_tasks.consultation_id)")
    with op.batch_alter_table('consultation_tasks', schema=None) as batch_op:
        batch_op.alter_column('community_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('consultation_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f('ix_consultation_tasks_community_id'), ['community_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_consultation_tasks_ticket_id'), ['ticket_id'])
        batch_op.create_foreign_key(batch_op.f('fk_consultation_tasks_ticket_id_tickets'), 'tickets', ['ticket_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_consultation_tasks_community_id_areas'), 'areas', ['community_id'], ['id'])


def downgrade():
    op.execute("DELETE FROM volunteer_shifts WHERE task_id IN"
               " (SELECT id FROM consultation_tasks WHERE consultation_id IS NULL)")
    op.execute("DELETE FROM consultation_tasks WHERE consultation_id IS NULL")
    with op.batch_alter_table('consultation_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consultation_tasks_community_id_areas'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_consultation_tasks_ticket_id_tickets'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_consultation_tasks_ticket_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_consultation_tasks_community_id'))
        batch_op.alter_column('consultation_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('ticket_id')
        batch_op.drop_column('community_id')
