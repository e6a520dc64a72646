import logging
from logging.config import fileConfig

import sqlalchemy
from flask import current_app

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# The app's own loggers keep working after a migration run in its process (a test, flask restore).
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    # Flask-SQLAlchemy 3.1 deprecates db.get_engine(); the app's engine is db.engine.
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    def _transactional_ddl(connection):
        """SQLite's driver begins a transaction only before a change of rows, so a migration's
        CREATE TABLE would be kept while the copy of rows after it is rolled back, and a migration
        that stopped half way could not run again.  Here each transaction begins before its first
        statement, schema changes included; the driver's own way comes back with the connection."""
        driver = connection.connection.driver_connection
        driver.isolation_level = None
        sqlalchemy.event.listen(connection, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        restore.append(lambda: setattr(driver, "isolation_level", ""))

    restore = []

    with connectable.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch mode rebuilds a table by copying it; with foreign keys enforced, rebuilding a table
            # that others refer to (terminals, locker_items) fails as soon as it holds rows.  SQLite
            # only takes this outside a transaction, which is where the connection is now.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
            _transactional_ddl(connection)
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            # Each migration commits when it is done: the locks one takes end with it, and an upgrade
            # stopped half way keeps the migrations it finished (kiosk_app/migration_steps.py).
            transaction_per_migration=True,
            **conf_args
        )

        try:
            with context.begin_transaction():
                context.run_migrations()
        finally:
            for undo in restore:
                undo()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
