"""administration in the browser: the audit trail, and one-time passwords to change at first sign-in

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_staff_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('entity_name', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_staff_id'], ['staff.id'], name=op.f('fk_audit_events_actor_staff_id_staff')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_audit_events_area_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_staff_id'), ['actor_staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_area_id'), ['area_id'], unique=False)
        batch_op.create_index('ix_audit_events_entity', ['entity', 'entity_id'], unique=False)
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
    op.drop_table('audit_events')
