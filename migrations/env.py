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
    context.configure(
        connection=connection,
        version_table_schema="calib" if is_pg else None,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("calibcert migrations run online only (they execute frozen SQL files)")
run_migrations_online()
