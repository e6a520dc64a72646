"""locker: compartments, items, door events; received and withdrawn tickets; export records

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 08:16:26.343918

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


OLD_OPEN = "status IN ('submitted', 'accepted', 'in_progress', 'needs_info')"
NEW_OPEN = "status IN ('submitted', 'received', 'accepted', 'in_progress', 'needs_info')"


def _open_indexes(where):
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_open_grid')
        batch_op.drop_index('ix_tickets_open_community')
        batch_op.create_index('ix_tickets_open_community', ['community_id', 'due_date', 'id'], unique=False,
                              postgresql_where=sa.text(where), sqlite_where=sa.text(where))
        batch_op.create_index('ix_tickets_open_grid', ['grid_id', 'due_date', 'id'], unique=False,
                              postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def upgrade():
    # "Papers received" is an open state: the queue's partial indexes include it.
    _open_indexes(NEW_OPEN)
    # Every export of the queue is recorded.
    op.create_table('data_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filters', sa.String(length=500), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('unmasked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_data_exports_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports'))
    )
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_exports_staff_id'), ['staff_id'], unique=False)
    op.create_table('compartments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('size', sa.Enum('S', 'M', 'L', name='size', native_enum=False), nullable=False),
    sa.Column('board', sa.Integer(), nullable=False),
    sa.Column('lock', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('in_service', 'out_of_service', 'faulty', name='compartmentstate', native_enum=False, length=20), nullable=False),
    sa.Column('door', sa.Enum('closed', 'open', 'unknown', name='doorstate', native_enum=False, length=20), nullable=False),
    sa.Column('door_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_compartments_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compartments')),
    sa.UniqueConstraint('terminal_id', 'board', 'lock', name=op.f('uq_compartments_terminal_id_board_lock')),
    sa.UniqueConstraint('terminal_id', 'number', name=op.f('uq_compartments_terminal_id_number'))
    )
    with op.batch_alter_table('compartments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compartments_terminal_id'), ['terminal_id'], unique=False)

    op.create_table('locker_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compartment_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('submission', 'result', name='itemkind', native_enum=False, length=20), nullable=False),
    sa.Column('state', sa.Enum('reserved', 'held', 'done', 'cancelled', 'taken_back', name='itemstate', native_enum=False, length=20), nullable=False),
    sa.Column('pickup_code_hash', sa.String(length=128), nullable=True),
    sa.Column('pickup_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['compartment_id'], ['compartments.id'], name=op.f('fk_locker_items_compartment_id_compartments')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_locker_items_created_by_id_staff')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_locker_items_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locker_items'))
    )
    with op.batch_alter_table('locker_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locker_items_compartment_id'), ['compartment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_locker_items_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('uq_locker_items_active_compartment', ['compartment_id'], unique=True, postgresql_where=sa.text("state IN ('reserved', 'held')"), sqlite_where=sa.text("state IN ('reserved', 'held')"))

    op.create_table('door_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compartment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Enum('drop_off', 'collect', 'return', 'pickup', 'take_back', 'check', name='doorreason', native_enum=False, length=20), nullable=False),
    sa.Column('actor_staff_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_staff_id'], ['staff.id'], name=op.f('fk_door_events_actor_staff_id_staff')),
    sa.ForeignKeyConstraint(['compartment_id'], ['compartments.id'], name=op.f('fk_door_events_compartment_id_compartments')),
    sa.ForeignKeyConstraint(['item_id'], ['locker_items.id'], name=op.f('fk_door_events_item_id_locker_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_door_events'))
    )
    with op.batch_alter_table('door_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_door_events_compartment_id'), ['compartment_id'], unique=False)

    with op.batch_alter_table('terminals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lock_url', sa.String(length=200), nullable=False, server_default='sim://'))



def downgrade():
    _open_indexes(OLD_OPEN)
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_exports_staff_id'))
    op.drop_table('data_exports')
    with op.batch_alter_table('terminals', schema=None) as batch_op:
        batch_op.drop_column('lock_url')

    with op.batch_alter_table('door_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_door_events_compartment_id'))

    op.drop_table('door_events')
    with op.batch_alter_table('locker_items', schema=None) as batch_op:
        batch_op.drop_index('uq_locker_items_active_compartment', postgresql_where=sa.text("state IN ('reserved', 'held')"), sqlite_where=sa.text("state IN ('reserved', 'held')"))
        batch_op.drop_index(batch_op.f('ix_locker_items_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_locker_items_compartment_id'))

    op.drop_table('locker_items')
    with op.batch_alter_table('compartments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compartments_terminal_id'))

    op.drop_table('compartments')
