"""history views newest first, page after page by id: indexes on (community, id), (grid, id) and
(community or grid, status, id) instead of (…, status, due date)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 15:00:00

"""
from alembic import op

from kiosk_app import migration_steps as steps


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def _indexes(status_last: str, with_history: bool) -> None:
    # Built while tickets stay writable (kiosk_app/migration_steps.py).
    for name, column in (('ix_tickets_queue', 'community_id'), ('ix_tickets_grid_queue', 'grid_id')):
        steps.drop_index(name, 'tickets')
        steps.create_index(name, 'tickets', [column, 'status', status_last], unique=False)
    for name, column in (('ix_tickets_community_history', 'community_id'), ('ix_tickets_grid_history', 'grid_id')):
        if with_history:
            steps.create_index(name, 'tickets', [column, 'id'], unique=False)
        else:
            steps.drop_index(name, 'tickets')


def upgrade():
    steps.commit()
    _indexes('id', with_history=True)


def downgrade():
    steps.commit()
    _indexes('due_date', with_history=False)
