-- calibcert schema for SQLite, head revision: the twin of sql/install.sql, and the one place
-- the SQLite install order is written. The rules beyond what these tables say live in
-- pyclient/calibcert/backends/sqlite/, checked inside one serialized (BEGIN IMMEDIATE)
-- transaction per call. Installed by the alembic revisions (calibcert db upgrade), which
-- freeze these files; calibcert.schema.install_sql("sqlite") expands the same lines, and
-- tests/test_migrations.py proves both give the same database.
\ir schema/tables.sql
\ir schema/guards.sql
\ir schema/search_path.sql
\ir schema/dimension.sql
\ir schema/states.sql
\ir schema/history.sql
\ir schema/retention.sql
\ir schema/snapshot.sql
\ir schema/version.sql
