-- Revision 0005 (0004 -> 0005) on SQLite: the source that migrations/freeze.py expands into
-- versions/0005_sqlite_guards.sqlite.sql. The file guards its own invariants against every
-- writer: no overlapping certifications of one calibration key, and the foreign keys on
-- connections that have them off (sql/sqlite/schema/guards.sql). PostgreSQL: no change.
\ir ../../sql/sqlite/schema/guards.sql
