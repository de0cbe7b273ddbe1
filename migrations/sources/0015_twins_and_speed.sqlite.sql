-- Revision 0015 (0014 -> 0015) on SQLite: the source that migrations/freeze.py expands into
-- versions/0015_twins_and_speed.sqlite.sql (issue 16's remainder on SQLite). Each topic
-- adds its block below.

-- sq-snapshots: the snapshot table, the search paths' snapshot columns, the guards
-- (README "Snapshots").
\ir ../../sql/sqlite/schema/snapshot.sql
