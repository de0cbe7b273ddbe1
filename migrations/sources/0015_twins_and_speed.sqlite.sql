-- Revision 0015 (0014 -> 0015) on SQLite: the source that migrations/freeze.py expands into
-- versions/0015_twins_and_speed.sqlite.sql (issue 16 on SQLite: explain, revert, snapshots,
-- retention and request ids). Each topic adds its block below.

-- sq-retention: the history horizon (prune_history) and change.request_id / results
-- (request ids).
\ir ../../sql/sqlite/schema/retention.sql

-- sq-snapshots: the snapshot table, the search paths' snapshot columns, the guards
-- (README "Snapshots").
\ir ../../sql/sqlite/schema/snapshot.sql
