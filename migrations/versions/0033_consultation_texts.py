"""texts to the households of a consultation that agreed to them: a member's consent, and when the
vote's opening and its result were texted

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 23:20:22.441919

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vote_texted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('result_texted_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('household_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consultation_texts', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('household_members', schema=None) as batch_op:
        batch_op.drop_column('consultation_texts')

    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_column('result_texted_at')
        batch_op.drop_column('vote_texted_at')

