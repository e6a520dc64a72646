"""open tickets by due date across communities, for a district's queue

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 15:10:00

"""
import sqlalchemy as sa

from kiosk_app import migration_steps as steps


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

OPEN_SQL = "status IN ('submitted', 'received', 'accepted', 'in_progress', 'needs_info', 'discussing', 'decided')"


def upgrade():
    steps.commit()
    steps.create_index('ix_tickets_open_due', 'tickets', ['due_date', 'id'], unique=False,
                       postgresql_where=sa.text(OPEN_SQL), sqlite_where=sa.text(OPEN_SQL))


def downgrade():
    steps.commit()
    steps.drop_index('ix_tickets_open_due', 'tickets')
