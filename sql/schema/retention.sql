/* Retention and request ids (revision 0014; README "Retention and request ids"; issue 16,
   items 8 and 11).

   calib.history_horizon: one row, the earliest epoch whose state is still kept. 0 until
   calib.prune_history(before) raises it to before; calib._as_of refuses an as-of epoch
   below it (KC015 as_of_pruned), and calib.history refuses a since below it, instead of
   answering from versions that are gone. The row is locked FOR UPDATE by prune_history
   only (two prunes take turns); readers read it in the same snapshot as the versions
   they then read (every as-of path is STABLE: one snapshot for the whole call), so a
   concurrent prune is seen entirely or not at all.

   calib.change.request_id: the caller's request id (setting calib.request_id), unique
   among changes: a committed change keeps it for good, an uncommitted one holds it in the
   unique index, so a second transaction that claims the same id waits (bounded) for the
   first to commit (then it replays the first's results) or to roll back (then it goes on).
   calib.change.results: what each mutating call of that change returned, in call order
   ([{"op": "certify", "result": 3}, ...]), kept only for changes with a request id, so
   that a retried transaction returns the same results call by call (calib._request). */
ALTER TABLE calib.change ADD COLUMN request_id text, ADD COLUMN results jsonb;
CREATE UNIQUE INDEX change_request_id_key ON calib.change (request_id)
    WHERE request_id IS NOT NULL;

CREATE TABLE calib.history_horizon (
    only_row       boolean NOT NULL DEFAULT true,
    earliest_epoch bigint NOT NULL DEFAULT 0,
    pruned_at      timestamptz,
    CONSTRAINT history_horizon_pkey PRIMARY KEY (only_row),
    CONSTRAINT history_horizon_one_row CHECK (only_row),
    CONSTRAINT history_horizon_epoch_check CHECK (earliest_epoch >= 0)
);
INSERT INTO calib.history_horizon DEFAULT VALUES;
COMMENT ON TABLE calib.history_horizon IS
    'One row: the earliest epoch whose state is still kept (calib.prune_history raises it); '
    'as-of reads and history below it are refused (as_of_pruned).';
