"""pickup codes of 8 digits: spaced-out attempts per screen or phone, and the keypad alert per terminal

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 18:20:00

"""
import hashlib
import hmac
from datetime import timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _code(secret, item_id, ticket_token, held_at, digits):
    # The derivation of services/locker.py's pickup_code as it stood at this revision, frozen here so
    # that a later change to it cannot change what this migration did.
    if held_at.tzinfo is None:  # SQLite gives timestamps back without their (UTC) zone
        held_at = held_at.replace(tzinfo=timezone.utc)
    moment = int(held_at.timestamp() * 1_000_000)
    digest = hmac.new(secret.encode(), f"pickup:{item_id}:{ticket_token}:{moment}".encode(), "sha256")
    return f"{int.from_bytes(digest.digest()[:8], 'big') % 10 ** digits:0{digits}d}"


def _rehash_waiting_codes(digits):
    """Results already waiting keep working: their code becomes the one of ``digits`` digits that
    their ticket's page now shows (a code sent earlier by text message no longer opens the door;
    the keypad's message points to the ticket's page)."""
    if op.get_context().as_sql:  # an SQL script has no rows to read
        return
    from flask import current_app

    secret = current_app.config["SECRET_KEY"]
    items = sa.table('locker_items', sa.column('id', sa.Integer), sa.column('ticket_id', sa.Integer),
                     sa.column('kind', sa.String), sa.column('state', sa.String),
                     sa.column('held_at', sa.DateTime(timezone=True)),
                     sa.column('pickup_code_hash', sa.String))
    tickets = sa.table('tickets', sa.column('id', sa.Integer), sa.column('token', sa.String))
    connection = op.get_bind()
    waiting = connection.execute(
        sa.select(items.c.id, tickets.c.token, items.c.held_at)
        .select_from(items.join(tickets, tickets.c.id == items.c.ticket_id))
        .where(items.c.kind == 'result', items.c.state == 'held', items.c.pickup_code_hash.is_not(None),
               items.c.held_at.is_not(None))).all()
    for item_id, token, held_at in waiting:
        code = _code(secret, item_id, token, held_at, digits)
        connection.execute(items.update().where(items.c.id == item_id).values(
            pickup_code_hash=hashlib.sha256(f"{secret}:{code}".encode()).hexdigest()))


def upgrade():
    with op.batch_alter_table('throttles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('terminals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keypad_alert_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('keypad_alert_failures', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('keypad_alert_until', sa.DateTime(timezone=True), nullable=True))

    _rehash_waiting_codes(8)


def downgrade():
    _rehash_waiting_codes(6)

    with op.batch_alter_table('terminals', schema=None) as batch_op:
        batch_op.drop_column('keypad_alert_until')
        batch_op.drop_column('keypad_alert_failures')
        batch_op.drop_column('keypad_alert_at')

    with op.batch_alter_table('throttles', schema=None) as batch_op:
        batch_op.drop_column('last_at')
