"""民办 · 民评 · 志愿云: the tasks a decided consultation takes, volunteers and their shifts (signed up,
checked in and out, minutes confirmed), households' judgement of how it was carried out, and the
follow-up a poor judgement opens (a follow-up is a ticket's or a consultation's)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 22:51:05.253757

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('volunteers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('mobile', sa.String(length=160), nullable=False),
    sa.Column('mobile_lookup', sa.String(length=32), nullable=False),
    sa.Column('skills', sa.String(length=200), nullable=False),
    sa.Column('available', sa.String(length=200), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['areas.id'], name=op.f('fk_volunteers_community_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteers')),
    sa.UniqueConstraint('community_id', 'mobile_lookup', name=op.f('uq_volunteers_community_id_mobile_lookup'))
    )
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteers_community_id'), ['community_id'], unique=False)

    op.create_table('consultation_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('channel', sa.Enum('phone', 'kiosk', 'paper', name='votechannel', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_ratings_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_consultation_ratings_household_id_households')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_ratings')),
    sa.UniqueConstraint('consultation_id', 'household_id', name=op.f('uq_consultation_ratings_consultation_id_household_id'))
    )
    with op.batch_alter_table('consultation_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_ratings_household_id'), ['household_id'], unique=False)

    op.create_table('consultation_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('owner_kind', sa.Enum('staff', 'grid', 'organisation', 'volunteers', name='taskowner', native_enum=False, length=16), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('planned', 'underway', 'done', name='taskstate', native_enum=False, length=16), nullable=False),
    sa.Column('progress', sa.Text(), nullable=False),
    sa.Column('volunteers_wanted', sa.SmallInteger(), nullable=False),
    sa.Column('check_token', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_tasks_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_tasks')),
    sa.UniqueConstraint('check_token', name=op.f('uq_consultation_tasks_check_token'))
    )
    with op.batch_alter_table('consultation_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_tasks_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('volunteer_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('signed_up_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('minutes_confirmed', sa.Integer(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['staff.id'], name=op.f('fk_volunteer_shifts_confirmed_by_id_staff')),
    sa.ForeignKeyConstraint(['task_id'], ['consultation_tasks.id'], name=op.f('fk_volunteer_shifts_task_id_consultation_tasks')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_volunteer_shifts_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_shifts')),
    sa.UniqueConstraint('task_id', 'volunteer_id', name=op.f('uq_volunteer_shifts_task_id_volunteer_id'))
    )
    with op.batch_alter_table('volunteer_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_shifts_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_shifts_volunteer_id'), ['volunteer_id'], unique=False)

    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consultation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('household_id', sa.Integer(), nullable=True))
        batch_op.alter_column('ticket_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_follow_ups_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_follow_ups_household_id_households'), 'households', ['household_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_follow_ups_consultation_id_consultations'), 'consultations', ['consultation_id'], ['id'])



def downgrade():
    op.execute("DELETE FROM follow_ups WHERE ticket_id IS NULL")  # (follow-ups of consultations)
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_follow_ups_consultation_id_consultations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_follow_ups_household_id_households'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_follow_ups_consultation_id'))
        batch_op.alter_column('ticket_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('household_id')
        batch_op.drop_column('consultation_id')

    with op.batch_alter_table('volunteer_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_shifts_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_shifts_task_id'))

    op.drop_table('volunteer_shifts')
    with op.batch_alter_table('consultation_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_tasks_consultation_id'))

    op.drop_table('consultation_tasks')
    with op.batch_alter_table('consultation_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_ratings_household_id'))

    op.drop_table('consultation_ratings')
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteers_community_id'))

    op.drop_table('volunteers')
