"""the org tree administered in the browser: areas, grids and buildings retired rather than deleted;
a building's units

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 04:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('areas', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('grids', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('buildings', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('buildings', sa.Column('units', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.drop_column('units')
        batch_op.drop_column('active')
    with op.batch_alter_table('grids', schema=None) as batch_op:
        batch_op.drop_column('active')
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.drop_column('active')
