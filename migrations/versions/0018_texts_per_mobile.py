"""the texts a mobile number had lately, found by an index (their number is capped)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 08:50:00

"""
from alembic import op

from kiosk_app import migration_steps as steps


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    steps.create_index('ix_notifications_mobile', 'notifications', ['to_mobile', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_mobile')
