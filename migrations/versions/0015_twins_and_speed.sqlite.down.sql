-- FROZEN downgrade of revision 0015, written by migrations/freeze.py from sources/0015_twins_and_speed.sqlite.down.sql.
-- Never edit by hand.
-- Undo revision 0015 on SQLite (source of versions/0015_twins_and_speed.sqlite.down.sql).
-- Each topic adds its block below.

-- sq-retention: the horizon and the request ids go (pruned history stays pruned).
DROP TRIGGER history_horizon_guard_delete;
DROP TRIGGER history_horizon_guard_update;
DROP TABLE history_horizon;
DROP INDEX change_request_id_key;
ALTER TABLE change DROP COLUMN results;
ALTER TABLE change DROP COLUMN request_id;
