-- Retention and request ids on SQLite (revision 0015; README "Retention and request ids";
-- issue 16, items 8 and 11): the twin of sql/schema/retention.sql, same tables, same
-- meaning.
--
-- history_horizon: one row, the earliest epoch whose state is still kept. 0 until
-- prune_history(before) (backends/sqlite/prune_history.py) raises it to before; an as-of
-- read below it (backends/sqlite/epochs.py, _as_of) and history since an epoch below it are
-- refused (as_of_pruned) instead of answered from versions that are gone. PostgreSQL lets
-- no role but calib_owner write it; a plain sqlite3 writer of the file could, so the file
-- refuses what would make a pruned epoch answer again: moving the horizon back, deleting
-- its row (history_horizon_backwards, history_horizon_kept); a second row is refused by
-- its primary key and CHECK.
--
-- change.request_id: the caller's request id (reg.transaction(request_id=...)), unique
-- among changes. SQLite's writers are serialized (BEGIN IMMEDIATE), so a second
-- transaction claiming the same id only runs once the first has committed (it then replays
-- the first's results) or rolled back (it then claims the id itself).
-- change.results: what each mutating call of that change returned, in call order, as a
-- JSON array ([{"op": "certify", "result": 3}, ...]), kept only for changes with a request
-- id (backends/sqlite/request.py).
ALTER TABLE change ADD COLUMN request_id TEXT;
ALTER TABLE change ADD COLUMN results TEXT;
CREATE UNIQUE INDEX change_request_id_key ON change (request_id) WHERE request_id IS NOT NULL;

CREATE TABLE history_horizon (
    only_row       INTEGER NOT NULL,
    earliest_epoch INTEGER NOT NULL DEFAULT 0,
    pruned_at      INTEGER,
    CONSTRAINT history_horizon_pkey PRIMARY KEY (only_row),
    CONSTRAINT history_horizon_one_row CHECK (only_row = 1),
    CONSTRAINT history_horizon_epoch_check CHECK (earliest_epoch >= 0)
);
INSERT INTO history_horizon (only_row, earliest_epoch, pruned_at) VALUES (1, 0, NULL);

CREATE TRIGGER history_horizon_guard_update BEFORE UPDATE ON history_horizon
WHEN NEW.earliest_epoch < OLD.earliest_epoch OR NEW.only_row IS NOT OLD.only_row
BEGIN
    SELECT RAISE(ABORT, 'history_horizon_backwards');
END;

CREATE TRIGGER history_horizon_guard_delete BEFORE DELETE ON history_horizon
BEGIN
    SELECT RAISE(ABORT, 'history_horizon_kept');
END;
