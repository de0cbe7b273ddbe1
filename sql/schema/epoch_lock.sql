/* The epoch lock (revision 0019; README "History and time travel"): one row, locked FOR
   UPDATE by calib._stamp_epoch from the moment a committing transaction takes its epoch to
   the commit itself, so that epochs follow commit order. A row of calibcert's own rather
   than an advisory lock (revisions 0014-0018 took pg_advisory_xact_lock on a key printed
   in the README): pg_advisory_lock is executable by every login, and a session holding
   that key, idle and outside any transaction, stopped every write of the database. Taking
   a row lock needs UPDATE on the table (SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE /
   KEY SHARE alike), and so do LOCK TABLE's modes beyond ACCESS SHARE: only calib_owner
   has it. The service roles get SELECT like on every table (schema/grants.sql): a
   reader's ACCESS SHARE conflicts with none of the ROW SHARE lock a row lock takes.
   A row lock is not a table lock: it is recorded in the row (a small WAL record, which a
   hot standby replays without a conflict), never an ACCESS EXCLUSIVE lock logged for the
   standbys, and it leaves autovacuum (SHARE UPDATE EXCLUSIVE) free to run. The row is
   only ever locked, never updated: no new row versions, no bloat. */
CREATE TABLE calib.epoch_lock (
    only_row boolean NOT NULL DEFAULT true,
    CONSTRAINT epoch_lock_pkey PRIMARY KEY (only_row),
    CONSTRAINT epoch_lock_one_row CHECK (only_row)
);
INSERT INTO calib.epoch_lock DEFAULT VALUES;
COMMENT ON TABLE calib.epoch_lock IS
    'One row, locked FOR UPDATE by every committing change from the moment it takes its '
    'epoch to its commit (calib._stamp_epoch), so that epochs follow commit order. Only '
    'calib_owner can lock it: a row lock needs UPDATE on the table.';
