"""door commands for terminal agents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:00:45.233345

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('door_commands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('compartment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Enum('drop_off', 'collect', 'return', 'pickup', 'take_back', 'check', name='doorreason', native_enum=False, length=20), nullable=False),
    sa.Column('actor_staff_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Enum('pending', 'done', 'failed', name='commandstate', native_enum=False, length=20), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_staff_id'], ['staff.id'], name=op.f('fk_door_commands_actor_staff_id_staff')),
    sa.ForeignKeyConstraint(['compartment_id'], ['compartments.id'], name=op.f('fk_door_commands_compartment_id_compartments')),
    sa.ForeignKeyConstraint(['item_id'], ['locker_items.id'], name=op.f('fk_door_commands_item_id_locker_items')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_door_commands_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_door_commands'))
    )
    with op.batch_alter_table('door_commands', schema=None) as batch_op:
        batch_op.create_index('ix_door_commands_pending', ['terminal_id', 'state'], unique=False)



def downgrade():
    with op.batch_alter_table('door_commands', schema=None) as batch_op:
        batch_op.drop_index('ix_door_commands_pending')

    op.drop_table('door_commands')
