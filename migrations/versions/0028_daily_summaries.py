"""figures from summaries the database keeps per day and month (tickets received, completed with
how long they took, ratings, per place); a completed ticket keeps its office time, a rating the
place it was given

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
from flask import current_app
import sqlalchemy as sa

from kiosk_app import migration_steps as steps
from kiosk_app.models import daily, ticket_count
from kiosk_app.models.base import UTCDateTime
from kiosk_app.services import workdays


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

TICKETS = sa.table('tickets', sa.column('id', sa.Integer), sa.column('created_at', UTCDateTime()),
                   sa.column('completed_at', UTCDateTime()), sa.column('working_seconds', sa.Integer))
OPEN_SQL = "status IN ('submitted', 'received', 'accepted', 'in_progress', 'needs_info', 'discussing', 'decided')"
OPEN_INDEXES = {'ix_tickets_open_community': ['community_id', 'due_date', 'id'],
                'ix_tickets_open_grid': ['grid_id', 'due_date', 'id'], 'ix_tickets_open_due': ['due_date', 'id']}
CALENDAR = sa.table('calendar_days', sa.column('day', sa.Date), sa.column('workday', sa.Boolean))


def place():
    """The columns every summary's key starts with: per day or month, community and grid."""
    return [sa.Column('grain', sa.String(length=5), nullable=False), sa.Column('day', sa.Date(), nullable=False),
            sa.Column('community_id', sa.Integer(), nullable=False),
            sa.Column('grid_id', sa.Integer(), nullable=False)]


def upgrade():
    if not steps.has_column('tickets', 'working_seconds'):
        op.add_column('tickets', sa.Column('working_seconds', sa.Integer(), nullable=True))
    for name in ('community_id', 'grid_id', 'service_id'):
        if not steps.has_column('ratings', name):
            op.add_column('ratings', sa.Column(name, sa.Integer(), nullable=True))
    op.create_table(
        'ticket_days', *place(),
        sa.Column('service_id', sa.Integer(), nullable=False), sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False), sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('grain', 'day', 'community_id', 'grid_id', 'service_id', 'status', 'due_date',
                                name=op.f('pk_ticket_days')),
        if_not_exists=True)
    op.create_table(
        'completion_days', *place(),
        sa.Column('kind', sa.String(length=10), nullable=False), sa.Column('tenths', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('grain', 'day', 'community_id', 'grid_id', 'kind', 'tenths',
                                name=op.f('pk_completion_days')),
        if_not_exists=True)
    op.create_table(
        'rating_days', *place(),
        sa.Column('service_id', sa.Integer(), nullable=False), sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('grain', 'day', 'community_id', 'grid_id', 'service_id', 'level',
                                name=op.f('pk_rating_days')),
        if_not_exists=True)
    # The triggers and the first count in one transaction (writes to tickets wait for one GROUP BY of
    # the table); then the new columns filled a batch at a time, the triggers counting each change.
    connection = op.get_bind()
    daily.create_triggers(connection)
    daily.recount(connection)
    steps.commit()
    for name in ('community_id', 'grid_id', 'service_id'):
        steps.update_ranges('ratings', f'{name} = (SELECT t.{name} FROM tickets t WHERE t.id = ratings.ticket_id)')
    clock = workdays.OfficeClock(workdays.parse_office_hours(current_app.config['OFFICE_HOURS']),
                                 tuple(connection.execute(sa.select(CALENDAR)).tuples()))
    for rows in steps.batches(TICKETS, TICKETS.c.completed_at.is_not(None), TICKETS.c.working_seconds.is_(None)):
        steps.update_rows(TICKETS, [{'id': row['id'], 'working_seconds': clock.seconds_between(
            row['created_at'], row['completed_at'])} for row in rows])
    # The figures no longer read tickets by when they came in or were completed (0027's indexes), and
    # the open tickets' indexes carry their status (overdue counts per status from the index alone).
    steps.drop_index('ix_tickets_completed_at', 'tickets')
    steps.drop_index('ix_tickets_created_at', 'tickets')
    if steps.live():
        for name, columns in OPEN_INDEXES.items():
            steps.create_index(f'{name}_new', 'tickets', columns, postgresql_where=sa.text(OPEN_SQL),
                               postgresql_include=['status'])
            steps.drop_index(name, 'tickets')
            op.execute(f'ALTER INDEX {name}_new RENAME TO {name}')


def downgrade():
    steps.commit()
    steps.create_index('ix_tickets_created_at', 'tickets', ['created_at'])
    steps.create_index('ix_tickets_completed_at', 'tickets', ['completed_at'],
                       postgresql_where=sa.text('completed_at IS NOT NULL'),
                       sqlite_where=sa.text('completed_at IS NOT NULL'))
    if steps.live():
        for name, columns in OPEN_INDEXES.items():
            steps.create_index(f'{name}_old', 'tickets', columns, postgresql_where=sa.text(OPEN_SQL))
            steps.drop_index(name, 'tickets')
            op.execute(f'ALTER INDEX {name}_old RENAME TO {name}')
    connection = op.get_bind()
    for item in daily.ALL:
        for statement in item.drop(connection.dialect.name):
            op.execute(statement)
    for table in ('rating_days', 'completion_days', 'ticket_days'):
        op.drop_table(table)
    with op.batch_alter_table('ratings') as batch:
        for name in ('service_id', 'grid_id', 'community_id'):
            batch.drop_column(name)
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('working_seconds')
    ticket_count.create_triggers(connection)  # SQLite rebuilt the table without them
