"""receipt printers per terminal, and the receipts printed (each once)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:38:22.914437

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('print_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('printing', 'printed', 'failed', name='printstate', native_enum=False, length=20), nullable=False),
    sa.Column('fault', sa.Enum('offline', 'paper_out', 'no_answer', 'error', name='printerfaultkind', native_enum=False, length=20), nullable=True),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_print_jobs_terminal_id_terminals')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_print_jobs_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_jobs')),
    sa.UniqueConstraint('key', name=op.f('uq_print_jobs_key'))
    )
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_jobs_terminal_id'), ['terminal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_print_jobs_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('terminals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('printer_url', sa.String(length=200), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('printer_state', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('printer_detail', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('printer_checked_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('terminals', schema=None) as batch_op:
        batch_op.drop_column('printer_checked_at')
        batch_op.drop_column('printer_detail')
        batch_op.drop_column('printer_state')
        batch_op.drop_column('printer_url')

    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_print_jobs_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_print_jobs_terminal_id'))

    op.drop_table('print_jobs')
