"""the unattended locker: lock boards' health, unguessable item tokens, compartments to check

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 19:40:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

ACTIVE = "state IN ('reserved', 'held')"


def upgrade():
    op.create_table('lock_boards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('fault', sa.String(length=300), nullable=False),
    sa.Column('fault_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_lock_boards_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lock_boards')),
    sa.UniqueConstraint('terminal_id', 'number', name=op.f('uq_lock_boards_terminal_id_number'))
    )

    # Items made before tokens existed get one each, then the column is required and unique.
    with op.batch_alter_table('locker_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=32), nullable=True))
    items = sa.table('locker_items', sa.column('id', sa.Integer), sa.column('token', sa.String))
    connection = op.get_bind()
    for (item_id,) in connection.execute(sa.select(items.c.id)).all():
        connection.execute(items.update().where(items.c.id == item_id).values(token=secrets.token_urlsafe(18)))
    with op.batch_alter_table('locker_items', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_locker_items_token'), ['token'])
        batch_op.create_index('uq_locker_items_active_ticket_kind', ['ticket_id', 'kind'], unique=True,
                              postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))


def downgrade():
    with op.batch_alter_table('locker_items', schema=None) as batch_op:
        batch_op.drop_index('uq_locker_items_active_ticket_kind')
        batch_op.drop_constraint(batch_op.f('uq_locker_items_token'), type_='unique')
        batch_op.drop_column('token')
    op.drop_table('lock_boards')
