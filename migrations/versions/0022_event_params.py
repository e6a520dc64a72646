"""the system's timeline words as a kind plus parameters (shown in the reader's language); why a follow-up closed

Events written before keep working: a locker note's door number and a rating's level are read out of
the stored sentence into parameters, and the sentence is dropped (a rating's comment stays as typed).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 12:00:00

"""
import json
import re

from alembic import op
import sqlalchemy as sa

from kiosk_app import migration_steps as steps


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

LOCKER_NOTES = ('papers_deposited', 'result_ready', 'result_taken_back', 'locker_full', 'locker_fault',
                'door_jammed', 'door_unknown', 'dropoff_released', 'dropoff_escalated')
RATING_LABELS = {'Very satisfied': 5, '非常满意': 5, 'Satisfied': 4, '满意': 4, 'Basically satisfied': 3,
                 '基本满意': 3, 'Dissatisfied': 2, '不满意': 2, 'Very dissatisfied': 1, '非常不满意': 1}
events = sa.table('ticket_events', sa.column('id', sa.Integer), sa.column('action', sa.String),
                  sa.column('note', sa.Text), sa.column('params', sa.Text))


def _params(action: str, note: str) -> dict | None:
    if action == 'rated':
        label, _, comment = note.partition(': ')
        if label.strip() not in RATING_LABELS:
            return None
        return {'params': json.dumps({'level': RATING_LABELS[label.strip()]}), 'note': comment}
    number = re.search(r'\d+', note)
    return {'params': json.dumps({'number': int(number.group()) if number else 0}), 'note': ''}


def upgrade():
    # The columns first, committed at once; then the events a batch at a time, each committed
    # (kiosk_app/migration_steps.py).  An event already read out has its parameters: a run stopped
    # half way goes on with the others.
    if not steps.has_column('ticket_events', 'params'):
        with op.batch_alter_table('ticket_events', schema=None) as batch_op:
            batch_op.add_column(sa.Column('params', sa.Text(), nullable=False, server_default=''))
        with op.batch_alter_table('follow_ups', schema=None) as batch_op:
            batch_op.add_column(sa.Column('closed_reason', sa.String(length=20), nullable=False, server_default=''))
        steps.commit()
    for rows in steps.batches(events, events.c.action.in_(LOCKER_NOTES + ('rated',)), events.c.params == ''):
        changes = ({'id': row['id'], **(_params(row['action'], row['note'] or '') or {})} for row in rows)
        steps.update_rows(events, list(changes))


def downgrade():
    # Back to sentences: a rating's label (Chinese) before its comment; a locker note's kind and door.
    labels = {level: label for label, level in RATING_LABELS.items() if not label.isascii()}
    connection = op.get_bind()
    rows = connection.execute(sa.select(events.c.id, events.c.action, events.c.note, events.c.params).where(
        events.c.action.in_(LOCKER_NOTES + ('rated',)), events.c.params != '')).all()
    for event_id, action, note, params in rows:
        params = json.loads(params)
        if action == 'rated' and params.get('level') in labels:
            note = labels[params['level']] + (f': {note}' if note else '')
        elif action != 'rated':
            note = f"{action} {params.get('number', '')}".strip()
        connection.execute(sa.update(events).where(events.c.id == event_id).values(note=note))
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_column('closed_reason')
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_column('params')
