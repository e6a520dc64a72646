"""proposals (民事民提): a catalogue flag, and the two new open states in the queue's partial indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 11:55:00

"""
from alembic import op
import sqlalchemy as sa

from kiosk_app import migration_steps as steps


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD_OPEN = "status IN ('submitted', 'received', 'accepted', 'in_progress', 'needs_info')"
NEW_OPEN = "status IN ('submitted', 'received', 'accepted', 'in_progress', 'needs_info', 'discussing', 'decided')"


def _open_indexes(where):
    # Dropped and built again while tickets stay writable (kiosk_app/migration_steps.py): the queue
    # reads without them for the seconds that takes.
    steps.commit()
    for name, column in (('ix_tickets_open_community', 'community_id'), ('ix_tickets_open_grid', 'grid_id')):
        steps.drop_index(name, 'tickets')
        steps.create_index(name, 'tickets', [column, 'due_date', 'id'], unique=False,
                           postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_proposal', sa.Boolean(), nullable=False, server_default=sa.false()))
    # "Under discussion" and "decided" are open states: the queue's partial indexes include them.
    _open_indexes(NEW_OPEN)


def downgrade():
    _open_indexes(OLD_OPEN)
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('is_proposal')
