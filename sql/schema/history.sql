/* History (revision 0014; README "History and time travel"). Two time axes: a
   certification's validity (when the calibration applies) and its recorded span (from the
   change that created a version of the row to the change that removed or replaced it).

   calib.change: one row per transaction that changed versioned content (calib._change()
   inserts it at the transaction's first versioned write). Its epoch is NULL until COMMIT:
   the deferred constraint trigger change_epoch (calib._stamp_epoch) then takes the next
   epoch from calib.epoch_seq under the epoch lock (the row of calib.epoch_lock, FOR UPDATE;
   schema/epoch_lock.sql) held from the trigger to the commit itself, so a later
   transaction's epoch waits for this commit:
   epochs follow commit order, and once calib.current_epoch() has returned E every change
   with an epoch <= E has committed (the trap of numbering at first write: T1 takes 5, T2
   takes 6 and commits, a reader pins 6, T1 commits 5 under it -- the racing tests in
   tests/test_pg_history.py catch that). A transaction that rolls back, at any point,
   leaves no epoch and no gap. Epoch 0 is the empty state before any change; a database
   upgraded to 0014 gets one change with epoch 1 holding everything that existed then
   (reason 'revision 0014: existing content', operation 'upgrade').

   The *_version tables: every version of every row of the versioned tables (collection,
   collection_chain, tag, dataset; for certification the closed versions only, see
   below), written only by the triggers of schema/history_triggers.sql
   (calib._record_versions), owned by calib_owner,
   for every writer including the owner's raw SQL (operation 'sql'). A version is visible
   at epoch E when its created change has an epoch <= E and its removed change is NULL or
   has none <= E (calib._visible, the one place this is written). The current tables stay
   what lookups at the current epoch read: the fast path is unchanged. No foreign keys to
   the current tables: a removed collection's history stays. */
CREATE TABLE calib.change (
    change_id    bigint GENERATED ALWAYS AS IDENTITY,
    xid          xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    epoch        bigint,
    committed_at timestamptz,
    db_role      text,
    app_user     text,
    reason       text,
    CONSTRAINT change_pkey PRIMARY KEY (change_id),
    CONSTRAINT change_epoch_key UNIQUE (epoch),
    CONSTRAINT change_epoch_check CHECK (epoch > 0)
);
COMMENT ON TABLE calib.change IS
    'One row per committed change (transaction) of versioned content: its epoch (stamped at '
    'COMMIT under the epoch lock (calib._stamp_epoch), so epochs follow commit order), commit time, '
    'database role, client user and reason (settings calib.user, calib.reason).';

/* Epoch numbers. Taken at COMMIT only, under the epoch lock (calib._stamp_epoch: the row
   of calib.epoch_lock) held until the commit itself, so they are taken in commit order.
   A sequence rather than a counter row: under REPEATABLE READ or SERIALIZABLE, updating
   a counter row that a concurrent transaction updated since the snapshot fails with 40001,
   which would make any two such writers conflict; nextval never does. A commit that fails
   after taking its number (only another deferred check failing later) leaves a gap:
   epochs increase with commits, and are not promised to be consecutive.
   calib.current_epoch() is the largest committed epoch (calib.change), not the sequence's
   position, which is not transactional. */
CREATE SEQUENCE calib.epoch_seq AS bigint MINVALUE 1 START 1 NO CYCLE;

CREATE TABLE calib.collection_version (
    collection_id     integer NOT NULL,
    name              text NOT NULL,
    type              text NOT NULL,
    state             text NOT NULL,
    writers           text[],
    created_change    bigint NOT NULL,
    removed_change    bigint,
    created_operation text NOT NULL,
    removed_operation text,
    CONSTRAINT collection_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    CONSTRAINT collection_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id)
);
CREATE INDEX collection_version_id_idx ON calib.collection_version (collection_id);
CREATE INDEX collection_version_name_idx ON calib.collection_version (name);

CREATE TABLE calib.chain_version (
    parent_id         integer NOT NULL,
    position          integer NOT NULL,
    child_id          integer NOT NULL,
    created_change    bigint NOT NULL,
    removed_change    bigint,
    created_operation text NOT NULL,
    removed_operation text,
    CONSTRAINT chain_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    CONSTRAINT chain_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id)
);
CREATE INDEX chain_version_parent_idx ON calib.chain_version (parent_id, position);

/* Certifications are the one high-volume table, so their history is kept the other way
   round (the layout of SQL:2011 system versioning): a current row carries the change that
   created it (calib.certification.created_change / created_operation, columns added by
   schema/history_triggers.sql), and this table holds only the *closed* versions, those a
   later change removed or replaced (copied here by calib._record_versions from the UPDATE
   or DELETE's old rows). A certify therefore writes each row once, as before the ledger;
   the view calib.certification_history is every version, current and closed. */
CREATE TABLE calib.certification_version (
    certification_id  bigint NOT NULL,
    collection_id     integer NOT NULL,
    dataset_type_id   integer NOT NULL,
    data_id_key       integer NOT NULL,
    dataset_id        uuid NOT NULL,
    validity          tstzrange NOT NULL,
    created_change    bigint NOT NULL,
    removed_change    bigint NOT NULL,
    created_operation text NOT NULL,
    removed_operation text NOT NULL
    /* created_change and removed_change name rows of calib.change: checked once per
       statement by triggers rather than declared as foreign keys (revision 0017; the
       declared constraints cost a query per row and column): calib._version_change_check,
       calib._change_refs_check, schema/history_change_refs.sql. */
);
/* As-of probes: (collection, data ID key, validity) like the live exclusion index. */
CREATE INDEX certification_version_probe_idx ON calib.certification_version
    USING gist (collection_id, data_id_key, validity);
CREATE INDEX certification_version_collection_idx
    ON calib.certification_version (collection_id, dataset_type_id);

CREATE TABLE calib.tag_version (
    collection_id     integer NOT NULL,
    dataset_type_id   integer NOT NULL,
    data_id_key       integer NOT NULL,
    dataset_id        uuid NOT NULL,
    created_change    bigint NOT NULL,
    removed_change    bigint,
    created_operation text NOT NULL,
    removed_operation text,
    CONSTRAINT tag_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    CONSTRAINT tag_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id)
);
CREATE INDEX tag_version_key_idx ON calib.tag_version (collection_id, data_id_key);

CREATE TABLE calib.dataset_version (
    dataset_id        uuid NOT NULL,
    dataset_type_id   integer NOT NULL,
    data_id_key       integer NOT NULL,
    run_id            integer NOT NULL,
    created_change    bigint NOT NULL,
    removed_change    bigint,
    created_operation text NOT NULL,
    removed_operation text,
    CONSTRAINT dataset_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    CONSTRAINT dataset_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id)
);
CREATE INDEX dataset_version_run_idx ON calib.dataset_version (run_id, data_id_key);
CREATE INDEX dataset_version_id_idx ON calib.dataset_version (dataset_id);
/* The versions a change closed: found when the same change opens a row again (a delete
   and re-insert), and by history; partial, so that current versions cost nothing here. */
CREATE INDEX collection_version_removed_idx ON calib.collection_version (removed_change) WHERE removed_change IS NOT NULL;
CREATE INDEX chain_version_removed_idx ON calib.chain_version (removed_change) WHERE removed_change IS NOT NULL;
CREATE INDEX certification_version_removed_idx ON calib.certification_version (removed_change);
CREATE INDEX tag_version_removed_idx ON calib.tag_version (removed_change) WHERE removed_change IS NOT NULL;
CREATE INDEX dataset_version_removed_idx ON calib.dataset_version (removed_change) WHERE removed_change IS NOT NULL;
CREATE INDEX change_committed_at_idx ON calib.change (committed_at);
