"""a grid's site plan (总平面图) behind the buildings on its plan

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 22:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'grid_site_plans',
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=16), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_grid_site_plans_grid_id_grids')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff.id'], name=op.f('fk_grid_site_plans_uploaded_by_id_staff')),
        sa.PrimaryKeyConstraint('grid_id', name=op.f('pk_grid_site_plans')),
    )


def downgrade():
    op.drop_table('grid_site_plans')
