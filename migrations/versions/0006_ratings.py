"""ratings and follow-ups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:13:33.861300

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('open', 'closed', name='followupstate', native_enum=False, length=20), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('actions_taken', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['staff.id'], name=op.f('fk_follow_ups_closed_by_id_staff')),
    sa.ForeignKeyConstraint(['community_id'], ['areas.id'], name=op.f('fk_follow_ups_community_id_areas')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_follow_ups_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ratings_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_ratings_ticket_id'))
    )


def downgrade():
    op.drop_table('ratings')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_community_id'))

    op.drop_table('follow_ups')
