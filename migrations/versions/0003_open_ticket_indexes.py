"""partial indexes of open tickets for the queue

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 08:06:45.932875

"""
from alembic import op
import sqlalchemy as sa

from kiosk_app import migration_steps as steps


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


OPEN = "status IN ('submitted', 'accepted', 'in_progress', 'needs_info')"


def upgrade():
    # Built while tickets stay writable (kiosk_app/migration_steps.py).
    for name, column in (('ix_tickets_open_community', 'community_id'), ('ix_tickets_open_grid', 'grid_id')):
        steps.create_index(name, 'tickets', [column, 'due_date', 'id'], unique=False,
                           postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))



def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_open_grid', postgresql_where=sa.text("status IN ('submitted', 'accepted', 'in_progress', 'needs_info')"), sqlite_where=sa.text("status IN ('submitted', 'accepted', 'in_progress', 'needs_info')"))
        batch_op.drop_index('ix_tickets_open_community', postgresql_where=sa.text("status IN ('submitted', 'accepted', 'in_progress', 'needs_info')"), sqlite_where=sa.text("status IN ('submitted', 'accepted', 'in_progress', 'needs_info')"))

