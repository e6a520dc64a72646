"""a task's title in English: a ticket's help is named after its service in both languages

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 03:33:27.855460

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_en', sa.String(length=200), nullable=False, server_default=''))
    op.execute("UPDATE consultation_tasks SET title_en = (SELECT tickets.service_name_en FROM tickets"
               " WHERE tickets.id = consultation_tasks.ticket_id) WHERE ticket_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table('consultation_tasks', schema=None) as batch_op:
        batch_op.drop_column('title_en')
