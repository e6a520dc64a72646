"""figures for a period read the tickets that came in or were completed in it, by index

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 15:30:00

"""
import sqlalchemy as sa

from kiosk_app import migration_steps as steps


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

COMPLETED = "completed_at IS NOT NULL"


def upgrade():
    steps.commit()
    steps.create_index('ix_tickets_created_at', 'tickets', ['created_at'], unique=False)
    steps.create_index('ix_tickets_completed_at', 'tickets', ['completed_at'], unique=False,
                       postgresql_where=sa.text(COMPLETED), sqlite_where=sa.text(COMPLETED))


def downgrade():
    steps.commit()
    steps.drop_index('ix_tickets_completed_at', 'tickets')
    steps.drop_index('ix_tickets_created_at', 'tickets')
