"""alembic environment for calibcert.

One chain of revisions serves both backends: each revision does the PostgreSQL work with
the frozen SQL next to it, or the SQLite work, by dialect. On PostgreSQL alembic's version
table lives in schema ``calib`` (created first if missing).

Offline (``alembic upgrade --sql``, ``calibcert db upgrade --sql``), PostgreSQL only: the
same revisions print their frozen files instead of running them (``_frozen.run_file``), after
a guard on the starting revision; alembic prints its own version-table statements.

Both start with sql/schema/preamble.sql (``calibcert.schema.preamble_sql``), before any
revision: ``search_path = pg_catalog, pg_temp`` for the session, so no DDL of any revision
binds a name to an object planted in public (the frozen files of released revisions name
built-ins unqualified and cannot change), and btree_gist in schema calib_ext.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from calibcert.schema import preamble_sql

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
        # First, on the driver's connection as one simple query (the DO block's text is
        # not a template): the pinned search_path holds for the session, so for every
        # revision below.
        with connection.connection.driver_connection.cursor() as cur:
            cur.execute(preamble_sql().encode())
        connection.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS calib")
        if config.attributes.get("role_prefix") is not None:
            # For the session: sql/schema/roles.sql reads it (and refuses a bad one).
            connection.exec_driver_sql(
                "SELECT pg_catalog.set_config('calib.role_prefix', %s, false)",
                (config.attributes["role_prefix"],))
        # No commit here: the preamble (btree_gist, calib_ext), the schema and every
        # revision are one transaction, so an install that fails (a non-superuser without
        # the rights, README "Who installs") leaves nothing behind. alembic sees the open
        # transaction as the caller's and leaves its commit to us (below).
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
        if is_pg and config.attributes.get("role_prefix") is not None:
            _check_role_prefix(connection, config.attributes["role_prefix"])
    if is_pg:
        connection.commit()  # the transaction the preamble opened (calibcert.migrate's dry
        # run makes this engine's commits no-ops, and rolls back)
    else:
        # WAL (readers never wait for the writer) is persistent in the file but cannot be
        # switched on inside a transaction: 0001's PRAGMA runs inside the upgrade's, so it
        # is set here, after the commit, before any connection of the backend opens the
        # file (concurrent first connections then never race to switch).
        raw = connection.connection.driver_connection
        if not raw.in_transaction:
            raw.execute("PRAGMA journal_mode = WAL")


def _check_role_prefix(connection, wanted: str) -> None:
    """A prefix asked for a database that was installed with another one is refused, also
    when no revision ran (sql/schema/roles.sql refuses it when one does): the prefix names
    the roles every grant of the database went to, and is never changed."""
    if not connection.exec_driver_sql(
            "SELECT to_regclass('calib.installation') IS NOT NULL").scalar():
        return  # an upgrade to a revision before 0012: no prefix yet
    installed = connection.exec_driver_sql("SELECT role_prefix FROM calib.installation").scalar()
    if installed != wanted:
        raise ValueError(f"this database's calibcert roles have the prefix {installed}, chosen "
                         f"at its first install; --role-prefix {wanted} cannot change it")


def run_migrations_offline() -> None:
    """``alembic upgrade --sql`` (``calibcert db upgrade --sql``): print the SQL of each step,
    PostgreSQL only, for ``psql -X -v ON_ERROR_STOP=1 -1 -f``.

    No BEGIN / COMMIT of its own (psql's ``-1`` makes the script one transaction). Before any
    step a guard checks that the database is at the revision the script starts from (no
    calibcert version row for a script from the start), so a script applied to the wrong
    database stops before it changes anything."""
    url = config.get_main_option("sqlalchemy.url")
    if not url.startswith("postgresql"):
        raise SystemExit("calibcert: --sql (offline upgrade) is for PostgreSQL only; "
                         "upgrade a SQLite database with `calibcert db upgrade`")
    context.configure(
        url=url,
        dialect_name="postgresql",
        version_table_schema="calib",
        transactional_ddl=False,
        literal_binds=True,
    )
    start = context.get_starting_revision_argument()
    start = None if start in (None, "base") else str(start)
    out = context.get_context().impl.static_output
    # The path first, before the guard's own statement: see sql/schema/preamble.sql.
    out(PIN)
    out(_guard(start))
    out(preamble_sql())
    out("CREATE SCHEMA IF NOT EXISTS calib;\n")
    if config.attributes.get("role_prefix") is not None:
        # For this transaction (psql -1): sql/schema/roles.sql reads it at the first install
        # and refuses a bad one, or one that differs from the installed prefix.
        literal = "'" + config.attributes["role_prefix"].replace("'", "''") + "'"
        out(f"SELECT pg_catalog.set_config('calib.role_prefix', {literal}, true);\n")
    context.run_migrations()


#: The offline script's first statement (sql/schema/preamble.sql repeats it).
PIN = "SET search_path = pg_catalog, pg_temp;\n"


def _guard(start: str | None) -> str:
    expected = f"revision {start}" if start else "no calibcert revision"
    want = start or "none"
    # Dynamic SQL: the version table may not exist, so no statement may name it statically.
    return (
        f"-- Guard: this script upgrades a database at {expected}; at any other it stops\n"
        "-- here (with psql -1: before anything is changed).\n"
        "DO $calibcert_guard$\n"
        "DECLARE found text := 'none';\n"
        "BEGIN\n"
        "    IF to_regclass('calib.alembic_version') IS NOT NULL THEN\n"
        "        EXECUTE 'SELECT coalesce(string_agg(version_num, '', '' ORDER BY version_num),"
        " ''none'') FROM calib.alembic_version' INTO found;\n"
        "    END IF;\n"
        f"    IF found IS DISTINCT FROM '{want}' THEN\n"
        f"        RAISE EXCEPTION 'calibcert: this script upgrades a database at {expected},"
        " this one is at revision %', found\n"
        "            USING ERRCODE = 'object_not_in_prerequisite_state';\n"
        "    END IF;\n"
        "END\n"
        "$calibcert_guard$;\n")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
