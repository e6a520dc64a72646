"""residents deciding together (民议 · 民决): consultations, their options, buildings, comments and
votes (one row per household, the choice sealed), one-time codes texted to residents; a text in the
outbox may be about a consultation rather than a ticket

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 22:16:08.175224

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('buildings', 'grid', 'community', name='consultationscope', native_enum=False, length=16), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('matter', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'open', 'closed', name='consultationstate', native_enum=False, length=16), nullable=False),
    sa.Column('discussion_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('discussion_to', sa.DateTime(timezone=True), nullable=False),
    sa.Column('vote_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('vote_to', sa.DateTime(timezone=True), nullable=False),
    sa.Column('meeting_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('meeting_place', sa.String(length=200), nullable=False),
    sa.Column('turnout_num', sa.SmallInteger(), nullable=False),
    sa.Column('turnout_den', sa.SmallInteger(), nullable=False),
    sa.Column('agree_num', sa.SmallInteger(), nullable=False),
    sa.Column('agree_den', sa.SmallInteger(), nullable=False),
    sa.Column('agree_strict', sa.Boolean(), nullable=False),
    sa.Column('households_in_scope', sa.Integer(), nullable=True),
    sa.Column('adopted_option_id', sa.Integer(), nullable=True),
    sa.Column('adopted', sa.Boolean(), nullable=True),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['areas.id'], name=op.f('fk_consultations_community_id_areas')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_consultations_created_by_id_staff')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_consultations_grid_id_grids')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_consultations_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations')),
    sa.UniqueConstraint('token', name=op.f('uq_consultations_token'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultations_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('consultation_buildings',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_consultation_buildings_building_id_buildings')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_buildings_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('consultation_id', 'building_id', name=op.f('pk_consultation_buildings'))
    )
    with op.batch_alter_table('consultation_buildings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_buildings_building_id'), ['building_id'], unique=False)

    op.create_table('consultation_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('author_label', sa.String(length=60), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_reason', sa.String(length=200), nullable=False),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_comments_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['staff.id'], name=op.f('fk_consultation_comments_hidden_by_id_staff')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_consultation_comments_household_id_households')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_consultation_comments_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_comments'))
    )
    with op.batch_alter_table('consultation_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_comments_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_comments_household_id'), ['household_id'], unique=False)

    op.create_table('consultation_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('for', 'against', 'abstain', name='optionkind', native_enum=False, length=16), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_options_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_options'))
    )
    with op.batch_alter_table('consultation_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_options_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('consultation_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=160), nullable=False),
    sa.Column('channel', sa.Enum('phone', 'kiosk', 'paper', name='votechannel', native_enum=False, length=16), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('times', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_votes_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_consultation_votes_household_id_households')),
    sa.ForeignKeyConstraint(['member_id'], ['household_members.id'], name=op.f('fk_consultation_votes_member_id_household_members')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_consultation_votes_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_votes')),
    sa.UniqueConstraint('consultation_id', 'household_id', name=op.f('uq_consultation_votes_consultation_id_household_id'))
    )
    with op.batch_alter_table('consultation_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_votes_household_id'), ['household_id'], unique=False)

    op.create_table('resident_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('mobile_lookup', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('texted', sa.Boolean(), nullable=False),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['household_members.id'], name=op.f('fk_resident_codes_member_id_household_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_codes'))
    )
    with op.batch_alter_table('resident_codes', schema=None) as batch_op:
        batch_op.create_index('ix_resident_codes_purpose_number', ['purpose', 'mobile_lookup'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consultation_id', sa.Integer(), nullable=True))
        batch_op.alter_column('ticket_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_notifications_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_consultation_id_consultations'), 'consultations', ['consultation_id'], ['id'])



def downgrade():
    op.execute("DELETE FROM notifications WHERE ticket_id IS NULL")  # (texts about consultations)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_consultation_id_consultations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notifications_consultation_id'))
        batch_op.alter_column('ticket_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('consultation_id')

    with op.batch_alter_table('resident_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_resident_codes_purpose_number')

    op.drop_table('resident_codes')
    with op.batch_alter_table('consultation_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_votes_household_id'))

    op.drop_table('consultation_votes')
    with op.batch_alter_table('consultation_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_options_consultation_id'))

    op.drop_table('consultation_options')
    with op.batch_alter_table('consultation_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_comments_household_id'))
        batch_op.drop_index(batch_op.f('ix_consultation_comments_consultation_id'))

    op.drop_table('consultation_comments')
    with op.batch_alter_table('consultation_buildings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_buildings_building_id'))

    op.drop_table('consultation_buildings')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultations_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_consultations_community_id'))

    op.drop_table('consultations')
