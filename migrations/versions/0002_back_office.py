"""back office: grid ladder, staff grid posts, session version, ticket opened/completed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 07:49:25.134908

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grid_levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=50), nullable=False),
    sa.Column('name_en', sa.String(length=50), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_levels')),
    sa.UniqueConstraint('code', name=op.f('uq_grid_levels_code'))
    )
    op.create_table('staff_grids',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_staff_grids_grid_id_grids')),
    sa.ForeignKeyConstraint(['level_id'], ['grid_levels.id'], name=op.f('fk_staff_grids_level_id_grid_levels')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_grids_staff_id_staff')),
    sa.PrimaryKeyConstraint('staff_id', 'grid_id', name=op.f('pk_staff_grids'))
    )
    with op.batch_alter_table('staff_grids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_grids_grid_id'), ['grid_id'], unique=False)

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('physical_result', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('completed_at')
        batch_op.drop_column('opened_at')
        batch_op.drop_column('physical_result')

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('session_version')
        batch_op.drop_column('last_login_at')

    with op.batch_alter_table('staff_grids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_grids_grid_id'))

    op.drop_table('staff_grids')
    op.drop_table('grid_levels')
