"""ID numbers, mobile numbers and two-factor secrets sealed at rest, with keyed digests for look-ups

The values already stored are sealed here with the running app's key (PERSONAL_DATA_KEYS): set it
before upgrading a database that holds residents' data.  Downgrading opens them again.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 11:00:00

"""
from alembic import op
import sqlalchemy as sa

from kiosk_app import migration_steps as steps


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# table, key column, sealed columns (with the digest column each keeps, if any)
SEALED = (
    ('tickets', (('resident_mobile', 'mobile_lookup'), ('id_number', 'id_number_lookup'))),
    ('notifications', (('to_mobile', 'mobile_lookup'),)),
    ('staff', (('totp_secret', None),)),
)


def _rewrite(seal: bool) -> None:
    from kiosk_app.models.sealed import key_id_of, keyring

    ring = keyring()
    for table_name, columns in SEALED:
        names = [name for name, _ in columns] + [digest for _, digest in columns if digest]
        table = sa.table(table_name, sa.column('id', sa.Integer), *(sa.column(name, sa.String) for name in names))
        # A batch at a time, each committed; a value already sealed is left as it is, so a run
        # stopped half way goes on where it stopped.
        for rows in steps.batches(table):
            changes = []
            for row in rows:
                values = {'id': row['id']}
                for name, digest in columns:
                    value, context = row[name], f'{table_name}.{name}'
                    if not value:
                        continue
                    if seal and key_id_of(value) is None:
                        values[name] = ring.seal(value, context)
                        if digest:
                            values[digest] = ring.lookup(value)
                    elif not seal and key_id_of(value) is not None:
                        values[name] = ring.open(value, context)
                changes.append(values)
            steps.update_rows(table, changes)


def upgrade():
    # The schema change first, committed at once (widening a varchar and adding a column with a
    # constant default rewrite nothing on PostgreSQL); then the rows a batch at a time; then the
    # digests' indexes, built while the tables stay writable (kiosk_app/migration_steps.py).
    if not steps.has_column('tickets', 'mobile_lookup'):  # else a run stopped half way did it
        with op.batch_alter_table('tickets', schema=None) as batch_op:
            batch_op.alter_column('resident_mobile', existing_type=sa.String(length=11), type_=sa.String(length=160),
                                  existing_nullable=False)
            batch_op.alter_column('id_number', existing_type=sa.String(length=18), type_=sa.String(length=160),
                                  existing_nullable=True)
            batch_op.add_column(sa.Column('mobile_lookup', sa.String(length=32), nullable=False, server_default=''))
            batch_op.add_column(sa.Column('id_number_lookup', sa.String(length=32), nullable=True))
        with op.batch_alter_table('notifications', schema=None) as batch_op:
            batch_op.alter_column('to_mobile', existing_type=sa.String(length=11), type_=sa.String(length=160),
                                  existing_nullable=False)
            batch_op.add_column(sa.Column('mobile_lookup', sa.String(length=32), nullable=False, server_default=''))
            batch_op.drop_index('ix_notifications_mobile')
        with op.batch_alter_table('staff', schema=None) as batch_op:
            batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=160),
                                  existing_nullable=True)
        with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
            batch_op.add_column(sa.Column('two_factor_setup', sa.String(length=160), nullable=True))
        steps.commit()
    _rewrite(seal=True)
    steps.create_index('ix_tickets_mobile_lookup', 'tickets', ['mobile_lookup'], unique=False)
    steps.create_index('ix_tickets_id_number_lookup', 'tickets', ['id_number_lookup'], unique=False)
    steps.create_index('ix_notifications_mobile', 'notifications', ['mobile_lookup', 'created_at'], unique=False)


def downgrade():
    _rewrite(seal=False)
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_column('two_factor_setup')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=160), type_=sa.String(length=64),
                              existing_nullable=True)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_mobile')
        batch_op.create_index('ix_notifications_mobile', ['to_mobile', 'created_at'], unique=False)
        batch_op.drop_column('mobile_lookup')
        batch_op.alter_column('to_mobile', existing_type=sa.String(length=160), type_=sa.String(length=11),
                              existing_nullable=False)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_id_number_lookup'))
        batch_op.drop_index(batch_op.f('ix_tickets_mobile_lookup'))
        batch_op.drop_column('id_number_lookup')
        batch_op.drop_column('mobile_lookup')
        batch_op.alter_column('id_number', existing_type=sa.String(length=160), type_=sa.String(length=18),
                              existing_nullable=True)
        batch_op.alter_column('resident_mobile', existing_type=sa.String(length=160), type_=sa.String(length=11),
                              existing_nullable=False)
