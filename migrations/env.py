"""alembic environment for calibcert.

One chain of revisions serves both backends: each revision does the PostgreSQL work with
the frozen SQL next to it, or the SQLite work, by dialect. On PostgreSQL alembic's version
table lives in schema ``calib`` (created first if missing).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = create_engine(url, poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:
    is_pg = connection.dialect.name == "postgresql"
    if is_pg:
        connection.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS calib")
        connection.commit()
    else:
        # pysqlite's default (legacy) transaction handling opens a transaction before an
        # INSERT, UPDATE or DELETE but not before DDL, so a revision failing midway would
        # keep the tables it created before its first INSERT. An explicit BEGIN makes the
        # whole upgrade (alembic's version table included) one transaction, committed or
        # rolled back by alembic as on PostgreSQL. A caller's connection already in a
        # transaction (calibcert.migrate's dry run) is left as it is.
        raw = connection.connection.driver_connection
        if not raw.in_transaction:
            raw.execute("BEGIN")
    context.configure(
        connection=connection,
        version_table_schema="calib" if is_pg else None,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if not is_pg:
        # WAL (readers never wait for the writer) is persistent in the file but cannot be
        # switched on inside a transaction: 0001's PRAGMA runs inside the upgrade's, so it
        # is set here, after the commit, before any connection of the backend opens the
        # file (concurrent first connections then never race to switch).
        raw = connection.connection.driver_connection
        if not raw.in_transaction:
            raw.execute("PRAGMA journal_mode = WAL")


if context.is_offline_mode():
    raise SystemExit("calibcert migrations run online only (they execute frozen SQL files)")
run_migrations_online()
