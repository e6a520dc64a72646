"""the catalogue administered in the browser: which communities offer an item (with a local note),
papers in the locker and their compartment size, icons, retired categories; a ticket keeps the name
of the service it was issued for

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 04:10:00

"""
from alembic import op
import sqlalchemy as sa

from kiosk_app import migration_steps as steps


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # A run stopped after its schema change (committed) goes on with the names.
    if not steps.has_column('tickets', 'service_name_zh'):
        op.create_table('community_services',
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('note_zh', sa.Text(), nullable=False),
        sa.Column('note_en', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['areas.id'], name=op.f('fk_community_services_community_id_areas')),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_community_services_service_id_services')),
        sa.PrimaryKeyConstraint('community_id', 'service_id', name=op.f('pk_community_services'))
        )
        with op.batch_alter_table('community_services', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_community_services_service_id'), ['service_id'], unique=False)
        # Until now every community offered the whole catalogue: it still does.
        op.execute("INSERT INTO community_services (community_id, service_id, note_zh, note_en) "
                   "SELECT areas.id, services.id, '', '' FROM areas, services WHERE areas.level = 'community'")

        # Plain ADD COLUMN (no table rebuild on SQLite: tickets is the big one).
        op.add_column('service_categories', sa.Column('icon', sa.String(length=32), nullable=False, server_default=''))
        op.add_column('service_categories', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
        op.add_column('services', sa.Column('papers_in_locker', sa.Boolean(), nullable=False, server_default=sa.true()))
        op.add_column('services', sa.Column('papers_size', sa.String(length=2), nullable=False, server_default='M'))
        op.add_column('services', sa.Column('icon', sa.String(length=32), nullable=False, server_default=''))
        op.add_column('tickets', sa.Column('service_name_zh', sa.String(length=100), nullable=False, server_default=''))
        op.add_column('tickets', sa.Column('service_name_en', sa.String(length=100), nullable=False, server_default=''))
        steps.commit()
    # The names filled in a range of tickets at a time, each range committed
    # (kiosk_app/migration_steps.py): a ticket being written waits for one range at most.
    steps.update_ranges('tickets', "service_name_zh = (SELECT name_zh FROM services WHERE services.id = tickets.service_id), "
                                   "service_name_en = (SELECT name_en FROM services WHERE services.id = tickets.service_id)")


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('service_name_en')
        batch_op.drop_column('service_name_zh')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('icon')
        batch_op.drop_column('papers_size')
        batch_op.drop_column('papers_in_locker')
    with op.batch_alter_table('service_categories', schema=None) as batch_op:
        batch_op.drop_column('active')
        batch_op.drop_column('icon')
    op.drop_table('community_services')
