-- FROZEN upgrade of revision 0014, written by migrations/freeze.py from sources/0014_history.postgresql.sql.
-- Never edit by hand.
-- Revision 0014 (0013 -> 0014) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0014_history.postgresql.sql (issue 16, items 1-3: epochs, as-of reads,
-- history; README "History and time travel").
-- * calib.change (one row per committed change, its epoch stamped at COMMIT by the deferred
--   constraint trigger change_epoch under the epoch lock, so epochs follow commit order),
--   calib.epoch_seq, and the version tables of collection, collection_chain, certification,
--   tag and dataset, kept by statement-level triggers (calib._record_versions) for every
--   writer. Current certifications carry their creating change (created_change,
--   created_operation); their version table keeps closed versions only.
-- * Existing content: when the database holds any collection, one change with epoch 1
--   (reason 'revision 0014: existing content', operation 'upgrade') creates a version of
--   every existing row (existing certifications: their new columns' constant default), so as-of reads at epoch 1 answer as the database did at the
--   upgrade; epoch 0 is the empty state before it. An empty database starts at epoch 0.
-- * Every mutating function names its operation (calib._operation), recorded with its
--   versions: those functions are re-created.
-- * As-of forms of find, find_many, certifications, get_chain (new overloads with a
--   trailing as_of; the existing forms are unchanged), current_epoch, epoch_at, history;
--   calib._lookup takes p_as_of (a new signature: the old one is dropped).
/* History (revision 0014; README "History and time travel"). Two time axes: a
   certification's validity (when the calibration applies) and its recorded span (from the
   change that created a version of the row to the change that removed or replaced it).

   calib.change: one row per transaction that changed versioned content (calib._change()
   inserts it at the transaction's first versioned write). Its epoch is NULL until COMMIT:
   the deferred constraint trigger change_epoch (calib._stamp_epoch) then takes the next
   epoch from calib.epoch_seq under an exclusive advisory lock held from the trigger to the
   commit itself, so a later transaction's epoch waits for this commit:
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

/* Epoch numbers. Taken at COMMIT only, under an exclusive transaction-level advisory lock
   (calib._stamp_epoch) held until the commit itself, so they are taken in commit order.
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
    removed_operation text NOT NULL,
    CONSTRAINT certification_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    CONSTRAINT certification_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id)
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

-- What existed at the upgrade: epoch 1 (before the triggers exist, so that the deferred
-- epoch trigger does not number this change again).
INSERT INTO calib.change (epoch, committed_at, db_role, reason)
SELECT 1, clock_timestamp(), current_user, 'revision 0014: existing content'
WHERE EXISTS (SELECT FROM calib.collection);
DO $$
BEGIN
    IF EXISTS (SELECT FROM calib.change WHERE epoch = 1) THEN
        PERFORM setval('calib.epoch_seq', 1);
    END IF;
END
$$;
/* History (revision 0014): a current certification carries the change that created it
   (created_change, created_operation; see calib.certification_version), and the view
   calib.certification_history is every version of every certification. The columns'
   defaults and the triggers that keep them honest come last (schema/history_triggers.sql:
   they call functions).

   An upgraded database's existing certifications were created by the upgrade's change
   (epoch 1, made just before this file): a constant default fills them without rewriting
   the table or firing its triggers (a FROZEN collection's rows could not be updated). A
   fresh install has no such change and an empty table. */
DO $$
DECLARE
    v_change bigint := (SELECT c.change_id FROM calib.change AS c WHERE c.epoch = 1);
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute
                   WHERE attrelid = 'calib.certification'::regclass
                     AND attname = 'created_change' AND NOT attisdropped) THEN
        EXECUTE pg_catalog.format(
            'ALTER TABLE calib.certification ADD COLUMN created_change bigint DEFAULT %L,'
            ' ADD COLUMN created_operation text DEFAULT %L',
            v_change, CASE WHEN v_change IS NOT NULL THEN 'upgrade' END);
    END IF;
END
$$;
/* Every version of every certification: the current rows (open) and the closed ones, with
   the columns of calib.certification_version. What as-of reads and history read. */
CREATE OR REPLACE VIEW calib.certification_history AS
SELECT c.certification_id, c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id,
       c.validity, c.created_change, NULL::bigint AS removed_change, c.created_operation,
       NULL::text AS removed_operation
FROM calib.certification AS c
UNION ALL
SELECT v.certification_id, v.collection_id, v.dataset_type_id, v.data_id_key, v.dataset_id,
       v.validity, v.created_change, v.removed_change, v.created_operation, v.removed_operation
FROM calib.certification_version AS v;

CREATE OR REPLACE FUNCTION calib._operation(p_name text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
/* Names the public function that is changing content, for the history: every mutating
   function calls it first (PERFORM calib._operation('certify')), and calib._record_versions
   records the name with the versions the statement's triggers write. The name is kept in
   the transaction-local setting calib._operation together with the statement's start
   (statement_timestamp(), as epoch seconds), so that it labels only the writes of the
   client statement that called the function: a later statement of the same transaction
   (raw SQL by the owner) is recorded as 'sql'. A setting in the function's SET clause
   would be cleaner, but PostgreSQL lets only superusers put a custom setting there, and
   calibcert installs as calib_owner. Errors: none. Locks: none. */
SELECT set_config('calib._operation',
                  p_name || ' ' || extract(epoch FROM statement_timestamp())::text, true);
$$;

CREATE OR REPLACE FUNCTION calib._change()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* This transaction's change (calib.change.change_id), created at its first versioned write
   (called by calib._record_versions): the row records the caller's role (calib._caller()),
   the client-supplied user and reason (settings calib.user, calib.reason; empty = NULL),
   and the transaction id. Its id is remembered in the transaction-local setting
   calib._change; a later call reuses it only if that row belongs to this very transaction
   (xid = pg_current_xact_id(), the top-level id even inside a savepoint): a caller who
   sets calib._change by hand cannot attribute its writes to another transaction's change,
   and a non-number there is ignored. A rolled-back savepoint reverts the setting and the
   row alike, so the next write creates a new row. SECURITY DEFINER: the column default
   of calib.certification.created_change calls it as whoever inserts (a raw writer too).
   Errors: none of its own. Locks: none. */
DECLARE
    v_text text := current_setting('calib._change', true);
    v_id bigint;
BEGIN
    IF v_text ~ '^[0-9]{1,18}$' THEN
        SELECT c.change_id INTO v_id FROM calib.change AS c
        WHERE c.change_id = v_text::bigint AND c.xid = pg_current_xact_id();
        IF FOUND THEN
            RETURN v_id;
        END IF;
    END IF;
    INSERT INTO calib.change (db_role, app_user, reason)
    VALUES (calib._caller(), nullif(current_setting('calib.user', true), ''),
            nullif(current_setting('calib.reason', true), ''))
    RETURNING change_id INTO v_id;
    PERFORM set_config('calib._change', v_id::text, true);
    RETURN v_id;
END
$$;

CREATE OR REPLACE FUNCTION calib._stamp_epoch()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Deferred constraint trigger change_epoch on calib.change: at COMMIT, gives the
   transaction's change its epoch and commit time. The epoch is taken under an exclusive
   transaction-level advisory lock (key 7161124082373846386, the bytes 'calibcer'), held
   until the commit has happened and is visible: the next committer waits for it, so epochs
   follow commit order and once calib.current_epoch() returns E, no change with an epoch
   below E can still commit. The lock is held only from here to the commit itself, so
   writers of different collections run concurrently until their last moment. SET
   CONSTRAINTS ALL IMMEDIATE fires this early: the epoch is then taken early and the lock
   held longer, still in commit order (later writes of the same transaction reuse the
   change). Numbering at first write instead would be wrong: see calib.epoch_seq.
   SECURITY DEFINER: a deferred trigger runs at COMMIT as the session's role, outside the
   SECURITY DEFINER function that made the change, and no service role may write
   calib.change or take numbers from calib.epoch_seq itself.
   Errors: 55P03 (wait 'epoch') when the lock is not granted within calib.lock_timeout.
   Locks: the epoch advisory lock, to the end of the transaction. */
DECLARE
    v_epoch bigint;
    v_old text;
BEGIN
    /* Usually nobody else is committing: take the lock without waiting, and without the
       cost of the bounded wait below (a savepoint and two settings; a 1-row certify paid
       ~15% more for them). Otherwise wait, bounded like every wait (calib._bound_waits):
       normally the holder is only committing, but a session that ran SET CONSTRAINTS ALL
       IMMEDIATE holds the lock from its first change to its end. */
    IF NOT pg_try_advisory_xact_lock(7161124082373846386) THEN
        v_old := calib._bound_waits();
        BEGIN
            PERFORM pg_advisory_xact_lock(7161124082373846386);
        EXCEPTION WHEN lock_not_available THEN
            IF calib._lock_timeout('epoch', 'the epoch lock, held by another transaction that is committing',
                                   '{}') IS NULL THEN END IF;
        END;
        PERFORM set_config('lock_timeout', v_old, true);
    END IF;
    v_epoch := nextval('calib.epoch_seq');
    UPDATE calib.change SET epoch = v_epoch, committed_at = clock_timestamp()
    WHERE change_id = NEW.change_id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib._current_operation()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The operation the versions written by the current client statement are recorded with:
   the public function that named itself with calib._operation in this same statement
   (its label carries the statement's start), else 'sql' (raw SQL, or a later statement of
   the transaction). The one place this is decided (calib._record_versions,
   calib._certification_statement). Errors: none. Locks: none. */
SELECT CASE WHEN split_part(v.label, ' ', 2) = extract(epoch FROM statement_timestamp())::text
            THEN split_part(v.label, ' ', 1) ELSE 'sql' END
FROM (SELECT current_setting('calib._operation', true) AS label) AS v
$$;

CREATE OR REPLACE FUNCTION calib._record_versions()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The history of every versioned table, for every writer (the owner's raw SQL included:
   operation 'sql'), one statement-level AFTER trigger per table and event
   (sql/schema/history_triggers.sql) with its transition table: one pass per statement
   however many rows, so a bulk certify pays a few set-based statements, not one call per
   row. The changed rows' versions go into calib.<table>_version (chain_version for
   collection_chain) under this transaction's change (calib._change()), with the operation
   the calling public function named (calib._operation) in this same client statement, else
   'sql' (calib._current_operation). Certifications differ (their current rows carry their
   creating change; see calib.certification_version): only their old rows come here.
   - old rows (UPDATE, DELETE): their open version is closed by this change, or dropped
     when this same change created it (it was never visible to anyone);
   - new rows (UPDATE, INSERT): a version this change closed with the same key and content
     is opened again (a delete and re-insert of the same row, as set_chain does, or an
     UPDATE that changed no versioned column, is no change); otherwise a new version.
   No other open version of a new row's key can exist (the current table's primary key
   forbids it), so the new versions are inserted without checking for one unless some
   were opened again (the bulk path: one plain INSERT ... SELECT).
   An UPDATE is thus its old rows closed and its new rows opened, paired by primary key
   (history pairs them again for validity before/after).
   - TRUNCATE: every open version is closed.
   SECURITY DEFINER: a raw writer a DBA granted a table to (tests/test_sql_level.py) is
   recorded too, without any right on the history tables.
   Errors: none of its own. Locks: none beyond the version rows it writes. */
DECLARE
    v_change bigint;
    v_reopened bigint;
    v_op text := calib._current_operation();
BEGIN
    /* A statement that changed no row (statement triggers fire anyway) is no change: it
       gets no change row, hence no epoch. */
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT FROM new_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF NOT EXISTS (SELECT FROM old_rows) THEN
            RETURN NULL;
        END IF;
    END IF;
    v_change := calib._change();
    IF TG_TABLE_NAME = 'certification' THEN
        /* Current certifications carry their creating change: only the old rows of an
           UPDATE or DELETE (or every row, BEFORE a TRUNCATE) become closed versions, those
           this same change created excepted (nobody ever saw them). */
        IF TG_OP = 'TRUNCATE' THEN
            INSERT INTO calib.certification_version (certification_id, collection_id, dataset_type_id, data_id_key, dataset_id, validity, created_change, removed_change, created_operation, removed_operation)
            SELECT o.certification_id, o.collection_id, o.dataset_type_id, o.data_id_key, o.dataset_id, o.validity, o.created_change, v_change, o.created_operation, v_op
            FROM calib.certification AS o WHERE o.created_change <> v_change;
        ELSE
            INSERT INTO calib.certification_version (certification_id, collection_id, dataset_type_id, data_id_key, dataset_id, validity, created_change, removed_change, created_operation, removed_operation)
            SELECT o.certification_id, o.collection_id, o.dataset_type_id, o.data_id_key, o.dataset_id, o.validity, o.created_change, v_change, o.created_operation, v_op
            FROM old_rows AS o WHERE o.created_change <> v_change;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'collection' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.collection_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.collection_version AS v USING old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.collection_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.collection_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.collection_id = n.collection_id AND v.removed_change = v_change
              AND (v.collection_id, v.name, v.type, v.state, v.writers) IS NOT DISTINCT FROM (n.collection_id, n.name, n.type, n.state, n.writers);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.collection_version (collection_id, name, type, state, writers, created_change, created_operation)
                SELECT n.collection_id, n.name, n.type, n.state, n.writers, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.collection_version (collection_id, name, type, state, writers, created_change, created_operation)
                SELECT n.collection_id, n.name, n.type, n.state, n.writers, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.collection_version AS v
                                  WHERE v.collection_id = n.collection_id AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'collection_chain' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.chain_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.chain_version AS v USING old_rows AS o
            WHERE v.parent_id = o.parent_id AND v.position = o.position AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.chain_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.parent_id = o.parent_id AND v.position = o.position AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.chain_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.parent_id = n.parent_id AND v.position = n.position AND v.removed_change = v_change
              AND (v.parent_id, v.position, v.child_id) IS NOT DISTINCT FROM (n.parent_id, n.position, n.child_id);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.chain_version (parent_id, position, child_id, created_change, created_operation)
                SELECT n.parent_id, n.position, n.child_id, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.chain_version (parent_id, position, child_id, created_change, created_operation)
                SELECT n.parent_id, n.position, n.child_id, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.chain_version AS v
                                  WHERE v.parent_id = n.parent_id AND v.position = n.position AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'tag' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.tag_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.tag_version AS v USING old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.data_id_key = o.data_id_key AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.tag_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.data_id_key = o.data_id_key AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.tag_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.collection_id = n.collection_id AND v.data_id_key = n.data_id_key AND v.removed_change = v_change
              AND (v.collection_id, v.dataset_type_id, v.data_id_key, v.dataset_id) IS NOT DISTINCT FROM (n.collection_id, n.dataset_type_id, n.data_id_key, n.dataset_id);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.tag_version (collection_id, dataset_type_id, data_id_key, dataset_id, created_change, created_operation)
                SELECT n.collection_id, n.dataset_type_id, n.data_id_key, n.dataset_id, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.tag_version (collection_id, dataset_type_id, data_id_key, dataset_id, created_change, created_operation)
                SELECT n.collection_id, n.dataset_type_id, n.data_id_key, n.dataset_id, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.tag_version AS v
                                  WHERE v.collection_id = n.collection_id AND v.data_id_key = n.data_id_key AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'dataset' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.dataset_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.dataset_version AS v USING old_rows AS o
            WHERE v.dataset_id = o.dataset_id AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.dataset_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.dataset_id = o.dataset_id AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.dataset_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.dataset_id = n.dataset_id AND v.removed_change = v_change
              AND (v.dataset_id, v.dataset_type_id, v.data_id_key, v.run_id) IS NOT DISTINCT FROM (n.dataset_id, n.dataset_type_id, n.data_id_key, n.run_id);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.dataset_version (dataset_id, dataset_type_id, data_id_key, run_id, created_change, created_operation)
                SELECT n.dataset_id, n.dataset_type_id, n.data_id_key, n.run_id, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.dataset_version (dataset_id, dataset_type_id, data_id_key, run_id, created_change, created_operation)
                SELECT n.dataset_id, n.dataset_type_id, n.data_id_key, n.run_id, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.dataset_version AS v
                                  WHERE v.dataset_id = n.dataset_id AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib._certification_statement()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* BEFORE INSERT OR UPDATE statement trigger of calib.certification, once per statement:
   prepares what the column defaults of created_change / created_operation read row by row
   (schema/history_triggers.sql).
   - calib._change: kept only if it names this transaction's own change (calib._change()
     checks the row's xid); otherwise emptied, so that the first row's default creates the
     change. A caller who set it by hand cannot date rows into another transaction's change.
     A statement that writes no row creates no change (no epoch).
   - calib._row_operation: the operation (calib._current_operation()).
   SECURITY DEFINER: a raw writer a DBA granted the table reads calib.change here.
   Errors: none. Locks: none. */
DECLARE
    v_text text := current_setting('calib._change', true);
BEGIN
    IF v_text IS NOT NULL AND v_text <> '' THEN
        IF NOT (v_text ~ '^[0-9]{1,18}$'
                AND EXISTS (SELECT FROM calib.change AS c
                            WHERE c.change_id = v_text::bigint AND c.xid = pg_current_xact_id())) THEN
            PERFORM set_config('calib._change', '', true);
        END IF;
    END IF;
    PERFORM set_config('calib._row_operation', calib._current_operation(), true);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib._stamp_row()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* BEFORE INSERT OR UPDATE row trigger of calib.certification, fired only (its WHEN clause,
   schema/history_triggers.sql) for a row whose created_change / created_operation are not
   this statement's: raw SQL that named values of its own, or an UPDATE that left the old
   ones. Such a row is written by this transaction's change all the same: nothing escapes
   the history, and nobody dates a row into another change. The functions' own writes never
   fire it (defaults; UPDATE ... SET created_change = DEFAULT).
   Errors: none. Locks: none. */
BEGIN
    NEW.created_change := calib._change();
    NEW.created_operation := current_setting('calib._row_operation');
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION calib._visible(p_created bigint, p_removed bigint, p_epoch bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The visibility rule of history, the one place it is written: a version created by change
   p_created and removed by change p_removed (NULL: still current) is visible as of epoch
   p_epoch when its creating change committed with an epoch <= p_epoch and its removing
   change, if any, did not (no epoch yet = not committed: the removal does not count, the
   creation does not either). PL/pgSQL, not SQL: a SQL function with a subquery is never
   inlined, and is planned again on every query that calls it; here the two primary-key
   probes of calib.change are planned once per session. Private. */
BEGIN
    RETURN EXISTS (SELECT FROM calib.change AS c
                   WHERE c.change_id OPERATOR(pg_catalog.=) p_created
                     AND c.epoch OPERATOR(pg_catalog.<=) p_epoch)
       AND (p_removed IS NULL
            OR NOT EXISTS (SELECT FROM calib.change AS r
                           WHERE r.change_id OPERATOR(pg_catalog.=) p_removed
                             AND r.epoch OPERATOR(pg_catalog.<=) p_epoch));
END
$$;

CREATE OR REPLACE FUNCTION calib.current_epoch()
RETURNS bigint
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The latest committed epoch (0 before any change): everything as of it is final, whatever
   commits later or concurrently (epochs follow commit order: calib._stamp_epoch).
   Errors: none.
   Locks: none; read-only, runs on a hot standby. */
SELECT coalesce(max(c.epoch), 0) FROM calib.change AS c
$$;

CREATE OR REPLACE FUNCTION calib.epoch_at(p_instant timestamptz)
RETURNS bigint
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The last epoch committed at or before p_instant (0 if none was).
   Errors: KC015 NULL instant.
   Locks: none; read-only, runs on a hot standby.

   Commit times (clock_timestamp() at the epoch's stamping) increase with epochs as long as
   the server clock does not step back; the epoch is the largest one stamped at or before
   the instant. */
BEGIN
    IF p_instant IS NULL THEN
        IF calib._raise('KC015', 'instant must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'instant')) IS NULL THEN END IF;
    END IF;
    RETURN coalesce((SELECT max(c.epoch) FROM calib.change AS c
                     WHERE c.committed_at <= p_instant), 0);
END
$$;

CREATE OR REPLACE FUNCTION calib.epoch_at(p_instant text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* epoch_at with the instant as text (drivers binding text), read strictly
   (calib._parse_instant: a time without a UTC offset is KC009). */
BEGIN
    RETURN calib.epoch_at(calib._parse_instant(p_instant, 'instant'));
END
$$;

CREATE OR REPLACE FUNCTION calib._as_of(p_epoch bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* p_epoch checked as an as-of argument: 0 <= p_epoch <= calib.current_epoch() (a future
   epoch has no fixed answer yet). Returns it. NULL stays NULL (= now: the caller reads the
   current tables).
   Errors: KC015 as_of_range. */
DECLARE
    v_current bigint;
BEGIN
    IF p_epoch IS NULL THEN
        RETURN NULL;
    END IF;
    v_current := calib.current_epoch();
    IF p_epoch < 0 OR p_epoch > v_current THEN
        IF calib._raise('KC015',
            format('as_of epoch %s is out of range: epochs run from 0 to the current epoch %s',
                   p_epoch, v_current),
            jsonb_build_object('kind', 'as_of_range', 'as_of', p_epoch,
                               'current', v_current)) IS NULL THEN END IF;
    END IF;
    RETURN p_epoch;
END
$$;

CREATE OR REPLACE FUNCTION calib._epoch_text(p_value text, p_what text)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* An epoch given as text (the all-text forms of the history functions): decimal digits,
   optionally signed; NULL or '' is NULL (now / no bound). Range checks are the caller's
   (calib._as_of). Errors: KC015 epoch_text. */
BEGIN
    IF p_value IS NULL OR btrim(p_value) = '' THEN
        RETURN NULL;
    END IF;
    IF btrim(p_value) !~ '^-?[0-9]{1,18}$' THEN
        IF calib._raise('KC015', format('%s must be an epoch (an integer), not %L', p_what, p_value),
            jsonb_build_object('kind', 'epoch_text', 'what', p_what, 'value', p_value)) IS NULL THEN END IF;
    END IF;
    RETURN btrim(p_value)::bigint;
END
$$;

CREATE OR REPLACE FUNCTION calib._collection_as_of(p_name text, p_epoch bigint, p_types text[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* calib._collection as of epoch p_epoch (checked by the caller: calib._as_of): the
   id of the collection that bore the name p_name then (calib.collection_version), with
   the same errors. A scalar, so that callers evaluate it as a plain expression (psql then
   prints no function source in the CONTEXT of its errors). A collection removed since, or a name reused since by another collection, is
   answered as it was.
   Errors: KC002 unknown collection (at that epoch), KC003 wrong type, KC015 NULL name. */
DECLARE
    v_row record;
BEGIN
    IF p_name IS NULL THEN
        IF calib._raise('KC015', 'collection name must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'collection name')) IS NULL THEN END IF;
    END IF;
    p_name := normalize(p_name, NFC);
    SELECT v.collection_id, v.name, v.type INTO v_row
    FROM calib.collection_version AS v
    WHERE v.name = p_name AND calib._visible(v.created_change, v.removed_change, p_epoch);
    IF NOT FOUND THEN
        IF calib._raise('KC002', format('collection %L did not exist at epoch %s', p_name, p_epoch),
            jsonb_build_object('kind', 'collection_missing_as_of', 'collection', p_name,
                               'as_of', p_epoch)) IS NULL THEN END IF;
    END IF;
    IF p_types IS NOT NULL AND v_row.type <> ALL (p_types) THEN
        IF calib._raise('KC003',
            format('collection %L is %s; expected %s', p_name, v_row.type,
                   array_to_string(p_types, ' or ')),
            jsonb_build_object('kind', 'collection_type', 'collection', p_name, 'type', v_row.type,
                               'expected', to_jsonb(p_types))) IS NULL THEN END IF;
    END IF;
    RETURN v_row.collection_id;
END
$$;

CREATE OR REPLACE FUNCTION calib._search_path_as_of(p_collection_id integer, p_epoch bigint)
RETURNS TABLE (rank bigint, member_id integer, member_type text, member_name text)
LANGUAGE plpgsql STABLE
ROWS 5
SET search_path = pg_catalog, pg_temp
AS $$
/* The search path of collection p_collection_id as it was at epoch p_epoch: the walk of
   calib._refresh_search_paths (non-CHAINED members depth-first in chain order, each once
   at its first occurrence, ranked 1..n; any other collection is its own path) over the
   collections and chain children visible then (calib.collection_version,
   calib.chain_version). Walked on each call rather than stored: past paths are read
   rarely, and a stored copy per epoch would grow with every chain change. A stored chain
   graph never has a cycle (set_chain and the search-path triggers refuse them); CYCLE
   only guarantees the walk ends. tests/test_pg_history.py checks it against the stored
   path at the current epoch. Each step probes the versions of the collections it reaches
   (indexes on parent_id and collection_id), never every version: the cost follows the
   size of the path, not of the database. PL/pgSQL so that the plan is made once per
   session (a SQL function's body is planned again on every call). ROWS 5: search paths
   are short; the default estimate of 1000 rows made the as-of lookup's plan look costly
   enough for JIT compilation (20 ms per call). */
BEGIN
RETURN QUERY
WITH RECURSIVE walk (collection_id, path) AS (
    SELECT p_collection_id, ARRAY[]::integer[]
    UNION ALL
    SELECT ch.child_id, w.path || ch.position
    FROM walk AS w
    CROSS JOIN LATERAL (SELECT v.position, v.child_id FROM calib.chain_version AS v
                        WHERE v.parent_id = w.collection_id
                          AND calib._visible(v.created_change, v.removed_change, p_epoch)) AS ch
) CYCLE collection_id SET looped USING visited
SELECT row_number() OVER (ORDER BY f.path), c.collection_id, c.type, c.name
FROM (SELECT DISTINCT ON (w.collection_id) w.collection_id, w.path
      FROM walk AS w WHERE NOT w.looped
      ORDER BY w.collection_id, w.path) AS f
CROSS JOIN LATERAL (SELECT v.collection_id, v.type, v.name FROM calib.collection_version AS v
                    WHERE v.collection_id = f.collection_id
                      AND calib._visible(v.created_change, v.removed_change, p_epoch)) AS c
WHERE c.type <> 'CHAINED';
END
$$;

CREATE OR REPLACE FUNCTION calib._probe_as_of(p_collection_id integer, p_data_id_key integer, p_span tstzrange, p_as_of bigint)
RETURNS TABLE (member_id integer, dataset_id uuid, ambiguous boolean)
LANGUAGE sql STABLE
AS $$
/* calib.probe as of epoch p_as_of: the same rule (first member of the search path with any
   match for the data ID key decides; RUN and TAGGED members match by data ID, CALIBRATION
   members by certifications overlapping p_span; ambiguous = more than one match there),
   applied to the versions visible then (calib._visible) along the search path as it was
   then (calib._search_path_as_of). Kept next to calib.probe in shape, branch for branch:
   a change to the rule changes both (tests/test_pg_history.py compares them at the
   current epoch).
   Arguments: p_collection_id and p_data_id_key internal ids, p_span the time (NULL skips
   CALIBRATION members), p_as_of a checked epoch (calib._as_of).
   Locks: none; read-only.
   Errors: none of its own (callers resolve names to ids first and raise).

   Inline-only and SECURITY INVOKER like calib.probe: every name is schema-qualified. */
SELECT m.member_id, x.ids[1], x.ids[2] IS NOT NULL
FROM calib._search_path_as_of(p_collection_id, p_as_of) AS m
CROSS JOIN LATERAL (
    SELECT ARRAY(
        SELECT c.dataset_id FROM calib.certification_history AS c
        WHERE m.member_type OPERATOR(pg_catalog.=) 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND c.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND c.validity OPERATOR(pg_catalog.&&) p_span
          AND calib._visible(c.created_change, c.removed_change, p_as_of)
        UNION ALL
        SELECT d.dataset_id FROM calib.dataset_version AS d
        WHERE m.member_type OPERATOR(pg_catalog.=) 'RUN'
          AND d.run_id OPERATOR(pg_catalog.=) m.member_id
          AND d.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND calib._visible(d.created_change, d.removed_change, p_as_of)
        UNION ALL
        SELECT t.dataset_id FROM calib.tag_version AS t
        WHERE m.member_type OPERATOR(pg_catalog.=) 'TAGGED'
          AND t.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND t.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND calib._visible(t.created_change, t.removed_change, p_as_of)
        LIMIT 2) AS ids
    OFFSET 0) AS x
WHERE x.ids[1] IS NOT NULL
ORDER BY m.rank
LIMIT 1
$$;

DROP FUNCTION calib._lookup(text, text, jsonb[], tstzrange[]);
CREATE OR REPLACE FUNCTION calib._probe_all_as_of(p_collection_id integer, p_keys integer[], p_spans tstzrange[], p_epoch bigint)
RETURNS TABLE (ord bigint, dataset_id uuid, member_id integer, ambiguous boolean)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* calib._probe_as_of for every query of a lookup as of epoch p_epoch (calib._lookup):
   query i is (p_keys[i], p_spans[i]); a NULL key (a data ID never stored) matches nothing.
   One row per query, in input order. Its own function for one setting: a generic plan.
   A custom plan of this statement was planned again on every call (1.5 ms per find, four
   times the lookup itself); the generic one is planned once per session and probes the
   same indexes (tests/test_pg_history.py checks the plan).
   Errors: none of its own. Locks: none; read-only. */
BEGIN
    RETURN QUERY
    SELECT u.ord, p.dataset_id, p.member_id, p.ambiguous
    FROM unnest(p_keys, p_spans) WITH ORDINALITY AS u(k, span, ord)
    LEFT JOIN LATERAL calib._probe_as_of(p_collection_id, u.k, u.span, p_epoch) AS p
        ON u.k IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib._lookup(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_spans tstzrange[],
                                         p_as_of bigint DEFAULT NULL)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The lookup behind find and find_many. Query i is (p_data_ids[i], p_spans[i]); an
   instant t is passed as the range [t,t], a NULL span skips CALIBRATION collections. The
   rule itself (first member of the search path with any match decides; more than one match
   there is ambiguous) is calib.probe's, applied to each query here; this function resolves
   the names, validates the data IDs, raises the errors and names the RUN of each dataset.
   One row per query, in input order, NULLs when nothing matched anywhere.
   Set-based and linear in the number of queries: one probe per query (inlined), and the
   per-query state lives in parallel arrays that are only ever unnested together (never
   subscripted per row: subscripting a jsonb[] or a uuid[] with NULLs walks it from the
   start). Data IDs equal to a stored one are valid and canonical already; the full
   validation runs only when some data ID is not stored.
   p_as_of: answer as of that epoch (checked by calib._as_of): the collection as named
   then, the rule applied by calib._probe_as_of (calib._probe_all_as_of) to the versions
   visible then; NULL (every
   current caller) reads the current tables through calib.probe, unchanged.
   Errors: KC011 when the deciding member of some query has more than one match (the first
   such query in input order); KC002 / KC005 / KC008 / KC015 for bad arguments. Read-only,
   no locks. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer := CASE WHEN p_as_of IS NULL THEN (calib._collection(p_collection)).collection_id
                              ELSE calib._collection_as_of(p_collection, v_epoch) END;
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_values jsonb[];
    v_keys integer[];
    v_ids uuid[];
    v_members integer[];
    v_open bigint;
    v_n integer;
    v_pos integer;
    v_span tstzrange;
    v_member text;
BEGIN
    IF p_data_ids IS NULL THEN
        IF calib._raise('KC015', 'data IDs must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'data IDs')) IS NULL THEN END IF;
    END IF;
    v_n := cardinality(p_data_ids);
    SELECT array_agg(di.data_id_key ORDER BY u.ord), array_agg(di.value ORDER BY u.ord),
           count(*) FILTER (WHERE di.data_id_key IS NULL)
    INTO v_keys, v_values, v_open
    FROM unnest(p_data_ids) WITH ORDINALITY AS u(v, ord)
    LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v;
    IF v_open > 0 THEN
        /* Some data ID is not stored: validate them all (KC008 names the first bad one in
           input order) and look the canonical forms up. */
        v_values := calib._canonical_data_ids(v_type, p_data_ids);
        SELECT array_agg(di.data_id_key ORDER BY u.ord) INTO v_keys
        FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
        LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v;
    END IF;
    IF p_spans IS NULL OR cardinality(p_spans) <> v_n THEN
        IF calib._raise('KC015',
            format('lookup in %L needs one time (or NULL) per data ID', p_collection),
            jsonb_build_object('kind', 'lookup_times_count', 'collection', p_collection)) IS NULL THEN END IF;
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    /* A data ID never stored (NULL key) matches nothing: no probe. */
    SELECT array_agg(p.dataset_id ORDER BY u.ord), array_agg(p.member_id ORDER BY u.ord),
           min(u.ord) FILTER (WHERE p.ambiguous)
    INTO v_ids, v_members, v_pos
    FROM unnest(v_keys, p_spans) WITH ORDINALITY AS u(k, span, ord)
    LEFT JOIN LATERAL calib.probe(v_coll_id, u.k, u.span) AS p ON u.k IS NOT NULL
    WHERE v_epoch IS NULL;
    IF v_epoch IS NOT NULL THEN
        SELECT array_agg(p.dataset_id ORDER BY p.ord), array_agg(p.member_id ORDER BY p.ord),
               min(p.ord) FILTER (WHERE p.ambiguous)
        INTO v_ids, v_members, v_pos
        FROM calib._probe_all_as_of(v_coll_id, v_keys, p_spans, v_epoch) AS p;
    END IF;

    IF v_pos IS NOT NULL THEN
        v_span := p_spans[v_pos];
        IF v_epoch IS NULL THEN
            SELECT mc.name INTO v_member FROM calib.collection AS mc
            WHERE mc.collection_id = v_members[v_pos];
        ELSE
            SELECT a.member_name INTO v_member
            FROM calib._search_path_as_of(v_coll_id, v_epoch) AS a
            WHERE a.member_id = v_members[v_pos];
        END IF;
        IF calib._raise('KC011',
            format('lookup of %L data ID %s in %L is ambiguous: collection %L has more than one '
                   'certification valid %s', p_dataset_type, v_values[v_pos], p_collection,
                   v_member,
                   CASE WHEN lower(v_span) = upper(v_span) THEN 'at ' || calib._ts_text(lower(v_span))
                        ELSE 'during ' || calib._span_text(calib._span_json(v_span)) END),
            jsonb_build_object(
                'kind', CASE WHEN lower(v_span) = upper(v_span) THEN 'lookup_ambiguous_at'
                             ELSE 'lookup_ambiguous_during' END,
                'collection', v_member, 'searched', p_collection,
                'dataset_type', p_dataset_type, 'data_id', v_values[v_pos],
                'datasets', CASE WHEN v_epoch IS NULL THEN
                            (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification AS c
                             JOIN calib.collection AS mc ON mc.collection_id = c.collection_id
                             WHERE mc.name = v_member AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span)
                            ELSE
                            (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification_history AS c
                             WHERE c.collection_id = v_members[v_pos] AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span
                               AND calib._visible(c.created_change, c.removed_change, v_epoch))
                            END)
            || CASE WHEN lower(v_span) = upper(v_span)
                    THEN jsonb_build_object('at', calib._ts_text(lower(v_span)))
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END) IS NULL THEN END IF;
    END IF;

    RETURN QUERY
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END, r.name
    FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$$;

INSERT INTO calib.collection_version (collection_id, name, type, state, writers,
                                      created_change, created_operation)
SELECT c.collection_id, c.name, c.type, c.state, c.writers, ch.change_id, 'upgrade'
FROM calib.collection AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
INSERT INTO calib.chain_version (parent_id, position, child_id, created_change, created_operation)
SELECT c.parent_id, c.position, c.child_id, ch.change_id, 'upgrade'
FROM calib.collection_chain AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
INSERT INTO calib.tag_version (collection_id, dataset_type_id, data_id_key, dataset_id,
                               created_change, created_operation)
SELECT c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id, ch.change_id, 'upgrade'
FROM calib.tag AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
INSERT INTO calib.dataset_version (dataset_id, dataset_type_id, data_id_key, run_id,
                                   created_change, created_operation)
SELECT c.dataset_id, c.dataset_type_id, c.data_id_key, c.run_id, ch.change_id, 'upgrade'
FROM calib.dataset AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
CREATE OR REPLACE FUNCTION calib.register_collection(p_name text, p_type text, p_doc text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case).
   Returns true if it was created, false if it existed with the same type (a no-op; the
   stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT).
   The name is stored in Unicode NFC.
   Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.
   Locks: the new name in the unique index collection_name_key: a second transaction
   registering the same new name waits for the first to end, bounded (calib._bound_waits;
   55P03, kind lock_timeout, wait collection_name). */
DECLARE
    v_type text := upper(p_type);
    v_existing text;
    v_old text;
    v_created boolean;
BEGIN
    PERFORM calib._operation('register_collection');  -- named in the history (revision 0014)
    p_name := normalize(p_name, NFC);  -- names are stored in NFC (calib._check_name)
    IF calib._check_name(p_name, 'collection name') IS NULL THEN END IF;
    IF v_type IS NULL OR v_type NOT IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED') THEN
        IF calib._raise('KC015',
            format('unknown collection type %L; expected RUN, TAGGED, CALIBRATION or CHAINED', p_type),
            jsonb_build_object('kind', 'collection_type_unknown', 'collection', p_name,
                               'type', p_type)) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, doc) VALUES (p_name, v_type, p_doc)
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING;
        v_created := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_name),
            jsonb_build_object('collection', p_name)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_created THEN
        RETURN true;
    END IF;
    SELECT type INTO v_existing FROM calib.collection WHERE name = p_name;
    IF v_existing <> v_type THEN
        IF calib._raise('KC010',
            format('collection %L already exists as %s, not %s', p_name, v_existing, v_type),
            jsonb_build_object('kind', 'collection_exists_as', 'collection', p_name,
                               'type', v_existing, 'requested', v_type)) IS NULL THEN END IF;
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text[])
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Replace the children of CHAINED collection p_parent, atomically, by p_children in order
   (a repeated child is kept at its first position only; an empty array empties the chain).
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the
   parent itself, or a chain that already contains the parent), KC015 NULL.
   Locks: calib._lock_chains(), then the parent row (calib._lock_collections). */
DECLARE
    v_parent calib.collection := calib._collection(p_parent, ARRAY['CHAINED']);
    v_ids integer[];
    v_missing text;
    v_cycle text;
BEGIN
    PERFORM calib._operation('set_chain');  -- named in the history (revision 0014)
    IF p_children IS NULL OR array_position(p_children, NULL) IS NOT NULL THEN
        IF calib._raise('KC015', 'chain children must be a non-NULL array of names',
                             jsonb_build_object('kind', 'chain_children_null',
                                                'collection', p_parent)) IS NULL THEN END IF;
    END IF;
    /* Names are stored in NFC: look the children up by their NFC spelling. */
    p_children := ARRAY(SELECT normalize(u.c, NFC)
                        FROM unnest(p_children) WITH ORDINALITY AS u(c, ord) ORDER BY u.ord);
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_parent := calib._collection(p_parent, ARRAY['CHAINED']);
    IF calib._lock_collections(ARRAY[v_parent.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_parent.collection_id, 'set_chain') IS NULL THEN END IF;

    SELECT u.name INTO v_missing
    FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
    LEFT JOIN calib.collection AS c ON c.name = u.name
    WHERE c.collection_id IS NULL ORDER BY u.ord LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC002',
            format('collection %L (child of chain %L) does not exist', v_missing, p_parent),
            jsonb_build_object('kind', 'chain_child_missing', 'collection', v_missing,
                               'parent', p_parent)) IS NULL THEN END IF;
    END IF;

    v_ids := ARRAY(
        SELECT c.collection_id
        FROM (SELECT DISTINCT ON (u.name) u.name, u.ord
              FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
              ORDER BY u.name, u.ord) AS firsts
        JOIN calib.collection AS c ON c.name = firsts.name
        ORDER BY firsts.ord);

    /* A cycle exists iff the parent is reachable from one of the new children. */
    WITH RECURSIVE reach (collection_id, via) AS (
        SELECT c, c FROM unnest(v_ids) AS c
        UNION
        SELECT ch.child_id, r.via
        FROM reach AS r JOIN calib.collection_chain AS ch ON ch.parent_id = r.collection_id
    )
    SELECT c.name INTO v_cycle
    FROM reach AS r JOIN calib.collection AS c ON c.collection_id = r.via
    WHERE r.collection_id = v_parent.collection_id
    ORDER BY array_position(v_ids, r.via)  -- the first new child that leads back
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle, p_parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', p_parent, 'child', v_cycle)) IS NULL THEN END IF;
    END IF;

    DELETE FROM calib.collection_chain WHERE parent_id = v_parent.collection_id;
    INSERT INTO calib.collection_chain (parent_id, position, child_id)
    SELECT v_parent.collection_id, u.ord, u.id
    FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord);
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_chain with the children as one JSON array document of names (calib._names).
   PL/pgSQL, as the typed form, so that both return the same void value. */
BEGIN
    PERFORM calib._operation('set_chain');  -- named in the history (revision 0014)
    IF calib.set_chain(p_parent, calib._names(p_children, 'children')) IS NULL THEN END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_chain with the children as text: a JSON array or a PostgreSQL array literal. */
BEGIN
    PERFORM calib._operation('set_chain');  -- named in the history (revision 0014)
    IF calib.set_chain(p_parent, calib._names(calib._document(p_children, 'children', false),
                                                   'children')) IS NULL THEN END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.remove_collection(p_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove a TAGGED, CALIBRATION or CHAINED collection with its associations (tags,
   certifications, chain children); its datasets stay in their RUNs. A RUN may be removed
   only while it holds no dataset.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown, KC013 still a child of a chain / RUN with datasets.
   Locks: calib._lock_chains(), then the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_name);
    v_parent text;
BEGIN
    PERFORM calib._operation('remove_collection');  -- named in the history (revision 0014)
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_coll := calib._collection(p_name);
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'remove_collection') IS NULL THEN END IF;
    SELECT p.name INTO v_parent
    FROM calib.collection_chain AS ch JOIN calib.collection AS p ON p.collection_id = ch.parent_id
    WHERE ch.child_id = v_coll.collection_id
    ORDER BY p.name LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC013',
            format('collection %L is still a child of chain %L', p_name, v_parent),
            jsonb_build_object('kind', 'collection_in_chain', 'collection', p_name,
                               'parent', v_parent)) IS NULL THEN END IF;
    END IF;
    IF v_coll.type = 'RUN' AND EXISTS (SELECT FROM calib.dataset WHERE run_id = v_coll.collection_id) THEN
        IF calib._raise('KC013',
            format('RUN collection %L still holds datasets; datasets are never deleted', p_name),
            jsonb_build_object('kind', 'run_has_datasets', 'collection', p_name)) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.collection WHERE collection_id = v_coll.collection_id;
END
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered,
   distinct names). Returns true if created, false if the same definition existed.
   Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a
   data ID, no data ID can outgrow a btree entry).
   Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another
   definition; 55P03 lock timeout (kind lock_timeout).
   Locks: the new name in the unique index dataset_type_name_key: a second transaction
   registering the same new name waits for the first to end, bounded (calib._bound_waits;
   55P03, kind lock_timeout, wait dataset_type_name). */
DECLARE
    v_existing calib.dataset_type;
    v_dim text;
    v_old text;
    v_created boolean;
BEGIN
    PERFORM calib._operation('register_dataset_type');  -- named in the history (revision 0014)
    /* Names are stored in NFC (calib._check_name), the dimension names too. */
    p_name := normalize(p_name, NFC);
    p_dimensions := CASE WHEN p_dimensions IS NOT NULL THEN ARRAY(SELECT normalize(u.d, NFC)
                          FROM unnest(p_dimensions) WITH ORDINALITY AS u(d, ord) ORDER BY u.ord) END;
    IF calib._check_name(p_name, 'dataset type name') IS NULL THEN END IF;
    IF p_dimensions IS NULL OR p_is_calibration IS NULL THEN
        IF calib._raise('KC015', 'dimensions and is_calibration must not be NULL',
                             jsonb_build_object('kind', 'dataset_type_definition_null',
                                                'dataset_type', p_name)) IS NULL THEN END IF;
    END IF;
    FOREACH v_dim IN ARRAY p_dimensions LOOP
        IF calib._check_name(v_dim, 'dimension name') IS NULL THEN END IF;
    END LOOP;
    IF cardinality(p_dimensions) <> (SELECT count(DISTINCT d) FROM unnest(p_dimensions) AS d) THEN
        IF calib._raise('KC015',
            format('dimensions of dataset type %L repeat a name: %s', p_name, p_dimensions),
            jsonb_build_object('kind', 'dimensions_repeated', 'dataset_type', p_name,
                               'dimensions', to_jsonb(p_dimensions))) IS NULL THEN END IF;
    END IF;
    IF cardinality(p_dimensions) > 32 THEN
        IF calib._raise('KC015',
            format('dataset type %L has %s dimensions; at most 32 are allowed', p_name,
                   cardinality(p_dimensions)),
            jsonb_build_object('kind', 'dimensions_count', 'dataset_type', p_name,
                               'count', cardinality(p_dimensions))) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.dataset_type (name, dimensions, is_calibration)
        VALUES (p_name, p_dimensions, p_is_calibration)
        ON CONFLICT ON CONSTRAINT dataset_type_name_key DO NOTHING;
        v_created := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('dataset_type_name',
            format('another transaction creating dataset type %L', p_name),
            jsonb_build_object('dataset_type', p_name)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_created THEN
        RETURN true;
    END IF;
    SELECT * INTO v_existing FROM calib.dataset_type WHERE name = p_name;
    IF v_existing.dimensions <> p_dimensions OR v_existing.is_calibration <> p_is_calibration THEN
        IF calib._raise('KC010',
            format('dataset type %L already exists with dimensions %s, is_calibration=%s',
                   p_name, v_existing.dimensions, v_existing.is_calibration),
            jsonb_build_object('kind', 'dataset_type_exists_as', 'dataset_type', p_name,
                               'dimensions', to_jsonb(v_existing.dimensions),
                               'is_calibration', v_existing.is_calibration)) IS NULL THEN END IF;
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions jsonb, p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* register_dataset_type with the dimensions as one JSON array document of names
   ('["instrument", "detector"]', calib._names). */
SELECT calib.register_dataset_type(p_name, calib._names(p_dimensions, 'dimensions'),
                                   p_is_calibration)
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text, p_is_calibration text DEFAULT 'true')
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* register_dataset_type with every argument as text: the dimensions a JSON array or a
   PostgreSQL array literal, is_calibration a boolean's text. */
SELECT calib.register_dataset_type(
    p_name, calib._names(calib._document(p_dimensions, 'dimensions', false), 'dimensions'),
    calib._parse_boolean(p_is_calibration, 'is_calibration'))
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Create one dataset per data ID in RUN collection p_run; returns (id, canonical data ID)
   in input order. p_ids brings the caller's own UUIDs (same length); otherwise random
   UUIDs are generated. Set-based: data IDs are interned and datasets inserted with one
   statement each.
   A dimension used for the first time gets the value type of its first value here.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID
   (calib._canonical_data_ids: also a value of the other type than its dimension's),
   KC010 a data ID repeated in the call or already in the run, or an id already used,
   KC015 NULLs / p_ids of another length.
   Locks: the run's collection row (calib._lock_collections); then the new data IDs (in
   data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a
   transaction creating one of them too, still open, makes this call wait for it to end,
   bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with
   the call's first data IDs / ids). A dimension's first use: see calib._fix_dimensions. */
DECLARE
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_run calib.collection := calib._collection(p_run, ARRAY['RUN']);
    /* First use of a dimension fixes its value type (calib.dimension). */
    v_new_dimensions boolean := calib._fix_dimensions(v_type, p_data_ids);
    v_values jsonb[] := calib._canonical_data_ids(v_type, p_data_ids);
    v_ids uuid[];
    v_keys integer[];
    v_dup jsonb;
    v_dup_id uuid;
    v_old text;
    v_step text;
BEGIN
    PERFORM calib._operation('insert_datasets');  -- named in the history (revision 0014)
    IF p_ids IS NOT NULL AND (cardinality(p_ids) <> cardinality(p_data_ids)
                              OR array_position(p_ids, NULL) IS NOT NULL) THEN
        IF calib._raise('KC015',
            format('%s ids given for %s data IDs (ids must be non-NULL, one per data ID)',
                   cardinality(p_ids), cardinality(p_data_ids)),
            jsonb_build_object('kind', 'ids_count', 'dataset_type', p_dataset_type,
                               'collection', p_run, 'n_ids', cardinality(p_ids),
                               'n_data_ids', cardinality(p_data_ids))) IS NULL THEN END IF;
    END IF;
    v_ids := coalesce(p_ids, ARRAY(SELECT gen_random_uuid() FROM generate_series(1, cardinality(v_values))));

    SELECT u.v INTO v_dup FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
    GROUP BY u.v HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010',
            format('data ID %s of dataset type %L appears more than once in one call', v_dup, p_dataset_type),
            jsonb_build_object('kind', 'data_id_repeated', 'dataset_type', p_dataset_type,
                               'data_id', v_dup, 'collection', p_run)) IS NULL THEN END IF;
    END IF;
    SELECT u.i INTO v_dup_id FROM unnest(v_ids) WITH ORDINALITY AS u(i, ord)
    GROUP BY u.i HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010', format('dataset id %s appears more than once in one call', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_repeated', 'dataset', v_dup_id)) IS NULL THEN END IF;
    END IF;

    IF calib._lock_collections(ARRAY[v_run.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_run.collection_id, 'insert_datasets') IS NULL THEN END IF;

    SELECT d.dataset_id INTO v_dup_id FROM calib.dataset AS d WHERE d.dataset_id = ANY (v_ids)
    ORDER BY d.dataset_id LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010', format('dataset id %s already exists', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_exists', 'dataset', v_dup_id)) IS NULL THEN END IF;
    END IF;

    /* The new data IDs, then the new datasets: both may wait for another transaction that
       creates the same ones; one bound and one subtransaction for both (v_step says which
       wait ran out). */
    v_old := calib._bound_waits();
    BEGIN
        /* Intern in a fixed order so that concurrent callers cannot deadlock on each
           other's speculative insertions. */
        v_step := 'data_id';
        INSERT INTO calib.data_id (dataset_type_id, value)
        SELECT v_type.dataset_type_id, v FROM unnest(v_values) AS v ORDER BY v
        ON CONFLICT ON CONSTRAINT data_id_type_value_key DO NOTHING;
        v_keys := ARRAY(
            SELECT di.data_id_key
            FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
            JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v
            ORDER BY u.ord);

        SELECT di.value INTO v_dup
        FROM calib.dataset AS d JOIN calib.data_id AS di ON di.data_id_key = d.data_id_key
        WHERE d.run_id = v_run.collection_id AND d.data_id_key = ANY (v_keys)
        ORDER BY d.data_id_key LIMIT 1;
        IF FOUND THEN
            IF calib._raise('KC010',
                format('RUN %L already has a %L dataset with data ID %s', p_run, p_dataset_type, v_dup),
                jsonb_build_object('kind', 'run_data_id_exists', 'collection', p_run,
                                   'dataset_type', p_dataset_type, 'data_id', v_dup)) IS NULL THEN END IF;
        END IF;

        /* In id order too: two calls given the same new ids in opposite orders (into
           different RUNs, so under different collection locks) then meet on the same first
           id, and the later one waits for it and fails (dataset_pkey) instead of deadlocking
           with the other halfway through. */
        v_step := 'dataset_id';
        INSERT INTO calib.dataset (dataset_id, dataset_type_id, data_id_key, run_id)
        SELECT u.id, v_type.dataset_type_id, u.k, v_run.collection_id
        FROM unnest(v_ids, v_keys) AS u(id, k)
        ORDER BY u.id;
    EXCEPTION WHEN lock_not_available THEN
        IF v_step = 'data_id' THEN
            IF calib._lock_timeout('data_id',
                format('another transaction creating a %L data ID of this call (%s data IDs, the first %s)',
                       p_dataset_type, cardinality(v_values), v_values[1]),
                jsonb_build_object('dataset_type', p_dataset_type, 'collection', p_run,
                                   'data_ids', to_jsonb(v_values[1:10]),
                                   'n_data_ids', cardinality(v_values))) IS NULL THEN END IF;
        END IF;
        IF calib._lock_timeout('dataset_id',
            format('another transaction creating a dataset id of this call (%s ids, the first %s)',
                   cardinality(v_ids), v_ids[1]),
            jsonb_build_object('dataset_type', p_dataset_type, 'collection', p_run,
                               'datasets', to_jsonb(v_ids[1:10]),
                               'n_datasets', cardinality(v_ids))) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);

    RETURN QUERY SELECT u.id, u.v FROM unnest(v_ids, v_values) AS u(id, v);
END
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids jsonb, p_ids jsonb DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* insert_datasets with the data IDs and the ids as JSON array documents
   ('[{"instrument": "Cam", "detector": 1}]', '["<uuid>"]'); same results and errors, KC016
   for a document that is not such an array. */
SELECT * FROM calib.insert_datasets(p_dataset_type, p_run,
                                    calib._data_ids(p_data_ids, 'data_ids'),
                                    calib._uuids(p_ids, 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids text, p_ids text DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* insert_datasets with every argument as text: data IDs and ids as JSON arrays or
   PostgreSQL array literals (calib._document). */
SELECT * FROM calib.insert_datasets(
    p_dataset_type, p_run,
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'),
    calib._uuids(calib._document(p_ids, 'ids', false), 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Add datasets to TAGGED collection p_collection. A TAGGED collection holds at most one
   dataset per (dataset type, data ID); tagging a dataset already there is a no-op.
   Returns the number of datasets newly tagged.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another
   dataset of the same type and data ID is tagged already (or in the same call).
   Locks: the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_bad record;
    v_n integer;
BEGIN
    PERFORM calib._operation('tag');  -- named in the history (revision 0014)
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'tag') IS NULL THEN END IF;
    WITH n AS (SELECT DISTINCT u.id, u.k FROM unnest(p_datasets, v_res.o_keys) AS u(id, k)),
    clash AS (
        SELECT 0 AS src, a.id, b.id AS other, a.k
        FROM n AS a JOIN n AS b ON a.k = b.k AND a.id < b.id
        UNION ALL
        SELECT 1, n.id, t.dataset_id, n.k FROM n
        JOIN calib.tag AS t ON t.collection_id = v_coll.collection_id AND t.data_id_key = n.k
                           AND t.dataset_id <> n.id
    )
    SELECT clash.*, di.value AS data_id, dt.name AS type_name INTO v_bad
    FROM clash JOIN calib.data_id AS di ON di.data_id_key = clash.k
    JOIN calib.dataset_type AS dt ON dt.dataset_type_id = di.dataset_type_id
    /* A fixed choice when there are several (the same on every plan and backend): clashes
       within the call first, then by key and ids. */
    ORDER BY clash.src, clash.k, clash.id, clash.other
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010',
            format('TAGGED collection %L can hold only one %L dataset with data ID %s: %s and %s',
                   p_collection, v_bad.type_name, v_bad.data_id, v_bad.id, v_bad.other),
            jsonb_build_object('kind', 'tag_clash', 'collection', p_collection,
                               'dataset_type', v_bad.type_name,
                               'data_id', v_bad.data_id, 'dataset', v_bad.id,
                               'conflicting_dataset', v_bad.other)) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
    SELECT DISTINCT v_coll.collection_id, u.t, u.k, u.id
    FROM unnest(p_datasets, v_res.o_types, v_res.o_keys) AS u(id, t, k)
    ON CONFLICT ON CONSTRAINT tag_pkey DO NOTHING;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* tag with the datasets as one JSON array document of UUID strings (calib._uuids). */
SELECT calib.tag(p_collection, calib._uuids(p_datasets, 'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets text)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* tag with the datasets as text: a JSON array or a PostgreSQL array literal. */
SELECT calib.tag(p_collection, calib._uuids(calib._document(p_datasets, 'datasets', false),
                                           'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove datasets from TAGGED collection p_collection; datasets not tagged there are
   ignored. Returns the number removed.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.
   Locks: the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_n integer;
BEGIN
    PERFORM calib._operation('untag');  -- named in the history (revision 0014)
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'untag') IS NULL THEN END IF;
    DELETE FROM calib.tag AS t
    WHERE t.collection_id = v_coll.collection_id AND t.dataset_id = ANY (p_datasets);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* untag with the datasets as one JSON array document of UUID strings (calib._uuids). */
SELECT calib.untag(p_collection, calib._uuids(p_datasets, 'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets text)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* untag with the datasets as text: a JSON array or a PostgreSQL array literal. */
SELECT calib.untag(p_collection, calib._uuids(calib._document(p_datasets, 'datasets', false),
                                           'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib._certify_rows(
    p_coll calib.collection, p_datasets uuid[], p_begins timestamptz[], p_ends timestamptz[],
    p_series boolean, p_close_open boolean)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The one implementation behind certify and certify_series. Item i certifies
   p_datasets[i] over [p_begins[i], p_ends[i]) (NULL = unbounded). In series mode the ends
   are ignored and derived: the next begin of the same calibration key, the last one
   unbounded.
   Order of work: every check that needs no lock, then the collection lock, then close_open,
   then one INSERT. The exclusion constraint finds every overlap (stored rows and rows of
   this same call alike); on a violation the conflicts are listed and KC001 is raised, which
   undoes the close_open update too.
   The collection's writers and state are checked right after its lock
   (calib._check_change, with each item's key and begin for the APPEND_ONLY rule).
   Errors: KC017/KC018 (calib._check_change), KC007 unknown dataset, KC006 not a calibration type, KC001 conflicts (also:
   two items of a series with the same key and begin). */
DECLARE
    v_res record := calib._resolve_datasets(p_datasets);
    v_ends timestamptz[] := p_ends;
    v_name text;
    v_n integer;
    v_conflicts jsonb;
BEGIN
    SELECT t.name INTO v_name FROM calib.dataset_type AS t
    WHERE t.dataset_type_id = ANY (v_res.o_types) AND NOT t.is_calibration
    ORDER BY t.dataset_type_id LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC006',
            format('dataset type %L is not a calibration type and cannot be certified', v_name),
            jsonb_build_object('kind', 'not_calibration_certify',
                               'dataset_type', v_name, 'collection', p_coll.name)) IS NULL THEN END IF;
    END IF;

    IF p_series THEN
        v_conflicts := (
            SELECT jsonb_agg(jsonb_build_object(
                       'dataset_type', t.name, 'data_id', di.value,
                       'dataset', g.ids[1], 'timespan', calib._span_json(tstzrange(g.b, NULL, '[)')),
                       'conflicting_dataset', g.ids[2],
                       'conflicting_timespan', calib._span_json(tstzrange(g.b, NULL, '[)')))
                   ORDER BY g.first)
            FROM (SELECT u.k, u.b, array_agg(u.id ORDER BY u.ord) AS ids, min(u.ord) AS first
                  FROM unnest(p_datasets, v_res.o_keys, p_begins) WITH ORDINALITY AS u(id, k, b, ord)
                  GROUP BY u.k, u.b HAVING count(*) > 1) AS g
            JOIN calib.data_id AS di ON di.data_id_key = g.k
            JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id);
        IF v_conflicts IS NOT NULL THEN
            IF calib._raise('KC001',
                format('certify_series into %L: %s data ID %s has two items beginning at %s',
                       p_coll.name, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                       coalesce(v_conflicts->0->'timespan'->>0, '-infinity')),
                jsonb_build_object('kind', 'series_duplicate_begin',
                                   'collection', p_coll.name, 'conflicts', v_conflicts)) IS NULL THEN END IF;
        END IF;
        v_ends := ARRAY(
            SELECT s.e FROM (
                SELECT u.ord, lead(u.b) OVER (PARTITION BY u.k ORDER BY u.b NULLS FIRST) AS e
                FROM unnest(v_res.o_keys, p_begins) WITH ORDINALITY AS u(k, b, ord)) AS s
            ORDER BY s.ord);
    END IF;

    IF calib._lock_collections(ARRAY[p_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(p_coll.collection_id,
                           CASE WHEN p_series THEN 'certify_series' ELSE 'certify' END,
                           v_res.o_keys, p_begins) IS NULL THEN END IF;

    IF p_close_open THEN
        /* For each key, the earliest new begin closes a stored open range that begins
           before it. A key with an item unbounded below closes nothing. */
        UPDATE calib.certification AS c
        SET validity = tstzrange(lower(c.validity), f.first_begin, '[)'),
            created_change = DEFAULT, created_operation = DEFAULT  -- a new version (history)
        FROM (SELECT u.k, min(u.b) AS first_begin
              FROM unnest(v_res.o_keys, p_begins) AS u(k, b)
              GROUP BY u.k HAVING bool_and(u.b IS NOT NULL)) AS f
        WHERE c.collection_id = p_coll.collection_id
          AND c.data_id_key = f.k
          AND c.validity && tstzrange(f.first_begin, NULL, '[)')
          AND upper_inf(c.validity)
          AND (lower_inf(c.validity) OR lower(c.validity) < f.first_begin);
    END IF;

    BEGIN
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT p_coll.collection_id, u.t, u.k, u.id, tstzrange(u.b, u.e, '[)')
        FROM unnest(p_datasets, v_res.o_types, v_res.o_keys, p_begins, v_ends) AS u(id, t, k, b, e);
        GET DIAGNOSTICS v_n = ROW_COUNT;
    EXCEPTION WHEN exclusion_violation THEN
        v_conflicts := calib._certification_conflicts(
            p_coll.collection_id, p_datasets, v_res.o_keys, p_begins, v_ends);
        IF calib._raise('KC001',
            CASE WHEN v_conflicts IS NULL THEN
                format('certification into %L conflicts with a concurrent writer', p_coll.name)
            ELSE
                format('certification into %L conflicts: %s data ID %s, dataset %s over %s overlaps dataset %s over %s%s',
                       p_coll.name, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                       v_conflicts->0->>'dataset', calib._span_text(v_conflicts->0->'timespan'),
                       v_conflicts->0->>'conflicting_dataset',
                       calib._span_text(v_conflicts->0->'conflicting_timespan'),
                       CASE WHEN jsonb_array_length(v_conflicts) > 1
                            THEN format(' (and %s more)', jsonb_array_length(v_conflicts) - 1) ELSE '' END)
            END,
            jsonb_build_object('kind', CASE WHEN v_conflicts IS NULL
                                            THEN 'certification_conflict_concurrent'
                                            ELSE 'certification_conflict' END,
                               'collection', p_coll.name,
                               'conflicts', coalesce(v_conflicts, '[]'::jsonb))) IS NULL THEN END IF;
    END;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* Certify each dataset of p_datasets into CALIBRATION collection p_collection over
   p_timespan ([) bounds; +-infinity or a missing bound = unbounded). All or nothing: any
   overlap with a stored certification of the same calibration key (collection, dataset
   type, data ID), or between two datasets of this call, stores nothing.
   p_close_open: a stored certification of the same key with an unbounded end that begins
   before the new begin is first closed at the new begin; every other overlap still fails.
   Returns the number of certifications stored.
   Errors: KC017 caller not a writer, KC018 refused by the collection's state,
   KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007
   unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict),
   55P03 lock timeout.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).

   Two ways, one result. The fast way covers the common case (no close_open, every check
   passes, the collection OPEN with no writer list -- nothing for calib._check_change to
   refuse --, the collection row free to lock now) in two statements: lock the collection row
   with SKIP LOCKED (so it never waits), then insert; the table's own constraints refuse
   a bad item, a bad timespan or an overlap. It decides nothing else: if the row was not
   locked, or a constraint refused the rows, its subtransaction undoes the insert and the
   general way, calib._certify_rows, does the call again: it raises the precise error, or
   stores everything after a bounded wait for the lock. Why: the general way runs six PL/pgSQL
   frames and eleven statements, and each statement of a function costs ~10 us of set-up
   in every new transaction; that, not the work, was most of a one-dataset call
   (bench/README.md, "What was changed").
   force_generic_plan: a custom plan for a one-element array is always estimated cheaper,
   so the insert would otherwise be planned again on every call. */
DECLARE
    v_n integer;
    v_id integer;
    v_coll calib.collection;
    v_span tstzrange;
BEGIN
    PERFORM calib._operation('certify');  -- named in the history (revision 0014)
    IF NOT coalesce(p_close_open, false) AND cardinality(p_datasets) > 0 THEN
        SELECT c.collection_id INTO v_id FROM calib.collection AS c
        WHERE c.name = p_collection AND c.type = 'CALIBRATION'
          AND c.state = 'OPEN' AND c.writers IS NULL
        FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
            BEGIN
                /* One row per item, whatever it is: an unknown dataset, one of a type that
                   is not a calibration type, or a NULL item leaves a NULL in a NOT NULL
                   column, so the table refuses the whole statement like any overlap. */
                INSERT INTO calib.certification
                    (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
                SELECT v_id, t.dataset_type_id, d.data_id_key, u.id, p_timespan
                FROM unnest(p_datasets) AS u(id)
                LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
                LEFT JOIN calib.dataset_type AS t
                  ON t.dataset_type_id = d.dataset_type_id AND t.is_calibration;
                GET DIAGNOSTICS v_n = ROW_COUNT;
                RETURN v_n;
            EXCEPTION WHEN integrity_constraint_violation THEN
                NULL;  -- undone; the general way below raises the precise error
            END;
        END IF;
    END IF;

    v_coll := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_span := calib._timespan(p_timespan);
    v_n := coalesce(cardinality(p_datasets), 0);
    RETURN calib._certify_rows(
        v_coll, p_datasets,
        array_fill(lower(v_span), ARRAY[v_n]), array_fill(upper(v_span), ARRAY[v_n]),
        false, coalesce(p_close_open, false));
END
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets jsonb, p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify with the datasets as one JSON array document of UUID strings
   ('["<uuid>", ...]'); the same results and errors, plus KC016 for a document that is not
   such an array (calib._uuids). */
SELECT calib.certify(p_collection, calib._uuids(p_datasets, 'datasets'), p_timespan, p_close_open)
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets text, p_timespan text, p_close_open text DEFAULT 'false')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify with every argument as text, the form that untyped literals and drivers binding
   text reach: datasets a JSON array or a PostgreSQL array literal (calib._document), the
   timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan: a time
   without one is KC009), close_open a boolean's text. */
SELECT calib.certify(p_collection,
                     calib._uuids(calib._document(p_datasets, 'datasets', false), 'datasets'),
                     calib._parse_timespan(p_timespan, 'timespan'),
                     calib._parse_boolean(p_close_open, 'close_open'))
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets uuid[], p_begins timestamptz[], p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Certify a series given by begins only: item i is (p_datasets[i], p_begins[i]); each
   item's end is the next begin of the same calibration key, the last one is unbounded.
   A NULL or -infinity begin means unbounded below. Then exactly as calib.certify.
   Returns the number of certifications stored.
   Errors: as certify; KC001 also for two items of one key with the same begin; KC015
   arrays of different lengths; KC009 a begin of +infinity.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_begins timestamptz[];
BEGIN
    PERFORM calib._operation('certify_series');  -- named in the history (revision 0014)
    IF p_datasets IS NULL OR p_begins IS NULL
       OR cardinality(p_datasets) <> cardinality(p_begins) THEN
        IF calib._raise('KC015',
            format('certify_series into %L needs one begin per dataset (%s datasets, %s begins)',
                   p_collection, cardinality(p_datasets), cardinality(p_begins)),
            jsonb_build_object('kind', 'series_begins_count', 'collection', p_collection,
                               'n_datasets', cardinality(p_datasets),
                               'n_begins', cardinality(p_begins))) IS NULL THEN END IF;
    END IF;
    IF 'infinity'::timestamptz = ANY (p_begins) THEN
        IF calib._raise('KC009',
            format('certify_series into %L: a begin of +infinity leaves an empty timespan', p_collection),
            jsonb_build_object('kind', 'series_infinite_begin', 'collection', p_collection)) IS NULL THEN END IF;
    END IF;
    v_begins := ARRAY(SELECT nullif(b, '-infinity') FROM unnest(p_begins) WITH ORDINALITY AS u(b, ord) ORDER BY ord);
    RETURN calib._certify_rows(v_coll, p_datasets, v_begins, NULL, true, coalesce(p_close_open, false));
END
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets jsonb, p_begins jsonb, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify_series with datasets and begins as JSON array documents: UUID strings, and ISO
   8601 instants with a UTC offset (calib._uuids, calib._instants). Same results and errors;
   KC016 for a document that is not such an array, KC009 for a time without an offset. */
SELECT calib.certify_series(p_collection, calib._uuids(p_datasets, 'datasets'),
                            calib._instants(p_begins, 'begins'), p_close_open)
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets text, p_begins text, p_close_open text DEFAULT 'false')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify_series with every argument as text: datasets and begins as JSON arrays or
   PostgreSQL array literals (calib._document), close_open a boolean's text. */
SELECT calib.certify_series(
    p_collection,
    calib._uuids(calib._document(p_datasets, 'datasets', false), 'datasets'),
    calib._instants(calib._document(p_begins, 'begins', false), 'begins'),
    calib._parse_boolean(p_close_open, 'close_open'))
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove validity inside p_timespan from every certification of p_dataset_type in
   CALIBRATION collection p_collection (only those data IDs when p_data_ids is given):
   a certification fully covered is removed, one straddling an end is shortened, one
   containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining
   pieces (range difference as multiranges). Returns the number of certifications touched;
   nothing matching is a no-op (0).
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009
   bad timespan, KC008 bad data ID.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_span tstzrange := calib._timespan(p_timespan);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_n integer;
BEGIN
    PERFORM calib._operation('decertify');  -- named in the history (revision 0014)
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'decertify') IS NULL THEN END IF;
    WITH hit AS (
        DELETE FROM calib.certification AS c
        WHERE c.collection_id = v_coll.collection_id
          AND c.dataset_type_id = v_type.dataset_type_id
          AND c.validity && v_span
          AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
        RETURNING c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
    ), pieces AS (
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT hit.collection_id, hit.dataset_type_id, hit.data_id_key, hit.dataset_id, piece
        FROM hit, unnest(tstzmultirange(hit.validity) - tstzmultirange(v_span)) AS piece
    )
    SELECT count(*) INTO v_n FROM hit;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* decertify with the data IDs as one JSON array document (NULL or JSON null: all); same
   results and errors, KC016 for a document that is not an array. No default for
   p_data_ids: a three-argument call must keep reaching the typed form. */
SELECT calib.decertify(p_collection, p_dataset_type, p_timespan,
                       calib._data_ids(p_data_ids, 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan text, p_data_ids text DEFAULT NULL)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* decertify with every argument as text: the timespan a range of ISO 8601 instants with a
   UTC offset (calib._parse_timespan), the data IDs a JSON array or a PostgreSQL array
   literal (calib._document). */
SELECT calib.decertify(
    p_collection, p_dataset_type, calib._parse_timespan(p_timespan, 'timespan'),
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Give every certification of p_dataset_type in p_collection whose end is unbounded (only
   those data IDs when p_data_ids is given) the end p_end. Returns how many were closed.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC009 if one of them begins at or after p_end (nothing is changed) or p_end is
   NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_bad record;
    v_n integer;
BEGIN
    PERFORM calib._operation('close_open_range');  -- named in the history (revision 0014)
    IF p_end IS NULL OR NOT isfinite(p_end) THEN
        IF calib._raise('KC009',
            format('close_open_range in %L needs a finite end, not %s', p_collection, coalesce(p_end::text, 'NULL')),
            jsonb_build_object('kind', 'close_open_range_end', 'collection', p_collection,
                               'dataset_type', p_dataset_type, 'end', p_end::text)) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'close_open_range') IS NULL THEN END IF;
    /* Open ranges all overlap [p_end, infinity): the GiST index narrows the scan. */
    SELECT c.dataset_id, c.validity, di.value AS data_id INTO v_bad
    FROM calib.certification AS c JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    WHERE c.collection_id = v_coll.collection_id
      AND c.dataset_type_id = v_type.dataset_type_id
      AND c.validity && tstzrange(p_end, NULL, '[)')
      AND upper_inf(c.validity) AND NOT lower_inf(c.validity) AND lower(c.validity) >= p_end
      AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
    ORDER BY lower(c.validity), c.data_id_key
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC009',
            format('cannot close %L data ID %s in %L at %s: dataset %s begins at %s',
                   p_dataset_type, v_bad.data_id, p_collection, calib._ts_text(p_end),
                   v_bad.dataset_id, calib._ts_text(lower(v_bad.validity))),
            jsonb_build_object('kind', 'close_open_range_begins_after',
                               'collection', p_collection, 'dataset_type', p_dataset_type,
                               'data_id', v_bad.data_id, 'dataset', v_bad.dataset_id,
                               'timespan', calib._span_json(v_bad.validity),
                               'end', calib._ts_text(p_end))) IS NULL THEN END IF;
    END IF;
    UPDATE calib.certification AS c
    SET validity = tstzrange(lower(c.validity), p_end, '[)'),
        created_change = DEFAULT, created_operation = DEFAULT  -- a new version (history)
    WHERE c.collection_id = v_coll.collection_id
      AND c.dataset_type_id = v_type.dataset_type_id
      AND c.validity && tstzrange(p_end, NULL, '[)')
      AND upper_inf(c.validity)
      AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys));
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* close_open_range with the data IDs as one JSON array document (NULL or JSON null: all);
   same results and errors, KC016 for a document that is not an array. No default for
   p_data_ids: a three-argument call must keep reaching the typed form. */
SELECT calib.close_open_range(p_collection, p_dataset_type, p_end,
                              calib._data_ids(p_data_ids, 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end text, p_data_ids text DEFAULT NULL)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* close_open_range with every argument as text: the end an ISO 8601 instant with a UTC
   offset (calib._parse_instant), the data IDs a JSON array or a PostgreSQL array literal. */
SELECT calib.close_open_range(
    p_collection, p_dataset_type, calib._parse_instant(p_end, 'end'),
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.copy_collection(p_source text, p_destination text, p_doc text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Create p_destination with the type of p_source and all its associations: certifications
   with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based:
   one INSERT ... SELECT. p_doc defaults to the source's doc.
   Errors: KC002 unknown source, KC003 source is a RUN, KC010 destination exists, KC014 bad
   destination name.
   Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in
   flight, then copies their complete result); the new row is invisible until commit. A
   destination name that another open transaction is creating: wait for it to end, bounded
   (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name). */
DECLARE
    v_src calib.collection := calib._collection(p_source, ARRAY['TAGGED', 'CALIBRATION', 'CHAINED']);
    v_dst_id integer;
    v_old text;
BEGIN
    PERFORM calib._operation('copy_collection');  -- named in the history (revision 0014)
    p_destination := normalize(p_destination, NFC);  -- names are stored in NFC
    IF calib._check_name(p_destination, 'collection name') IS NULL THEN END IF;
    IF v_src.type = 'CHAINED' THEN
        IF calib._lock_chains() IS NULL THEN END IF;
        /* Look it up again: a concurrent remove may have committed while we waited. */
        v_src := calib._collection(p_source, ARRAY['CHAINED']);
    END IF;
    IF calib._lock_collections(ARRAY[v_src.collection_id], 'read') IS NULL THEN END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, doc)
        VALUES (p_destination, v_src.type, coalesce(p_doc, v_src.doc))
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING
        RETURNING collection_id INTO v_dst_id;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_destination),
            jsonb_build_object('collection', p_destination, 'source', p_source)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_dst_id IS NULL THEN
        IF calib._raise('KC010', format('collection %L already exists', p_destination),
                             jsonb_build_object('kind', 'collection_exists',
                                                'collection', p_destination)) IS NULL THEN END IF;
    END IF;
    IF v_src.type = 'CALIBRATION' THEN
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT v_dst_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
        FROM calib.certification AS c WHERE c.collection_id = v_src.collection_id;
    ELSIF v_src.type = 'TAGGED' THEN
        INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
        SELECT v_dst_id, t.dataset_type_id, t.data_id_key, t.dataset_id
        FROM calib.tag AS t WHERE t.collection_id = v_src.collection_id;
    ELSE
        INSERT INTO calib.collection_chain (parent_id, position, child_id)
        SELECT v_dst_id, ch.position, ch.child_id
        FROM calib.collection_chain AS ch WHERE ch.parent_id = v_src.collection_id;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_state(p_name text, p_state text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Set the state of collection p_name: OPEN (every change allowed, the default), APPEND_ONLY
   (certify only at or after the latest begin of each calibration key, tag, insert_datasets,
   close_open and close_open_range; no decertify, untag, set_chain or removal) or FROZEN (no
   change at all, from any role, raw SQL included). Case-insensitive. Returns the previous
   state. Unfreezing (FROZEN to OPEN or APPEND_ONLY) is allowed to whoever may call this
   function (calib_admin): it is not itself refused by the state, nor by the writer list,
   which restricts changes of the collection's content, not its administration.
   Errors: KC002 unknown collection, KC015 NULL or unknown state.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections): waits for the
   writers in flight, and a writer that comes after sees the new state. */
DECLARE
    v_coll calib.collection := calib._collection(p_name);
    v_old text;
BEGIN
    PERFORM calib._operation('set_collection_state');  -- named in the history (revision 0014)
    IF p_state IS NULL THEN
        IF calib._raise('KC015', 'collection state must not be NULL',
                        jsonb_build_object('kind', 'argument_null', 'what', 'collection state'))
            IS NULL THEN END IF;
    END IF;
    IF upper(p_state) NOT IN ('OPEN', 'APPEND_ONLY', 'FROZEN') THEN
        IF calib._raise('KC015',
            format('unknown collection state %L; expected OPEN, APPEND_ONLY or FROZEN', p_state),
            jsonb_build_object('kind', 'collection_state_unknown', 'state', p_state,
                               'collection', p_name)) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    SELECT c.state INTO v_old FROM calib.collection AS c
    WHERE c.collection_id = v_coll.collection_id;
    UPDATE calib.collection SET state = upper(p_state)
    WHERE collection_id = v_coll.collection_id AND state <> upper(p_state);
    RETURN v_old;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles text[])
RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Only members of the roles p_roles (directly or through other roles, as pg_has_role
   MEMBER says; a superuser always) may change collection p_name from now on; NULL resets
   to the default, every role allowed to call the mutating functions. A role repeated is
   kept once, at its first position. Roles are stored by name: a role renamed or dropped
   later grants nothing (fail-closed); set the list again. Which role is checked: the
   session's SET ROLE, else its login (calib._caller). Returns the previous list (NULL for
   the default). Allowed on a FROZEN collection: the list is the collection's
   administration, not its content.
   Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does
   not exist.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections). */
DECLARE
    v_coll calib.collection := calib._collection(p_name);
    v_missing text;
    v_old text[];
BEGIN
    PERFORM calib._operation('set_collection_writers');  -- named in the history (revision 0014)
    IF p_roles IS NOT NULL THEN
        IF cardinality(p_roles) = 0 OR array_position(p_roles, NULL) IS NOT NULL THEN
            IF calib._raise('KC015',
                format('writers of %L must be NULL (every certifier) or a non-empty list of role names',
                       p_name),
                jsonb_build_object('kind', 'writers_invalid', 'collection', p_name))
                IS NULL THEN END IF;
        END IF;
        SELECT u.r INTO v_missing FROM unnest(p_roles) WITH ORDINALITY AS u(r, ord)
        WHERE NOT EXISTS (SELECT FROM pg_roles AS g WHERE g.rolname = u.r)
        ORDER BY u.ord LIMIT 1;
        IF FOUND THEN
            IF calib._raise('KC015',
                format('role %L (writer of %L) does not exist', v_missing, p_name),
                jsonb_build_object('kind', 'role_missing', 'role', v_missing,
                                   'collection', p_name)) IS NULL THEN END IF;
        END IF;
        p_roles := ARRAY(SELECT f.r FROM (SELECT DISTINCT ON (u.r) u.r, u.ord
                                          FROM unnest(p_roles) WITH ORDINALITY AS u(r, ord)
                                          ORDER BY u.r, u.ord) AS f
                         ORDER BY f.ord);
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    SELECT c.writers INTO v_old FROM calib.collection AS c
    WHERE c.collection_id = v_coll.collection_id;
    UPDATE calib.collection SET writers = p_roles WHERE collection_id = v_coll.collection_id;
    RETURN v_old;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles jsonb)
RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_collection_writers with the roles as one JSON array document of names (calib._names);
   NULL or JSON null resets to every certifier. */
BEGIN
    PERFORM calib._operation('set_collection_writers');  -- named in the history (revision 0014)
    RETURN calib.set_collection_writers(p_name, calib._names(p_roles, 'writers'));
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles text)
RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_collection_writers with the roles as text: a JSON array or a PostgreSQL array
   literal; NULL resets to every certifier. */
BEGIN
    PERFORM calib._operation('set_collection_writers');  -- named in the history (revision 0014)
    RETURN calib.set_collection_writers(
        p_name, calib._names(calib._document(p_roles, 'writers', false), 'writers'));
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The dataset of p_dataset_type with data ID p_data_id found by searching p_collection
   (chains flattened, in order) at instant p_at: the first member with any match decides;
   CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips
   CALIBRATION members. No row when nothing matches.
   Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002,
   KC005, KC008.
   Locks: none; read-only (STABLE), runs on a hot standby.

   PL/pgSQL rather than SQL only so that the statement's plan is cached per session (a
   SECURITY DEFINER SQL function is planned again on every call). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[]') END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds,
   validated; NULL skips CALIBRATION members). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id text, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with every argument as text, the form untyped literals and drivers binding text
   reach (with two typed forms for p_at, an untyped call would be "not unique"): the data ID
   as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with '['
   or '(' (or is 'empty'), read strictly by calibcert (calib._parse_instant /
   calib._parse_timespan: a time without a UTC offset is KC009). Then exactly the typed
   find. */
BEGIN
    RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type,
                                          calib._json_text(p_data_id, 'data_id'), p_at);
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with a typed data ID and p_at as text (an untyped time next to a jsonb data ID):
   an instant, or a timespan when it starts with '[' or '(' (or is 'empty'), read strictly
   (calib._parse_instant / calib._parse_timespan). Then exactly the typed find. */
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_timespan(p_at, 'timespan'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_instant(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* find as of epoch p_as_of (calib.current_epoch(), calib.epoch_at()): the answer find
   gave at that epoch, through the chains and collections as they were then (a collection
   removed or renamed since is found by the name it had). NULL p_as_of is find now (the
   four-argument form, unchanged). Generic plans (plan_cache_mode): planned once per session;
   custom plans of calib._lookup's statements were made again on every call (1.1 ms instead
   of 0.55 ms per find as of an epoch).
   Errors: as find; KC015 as_of_range (negative, or beyond the current epoch); KC002 for a
   collection that did not exist at that epoch. */
BEGIN
    IF p_as_of IS NULL THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id, p_at);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT l.dataset_id, l.dataset_type, l.data_id, l.run
    FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id],
                       ARRAY[CASE WHEN p_at IS NOT NULL THEN tstzrange(p_at, p_at, '[]') END],
                       p_as_of) AS l
    WHERE l.dataset_id IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* As find(..., tstzrange) as of epoch p_as_of (NULL: now). */
BEGIN
    IF p_as_of IS NULL THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id, p_timespan);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT l.dataset_id, l.dataset_type, l.data_id, l.run
    FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id],
                       ARRAY[CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END],
                       p_as_of) AS l
    WHERE l.dataset_id IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at text, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* find(..., jsonb, text) as of epoch p_as_of (NULL: now): p_at an instant, or a timespan
   when it starts with '[' or '(' (or is 'empty'), read strictly. */
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_timespan(p_at, 'timespan'), p_as_of);
    ELSE
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_instant(p_at, 'at'), p_as_of);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id text, p_at text, p_as_of text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* find as of an epoch with every argument as text (drivers binding text): p_as_of an epoch
   in decimal digits, or NULL / '' for now (calib._epoch_text). Then exactly the typed form.
   Errors: as find; KC015 epoch_text for an epoch that is not a decimal integer. */
BEGIN
    RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type,
                                          calib._json_text(p_data_id, 'data_id'), p_at,
                                          calib._epoch_text(p_as_of, 'as_of'));
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find for many (data ID, instant) pairs in one call: one row per pair, in input order
   (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips
   CALIBRATION members for that pair.
   Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different
   lengths.
   Locks: none; read-only (STABLE), runs on a hot standby. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find_many(..., timestamptz[]) with a timespan per pair. A timespan that is a single
   instant written [t,t] is accepted as that instant (the Python client sends mixed
   instants and timespans this way); every other span must have [) bounds. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN s IS NULL THEN NULL
                                     WHEN lower_inc(s) AND upper_inc(s) AND lower(s) = upper(s) THEN s
                                     ELSE calib._timespan(s) END
                         FROM unnest(p_timespans) WITH ORDINALITY AS u(s, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb, p_at jsonb)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with the data IDs and the times as JSON array documents: the times are ISO 8601
   instants with a UTC offset, or (when one of them starts with '[' or '(') all timespans
   as range strings; null for no time. Same results and errors as the typed forms; KC016 for
   a document that is not such an array, KC009 for a time without an offset. */
DECLARE
    v_spans boolean;
BEGIN
    v_spans := EXISTS (
        SELECT FROM jsonb_array_elements(calib._document_array(p_at, 'at')) AS u(e)
        WHERE jsonb_typeof(u.e) = 'string' AND left(ltrim(u.e #>> '{}'), 1) IN ('[', '('));
    IF v_spans THEN
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._timespans(p_at, 'at'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._instants(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids text, p_at text)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with every argument as text: data IDs and times as JSON arrays or PostgreSQL
   array literals (calib._document), then as find_many(text, text, jsonb, jsonb). */
SELECT * FROM calib.find_many(p_collection, p_dataset_type,
                              calib._document(p_data_ids, 'data_ids', true),
                              calib._document(p_at, 'at', false))
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[], p_as_of bigint)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many as of epoch p_as_of (NULL: now): the answers find gave at that epoch, through
   the chains as they were then.
   Errors: as find_many; KC015 as_of_range. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o),
                   p_as_of) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[], p_as_of bigint)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find_many(..., tstzrange[]) as of epoch p_as_of (NULL: now). */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN s IS NULL THEN NULL
                                     WHEN lower_inc(s) AND upper_inc(s) AND lower(s) = upper(s) THEN s
                                     ELSE calib._timespan(s) END
                         FROM unnest(p_timespans) WITH ORDINALITY AS u(s, o) ORDER BY o),
                   p_as_of) AS l
$$;

CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text DEFAULT NULL)
RETURNS TABLE (collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every certification in p_collection (through a chain: in every CALIBRATION member, in
   search order, each row naming the member it is stored in), optionally of one dataset
   type. Ordered by member, dataset type, data ID (interning order), begin.
   Errors: KC002 unknown collection, KC005 unknown dataset type.
   Locks: none; read-only. */
/* Check both names up front: in the query below the dataset-type check runs only for rows
   found, so an unknown type would pass silently on a collection without certifications. */
SELECT calib._collection(p_collection),
       CASE WHEN p_dataset_type IS NOT NULL THEN calib._dataset_type(p_dataset_type) END;
SELECT f.name, c.dataset_id, t.name, di.value, r.name, c.validity
FROM calib._flatten((calib._collection(p_collection)).collection_id) AS f
JOIN calib.certification AS c ON c.collection_id = f.collection_id
JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
JOIN calib.collection AS r ON r.collection_id = d.run_id
WHERE f.type = 'CALIBRATION'
  AND (p_dataset_type IS NULL
       OR c.dataset_type_id = (calib._dataset_type(p_dataset_type)).dataset_type_id)
ORDER BY f.ord, t.name, c.data_id_key, lower(c.validity) NULLS FIRST
$$;

CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text, p_as_of bigint)
RETURNS TABLE (collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certifications as of epoch p_as_of (NULL: now): every certification p_collection held
   then, through its chains as they were then, each row naming the member it was in.
   Errors: as certifications; KC015 as_of_range; KC002 for a collection that did not
   exist at that epoch. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer;
    v_type_id integer;
BEGIN
    IF v_epoch IS NULL THEN
        RETURN QUERY SELECT * FROM calib.certifications(p_collection, p_dataset_type);
        RETURN;
    END IF;
    v_coll_id := calib._collection_as_of(p_collection, v_epoch);
    IF p_dataset_type IS NOT NULL THEN
        v_type_id := (calib._dataset_type(p_dataset_type)).dataset_type_id;
    END IF;
    RETURN QUERY
    SELECT f.member_name, c.dataset_id, t.name, di.value, r.name, c.validity
    FROM calib._search_path_as_of(v_coll_id, v_epoch) AS f
    JOIN calib.certification_history AS c ON c.collection_id = f.member_id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
    JOIN calib.collection AS r ON r.collection_id = d.run_id
    WHERE f.member_type = 'CALIBRATION'
      AND calib._visible(c.created_change, c.removed_change, v_epoch)
      AND (v_type_id IS NULL OR c.dataset_type_id = v_type_id)
    ORDER BY f.rank, t.name, c.data_id_key, lower(c.validity) NULLS FIRST;
END
$$;

CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text)
RETURNS text[]
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The direct children of CHAINED collection p_parent, in order.
   Errors: KC002 unknown collection, KC003 not CHAINED.
   Locks: none. Read-only. */
SELECT coalesce(array_agg(c.name ORDER BY ch.position), ARRAY[]::text[])
FROM calib.collection_chain AS ch
JOIN calib.collection AS c ON c.collection_id = ch.child_id
WHERE ch.parent_id = (calib._collection(p_parent, ARRAY['CHAINED'])).collection_id
$$;

CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text, p_as_of bigint)
RETURNS text[]
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* get_chain as of epoch p_as_of (NULL: now): the children chain p_parent had then, by the
   names they had then.
   Errors: as get_chain; KC015 as_of_range; KC002 for a chain that did not exist then. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_parent integer;
BEGIN
    IF v_epoch IS NULL THEN
        RETURN calib.get_chain(p_parent);
    END IF;
    v_parent := calib._collection_as_of(p_parent, v_epoch, ARRAY['CHAINED']);
    RETURN coalesce((
        SELECT array_agg(c.name ORDER BY ch.position)
        FROM calib.chain_version AS ch
        JOIN calib.collection_version AS c ON c.collection_id = ch.child_id
             AND calib._visible(c.created_change, c.removed_change, v_epoch)
        WHERE ch.parent_id = v_parent
          AND calib._visible(ch.created_change, ch.removed_change, v_epoch)), ARRAY[]::text[]);
END
$$;

CREATE OR REPLACE FUNCTION calib.history(p_collection text, p_dataset_type text DEFAULT NULL, p_data_id jsonb DEFAULT NULL, p_since bigint DEFAULT NULL, p_until bigint DEFAULT NULL)
RETURNS TABLE (epoch bigint, committed_at timestamptz, db_role text, app_user text, reason text,
               operation text, collection text, dataset_type text, data_id jsonb, dataset_id uuid,
               validity_before tstzrange, validity_after tstzrange, detail jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The changes of collection p_collection (every collection that ever bore that name,
   removed ones included), oldest first: one row per changed certification, tag, dataset
   (of a RUN), collection row or chain position per change. Each row: the change's epoch
   and commit time, database role, client user and reason (calib.user, calib.reason), the
   operation (the public function, 'sql' for raw SQL, 'upgrade' for what existed at
   revision 0014), the collection's name; for certifications the dataset type, data ID,
   dataset and validity before/after (certify: before NULL; removal by decertify: after
   NULL; a shortened or split certification: both, a split's other piece a row with
   before NULL); for tags and datasets the same columns with NULL validity. Collection-level
   rows (detail.what = 'collection': registration = before NULL, removal = after NULL,
   state or writer changes = both; 'chain': a chain position's child before/after) have
   NULL dataset columns and appear only when neither p_dataset_type nor p_data_id is
   given. Within a change: certifications, tags, datasets by dataset type and data ID,
   what went before what came, by begin. The caller's own uncommitted change is shown
   with a NULL epoch.
   Arguments: p_dataset_type / p_data_id narrow to one dataset type / data ID (a data ID
   needs its dataset type); p_since / p_until keep epochs in [since, until].
   Errors: KC002 a name no collection ever had, KC005 unknown dataset type, KC008 invalid
   data ID, KC015 data ID without dataset type.
   Locks: none; read-only, runs on a hot standby. */
DECLARE
    v_ids integer[];
    v_type calib.dataset_type;
    v_key integer;
BEGIN
    IF p_collection IS NULL THEN
        IF calib._raise('KC015', 'collection name must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'collection name')) IS NULL THEN END IF;
    END IF;
    p_collection := normalize(p_collection, NFC);
    v_ids := ARRAY(SELECT DISTINCT v.collection_id FROM calib.collection_version AS v
                   WHERE v.name = p_collection);
    IF cardinality(v_ids) = 0 THEN
        IF calib._raise('KC002', format('collection %L does not exist and never did', p_collection),
            jsonb_build_object('kind', 'collection_never', 'collection', p_collection)) IS NULL THEN END IF;
    END IF;
    IF p_dataset_type IS NOT NULL THEN
        v_type := calib._dataset_type(p_dataset_type);
    END IF;
    IF p_data_id IS NOT NULL THEN
        IF p_dataset_type IS NULL THEN
            IF calib._raise('KC015', 'history of a data ID needs its dataset type',
                jsonb_build_object('kind', 'history_data_id_type', 'collection', p_collection)) IS NULL THEN END IF;
        END IF;
        SELECT di.data_id_key INTO v_key FROM calib.data_id AS di
        WHERE di.dataset_type_id = v_type.dataset_type_id
          AND di.value = (calib._canonical_data_ids(v_type, ARRAY[p_data_id]))[1];
        IF v_key IS NULL THEN
            RETURN;  -- a data ID never stored was never changed
        END IF;
    END IF;
    RETURN QUERY
    WITH cert AS (
        SELECT coalesce(a.created_change, b.removed_change) AS change_id,
               coalesce(a.created_operation, b.removed_operation) AS op,
               coalesce(a.collection_id, b.collection_id) AS collection_id,
               coalesce(a.dataset_type_id, b.dataset_type_id) AS dataset_type_id,
               coalesce(a.data_id_key, b.data_id_key) AS data_id_key,
               coalesce(a.dataset_id, b.dataset_id) AS dataset_id,
               b.validity AS before, a.validity AS after
        FROM (SELECT * FROM calib.certification_history AS v
              WHERE v.collection_id = ANY (v_ids)) AS a
        FULL JOIN (SELECT * FROM calib.certification_version AS v
                   WHERE v.collection_id = ANY (v_ids)) AS b
          ON b.certification_id = a.certification_id AND b.removed_change = a.created_change
    ), items AS (
        SELECT c.change_id, c.op, c.collection_id, c.dataset_type_id, c.data_id_key,
               c.dataset_id, c.before, c.after, NULL::jsonb AS detail, 1 AS kind
        FROM cert AS c
        UNION ALL
        SELECT v.created_change, v.created_operation, v.collection_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'tag', 'tagged', true), 2
        FROM calib.tag_version AS v WHERE v.collection_id = ANY (v_ids)
        UNION ALL
        SELECT v.removed_change, v.removed_operation, v.collection_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'tag', 'tagged', false), 2
        FROM calib.tag_version AS v WHERE v.collection_id = ANY (v_ids) AND v.removed_change IS NOT NULL
        UNION ALL
        SELECT v.created_change, v.created_operation, v.run_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'dataset', 'present', true), 3
        FROM calib.dataset_version AS v WHERE v.run_id = ANY (v_ids)
        UNION ALL
        SELECT v.removed_change, v.removed_operation, v.run_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'dataset', 'present', false), 3
        FROM calib.dataset_version AS v WHERE v.run_id = ANY (v_ids) AND v.removed_change IS NOT NULL
        UNION ALL
        SELECT coalesce(a.created_change, b.removed_change), coalesce(a.created_operation, b.removed_operation),
               coalesce(a.collection_id, b.collection_id), NULL, NULL, NULL, NULL, NULL,
               jsonb_build_object('what', 'collection',
                   'before', CASE WHEN b.collection_id IS NOT NULL THEN jsonb_build_object(
                       'name', b.name, 'type', b.type, 'state', b.state, 'writers', b.writers) END,
                   'after', CASE WHEN a.collection_id IS NOT NULL THEN jsonb_build_object(
                       'name', a.name, 'type', a.type, 'state', a.state, 'writers', a.writers) END), 0
        FROM (SELECT * FROM calib.collection_version AS v WHERE v.collection_id = ANY (v_ids)) AS a
        FULL JOIN (SELECT * FROM calib.collection_version AS v
                   WHERE v.collection_id = ANY (v_ids) AND v.removed_change IS NOT NULL) AS b
          ON b.collection_id = a.collection_id AND b.removed_change = a.created_change
        WHERE v_type IS NULL
        UNION ALL
        SELECT coalesce(a.created_change, b.removed_change), coalesce(a.created_operation, b.removed_operation),
               coalesce(a.parent_id, b.parent_id), NULL, NULL, NULL, NULL, NULL,
               jsonb_build_object('what', 'chain', 'position', coalesce(a.position, b.position),
                   'child_before', (SELECT n.name FROM calib.collection_version AS n
                                    WHERE n.collection_id = b.child_id
                                    ORDER BY n.created_change DESC LIMIT 1),
                   'child_after', (SELECT n.name FROM calib.collection_version AS n
                                   WHERE n.collection_id = a.child_id
                                   ORDER BY n.created_change DESC LIMIT 1)), 0
        FROM (SELECT * FROM calib.chain_version AS v WHERE v.parent_id = ANY (v_ids)) AS a
        FULL JOIN (SELECT * FROM calib.chain_version AS v
                   WHERE v.parent_id = ANY (v_ids) AND v.removed_change IS NOT NULL) AS b
          ON b.parent_id = a.parent_id AND b.position = a.position
             AND b.removed_change = a.created_change
        WHERE v_type IS NULL
    )
    SELECT ch.epoch, ch.committed_at, ch.db_role, ch.app_user, ch.reason, i.op, p_collection,
           t.name, di.value, i.dataset_id, i.before, i.after, i.detail
    FROM items AS i
    JOIN calib.change AS ch ON ch.change_id = i.change_id
    LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = i.dataset_type_id
    LEFT JOIN calib.data_id AS di ON di.data_id_key = i.data_id_key
    WHERE (v_type IS NULL OR i.dataset_type_id = v_type.dataset_type_id)
      AND (v_key IS NULL OR i.data_id_key = v_key)
      AND (p_since IS NULL OR ch.epoch >= p_since)
      AND (p_until IS NULL OR ch.epoch <= p_until)
    ORDER BY ch.epoch NULLS LAST, ch.change_id, i.kind, t.name, i.data_id_key,
             i.after IS NOT NULL, lower(coalesce(i.after, i.before)) NULLS FIRST,
             i.detail::text;
END
$$;

CREATE OR REPLACE FUNCTION calib.history(p_collection text, p_dataset_type text, p_data_id text, p_since text, p_until text)
RETURNS TABLE (epoch bigint, committed_at timestamptz, db_role text, app_user text, reason text,
               operation text, collection text, dataset_type text, data_id jsonb, dataset_id uuid,
               validity_before tstzrange, validity_after tstzrange, detail jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* history with every argument as text (drivers binding text): the data ID as JSON text
   (calib._json_text), the epochs in decimal digits (calib._epoch_text); NULL or '' for
   none. Then exactly the typed form. */
BEGIN
    RETURN QUERY SELECT * FROM calib.history(
        p_collection, p_dataset_type,
        CASE WHEN p_data_id IS NULL OR btrim(p_data_id) = '' THEN NULL
             ELSE calib._json_text(p_data_id, 'data_id') END,
        calib._epoch_text(p_since, 'since'), calib._epoch_text(p_until, 'until'));
END
$$;

CREATE OR REPLACE FUNCTION calib._revision()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0014'::text
$$;

-- CREATE OR REPLACE: a revision can run this whole file again (migrations/sources/).
/* History (revision 0014): every versioned table's changes go into its version table
   (calib._record_versions), for every writer; statement-level with transition tables (one
   trigger per event, as PostgreSQL wants them). At COMMIT, the change row gets its epoch
   (calib._stamp_epoch, deferred constraint trigger). README "History and time travel". */
/* PostgreSQL has no CREATE OR REPLACE for constraint triggers: created once. */
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger
                   WHERE tgrelid = 'calib.change'::regclass AND tgname = 'change_epoch') THEN
        CREATE CONSTRAINT TRIGGER change_epoch
            AFTER INSERT ON calib.change
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION calib._stamp_epoch();
    END IF;
END
$$;
/* Certifications (see calib.certification_version): a current row carries its creating
   change. On INSERT the column defaults fill it, row by row without a function call once
   this transaction has its change (calib._change() runs for the first row only); an UPDATE
   by the functions sets both columns to DEFAULT. calib._certification_statement checks,
   once per statement, that the remembered change is this transaction's own (a caller who
   sets calib._change by hand gets a new one) and names the operation; calib._stamp_row
   stamps a row that arrives with anything else (raw SQL naming its own values, an UPDATE
   that left them alone). With triggers off (session_replication_role = replica, a
   superuser's restore) the defaults still give the transaction's change, operation 'sql'
   unless an earlier statement named one. Only the old rows of an UPDATE or DELETE are copied, into the
   closed versions. The columns themselves: schema/certification_history.sql. */
ALTER TABLE calib.certification
    ALTER COLUMN created_change SET DEFAULT coalesce(
        nullif(pg_catalog.current_setting('calib._change', true), '')::bigint, calib._change()),
    ALTER COLUMN created_change SET NOT NULL,
    ALTER COLUMN created_operation SET DEFAULT
        coalesce(pg_catalog.current_setting('calib._row_operation', true), 'sql'),
    ALTER COLUMN created_operation SET NOT NULL;
CREATE OR REPLACE TRIGGER certification_versions_statement
    BEFORE INSERT OR UPDATE ON calib.certification
    FOR EACH STATEMENT EXECUTE FUNCTION calib._certification_statement();
CREATE OR REPLACE TRIGGER certification_versions_row
    BEFORE INSERT OR UPDATE ON calib.certification
    FOR EACH ROW
    WHEN (NEW.created_change IS DISTINCT FROM
              nullif(pg_catalog.current_setting('calib._change', true), '')::bigint
          OR NEW.created_operation IS DISTINCT FROM
              pg_catalog.current_setting('calib._row_operation', true))
    EXECUTE FUNCTION calib._stamp_row();
CREATE OR REPLACE TRIGGER certification_versions_update
    AFTER UPDATE ON calib.certification REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER certification_versions_delete
    AFTER DELETE ON calib.certification REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER certification_versions_truncate
    BEFORE TRUNCATE ON calib.certification
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_insert
    AFTER INSERT ON calib.collection REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_update
    AFTER UPDATE ON calib.collection REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_delete
    AFTER DELETE ON calib.collection REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_truncate
    AFTER TRUNCATE ON calib.collection
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_insert
    AFTER INSERT ON calib.collection_chain REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_update
    AFTER UPDATE ON calib.collection_chain REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_delete
    AFTER DELETE ON calib.collection_chain REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_truncate
    AFTER TRUNCATE ON calib.collection_chain
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_insert
    AFTER INSERT ON calib.tag REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_update
    AFTER UPDATE ON calib.tag REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_delete
    AFTER DELETE ON calib.tag REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_truncate
    AFTER TRUNCATE ON calib.tag
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_insert
    AFTER INSERT ON calib.dataset REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_update
    AFTER UPDATE ON calib.dataset REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_delete
    AFTER DELETE ON calib.dataset REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_truncate
    AFTER TRUNCATE ON calib.dataset
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();

-- Generated by migrations/comments.py from the headers in sql/functions/ (do not
-- edit: edit the header, then run python migrations/comments.py). One COMMENT
-- per public function overload: purpose, arguments, returns, locks, errors.
-- CREATE OR REPLACE keeps a function's comment; a revision that changes a
-- header runs this file again.
COMMENT ON FUNCTION calib.certifications(text, text) IS
    'Every certification in p_collection (through a chain: in every CALIBRATION member, in search order, each row naming the member it is stored in), optionally of one dataset type. Ordered by member, dataset type, data ID (interning order), begin.
Arguments: p_collection text, p_dataset_type text DEFAULT NULL
Locks: none; read-only.
Errors: KC002 unknown collection, KC005 unknown dataset type.';
COMMENT ON FUNCTION calib.certifications(text, text, bigint) IS
    'certifications as of epoch p_as_of (NULL: now): every certification p_collection held then, through its chains as they were then, each row naming the member it was in.
Arguments: p_collection text, p_dataset_type text, p_as_of bigint
Locks: none; read-only.
Errors: as certifications; KC015 as_of_range; KC002 for a collection that did not exist at that epoch.';
COMMENT ON FUNCTION calib.certify(text, uuid[], tstzrange, boolean) IS
    'Certify each dataset of p_datasets into CALIBRATION collection p_collection over p_timespan ([) bounds; +-infinity or a missing bound = unbounded). All or nothing: any overlap with a stored certification of the same calibration key (collection, dataset type, data ID), or between two datasets of this call, stores nothing. p_close_open: a stored certification of the same key with an unbounded end that begins before the new begin is first closed at the new begin; every other overlap still fails. Returns the number of certifications stored.
Arguments: p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC017 caller not a writer, KC018 refused by the collection''s state, KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify(text, jsonb, tstzrange, boolean) IS
    'certify with the datasets as one JSON array document of UUID strings (''["<uuid>", ...]''); the same results and errors, plus KC016 for a document that is not such an array (calib._uuids).
Arguments: p_collection text, p_datasets jsonb, p_timespan tstzrange, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC017 caller not a writer, KC018 refused by the collection''s state, KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify(text, text, text, text) IS
    'certify with every argument as text, the form that untyped literals and drivers binding text reach: datasets a JSON array or a PostgreSQL array literal (calib._document), the timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan: a time without one is KC009), close_open a boolean''s text.
Arguments: p_collection text, p_datasets text, p_timespan text, p_close_open text DEFAULT ''false''
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC017 caller not a writer, KC018 refused by the collection''s state, KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify_series(text, uuid[], timestamptz[], boolean) IS
    'Certify a series given by begins only: item i is (p_datasets[i], p_begins[i]); each item''s end is the next begin of the same calibration key, the last one is unbounded. A NULL or -infinity begin means unbounded below. Then exactly as calib.certify. Returns the number of certifications stored.
Arguments: p_collection text, p_datasets uuid[], p_begins timestamptz[], p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.certify_series(text, jsonb, jsonb, boolean) IS
    'certify_series with datasets and begins as JSON array documents: UUID strings, and ISO 8601 instants with a UTC offset (calib._uuids, calib._instants). Same results and errors; KC016 for a document that is not such an array, KC009 for a time without an offset.
Arguments: p_collection text, p_datasets jsonb, p_begins jsonb, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.certify_series(text, text, text, text) IS
    'certify_series with every argument as text: datasets and begins as JSON arrays or PostgreSQL array literals (calib._document), close_open a boolean''s text.
Arguments: p_collection text, p_datasets text, p_begins text, p_close_open text DEFAULT ''false''
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.check_integrity() IS
    'Re-verifies every invariant of calibcert from the tables themselves, trusting no constraint or trigger (a superuser can drop or bypass those): one row per violation, no row when the database is healthy. Check names and detail keys: README "Integrity check and statistics"; the SQLite twin (sql/sqlite/functions/check_integrity.sql) reports the same checks under the same names. Set-based (one pass per check, no per-row loop), so it stays fast on a large database.
Arguments: none.
Returns: rows (check, detail), ordered by check, then detail.
Locks: none; read-only, one snapshot (STABLE), runs on a hot standby.
Errors: none of its own.';
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb[]) IS
    'Give every certification of p_dataset_type in p_collection whose end is unbounded (only those data IDs when p_data_ids is given) the end p_end. Returns how many were closed.
Arguments: p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb[] DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb) IS
    'close_open_range with the data IDs as one JSON array document (NULL or JSON null: all); same results and errors, KC016 for a document that is not an array. No default for p_data_ids: a three-argument call must keep reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.close_open_range(text, text, text, text) IS
    'close_open_range with every argument as text: the end an ISO 8601 instant with a UTC offset (calib._parse_instant), the data IDs a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_dataset_type text, p_end text, p_data_ids text DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.collection_digest(text) IS
    'The digest of a collection''s current content: ''sha256:'' and the lowercase hex SHA-256 of its canonical form, which README "Collection digests" specifies exactly (so that another implementation can recompute it). Equal for equal content on PostgreSQL and SQLite and after export/import; the collection''s own name, doc, state and writers are not content, so a copy under another name has the same digest. A chain''s digest covers the names of its children in order, not their content (each child has a digest of its own).
Arguments: p_collection, the collection''s name.
Returns: ''sha256:'' followed by 64 lowercase hex digits.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: KC002 unknown collection, KC015 NULL name.';
COMMENT ON FUNCTION calib.collection_stats() IS
    'Statistics of every collection, by name: its state (OPEN, APPEND_ONLY, FROZEN), datasets (RUN: the datasets it holds), tagged (TAGGED: tag rows), certifications, calibration_keys (distinct data IDs certified) and open_ended (certifications without an end) of a CALIBRATION collection, its earliest_begin and latest_end (NULL when some certification is unbounded on that side, or when there is none), children (CHAINED: direct children). A count that does not apply to the collection''s type is 0. Each table is read once, grouped by collection.
Arguments: none.
Returns: one row per collection, ordered by name.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: none of its own.';
COMMENT ON FUNCTION calib.copy_collection(text, text, text) IS
    'Create p_destination with the type of p_source and all its associations: certifications with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based: one INSERT ... SELECT. p_doc defaults to the source''s doc.
Arguments: p_source text, p_destination text, p_doc text DEFAULT NULL
Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in flight, then copies their complete result); the new row is invisible until commit. A destination name that another open transaction is creating: wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name).
Errors: KC002 unknown source, KC003 source is a RUN, KC010 destination exists, KC014 bad destination name.';
COMMENT ON FUNCTION calib.current_epoch() IS
    'The latest committed epoch (0 before any change): everything as of it is final, whatever commits later or concurrently (epochs follow commit order: calib._stamp_epoch).
Arguments: none.
Locks: none; read-only, runs on a hot standby.
Errors: none.';
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb[]) IS
    'Remove validity inside p_timespan from every certification of p_dataset_type in CALIBRATION collection p_collection (only those data IDs when p_data_ids is given): a certification fully covered is removed, one straddling an end is shortened, one containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining pieces (range difference as multiranges). Returns the number of certifications touched; nothing matching is a no-op (0).
Arguments: p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb) IS
    'decertify with the data IDs as one JSON array document (NULL or JSON null: all); same results and errors, KC016 for a document that is not an array. No default for p_data_ids: a three-argument call must keep reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.decertify(text, text, text, text) IS
    'decertify with every argument as text: the timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan), the data IDs a JSON array or a PostgreSQL array literal (calib._document).
Arguments: p_collection text, p_dataset_type text, p_timespan text, p_data_ids text DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.epoch_at(timestamptz) IS
    'The last epoch committed at or before p_instant (0 if none was).
Arguments: p_instant timestamptz
Locks: none; read-only, runs on a hot standby.
Errors: KC015 NULL instant.';
COMMENT ON FUNCTION calib.epoch_at(text) IS
    'epoch_at with the instant as text (drivers binding text), read strictly (calib._parse_instant: a time without a UTC offset is KC009).
Arguments: p_instant text
Locks: none; read-only, runs on a hot standby.
Errors: KC015 NULL instant.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, timestamptz) IS
    'The dataset of p_dataset_type with data ID p_data_id found by searching p_collection (chains flattened, in order) at instant p_at: the first member with any match decides; CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips CALIBRATION members. No row when nothing matches.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, tstzrange) IS
    'As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds, validated; NULL skips CALIBRATION members).
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, text, text) IS
    'find with every argument as text, the form untyped literals and drivers binding text reach (with two typed forms for p_at, an untyped call would be "not unique"): the data ID as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly by calibcert (calib._parse_instant / calib._parse_timespan: a time without a UTC offset is KC009). Then exactly the typed find.
Arguments: p_collection text, p_dataset_type text, p_data_id text, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, text) IS
    'find with a typed data ID and p_at as text (an untyped time next to a jsonb data ID): an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly (calib._parse_instant / calib._parse_timespan). Then exactly the typed find.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, timestamptz, bigint) IS
    'find as of epoch p_as_of (calib.current_epoch(), calib.epoch_at()): the answer find gave at that epoch, through the chains and collections as they were then (a collection removed or renamed since is found by the name it had). NULL p_as_of is find now (the four-argument form, unchanged). Generic plans (plan_cache_mode): planned once per session; custom plans of calib._lookup''s statements were made again on every call (1.1 ms instead of 0.55 ms per find as of an epoch).
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz, p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find; KC015 as_of_range (negative, or beyond the current epoch); KC002 for a collection that did not exist at that epoch.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, tstzrange, bigint) IS
    'As find(..., tstzrange) as of epoch p_as_of (NULL: now).
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange, p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, text, bigint) IS
    'find(..., jsonb, text) as of epoch p_as_of (NULL: now): p_at an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at text, p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, text, text, text) IS
    'find as of an epoch with every argument as text (drivers binding text): p_as_of an epoch in decimal digits, or NULL / '''' for now (calib._epoch_text). Then exactly the typed form.
Arguments: p_collection text, p_dataset_type text, p_data_id text, p_at text, p_as_of text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find; KC015 epoch_text for an epoch that is not a decimal integer.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], timestamptz[]) IS
    'find for many (data ID, instant) pairs in one call: one row per pair, in input order (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips CALIBRATION members for that pair.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[]
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], tstzrange[]) IS
    'As find_many(..., timestamptz[]) with a timespan per pair. A timespan that is a single instant written [t,t] is accepted as that instant (the Python client sends mixed instants and timespans this way); every other span must have [) bounds.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[]
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb, jsonb) IS
    'find_many with the data IDs and the times as JSON array documents: the times are ISO 8601 instants with a UTC offset, or (when one of them starts with ''['' or ''('') all timespans as range strings; null for no time. Same results and errors as the typed forms; KC016 for a document that is not such an array, KC009 for a time without an offset.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb, p_at jsonb
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, text, text) IS
    'find_many with every argument as text: data IDs and times as JSON arrays or PostgreSQL array literals (calib._document), then as find_many(text, text, jsonb, jsonb).
Arguments: p_collection text, p_dataset_type text, p_data_ids text, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], timestamptz[], bigint) IS
    'find_many as of epoch p_as_of (NULL: now): the answers find gave at that epoch, through the chains as they were then.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[], p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find_many; KC015 as_of_range.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], tstzrange[], bigint) IS
    'As find_many(..., tstzrange[]) as of epoch p_as_of (NULL: now).
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[], p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.get_chain(text) IS
    'The direct children of CHAINED collection p_parent, in order.
Arguments: p_parent text
Locks: none. Read-only.
Errors: KC002 unknown collection, KC003 not CHAINED.';
COMMENT ON FUNCTION calib.get_chain(text, bigint) IS
    'get_chain as of epoch p_as_of (NULL: now): the children chain p_parent had then, by the names they had then.
Arguments: p_parent text, p_as_of bigint
Locks: none. Read-only.
Errors: as get_chain; KC015 as_of_range; KC002 for a chain that did not exist then.';
COMMENT ON FUNCTION calib.get_datasets(uuid[]) IS
    'The datasets with the given ids, in input order.
Arguments: p_ids uuid[]
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.get_datasets(jsonb) IS
    'get_datasets with the ids as one JSON array document of UUID strings (calib._uuids).
Arguments: p_ids jsonb
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.get_datasets(text) IS
    'get_datasets with the ids as text: a JSON array or a PostgreSQL array literal.
Arguments: p_ids text
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.history(text, text, jsonb, bigint, bigint) IS
    'The changes of collection p_collection (every collection that ever bore that name, removed ones included), oldest first: one row per changed certification, tag, dataset (of a RUN), collection row or chain position per change. Each row: the change''s epoch and commit time, database role, client user and reason (calib.user, calib.reason), the operation (the public function, ''sql'' for raw SQL, ''upgrade'' for what existed at revision 0014), the collection''s name; for certifications the dataset type, data ID, dataset and validity before/after (certify: before NULL; removal by decertify: after NULL; a shortened or split certification: both, a split''s other piece a row with before NULL); for tags and datasets the same columns with NULL validity. Collection-level rows (detail.what = ''collection'': registration = before NULL, removal = after NULL, state or writer changes = both; ''chain'': a chain position''s child before/after) have NULL dataset columns and appear only when neither p_dataset_type nor p_data_id is given. Within a change: certifications, tags, datasets by dataset type and data ID, what went before what came, by begin. The caller''s own uncommitted change is shown with a NULL epoch.
Arguments: p_dataset_type / p_data_id narrow to one dataset type / data ID (a data ID needs its dataset type); p_since / p_until keep epochs in [since, until].
Locks: none; read-only, runs on a hot standby.
Errors: KC002 a name no collection ever had, KC005 unknown dataset type, KC008 invalid data ID, KC015 data ID without dataset type.';
COMMENT ON FUNCTION calib.history(text, text, text, text, text) IS
    'history with every argument as text (drivers binding text): the data ID as JSON text (calib._json_text), the epochs in decimal digits (calib._epoch_text); NULL or '''' for none. Then exactly the typed form.
Arguments: p_collection text, p_dataset_type text, p_data_id text, p_since text, p_until text
Locks: none; read-only, runs on a hot standby.
Errors: KC002 a name no collection ever had, KC005 unknown dataset type, KC008 invalid data ID, KC015 data ID without dataset type.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb[], uuid[]) IS
    'Create one dataset per data ID in RUN collection p_run; returns (id, canonical data ID) in input order. p_ids brings the caller''s own UUIDs (same length); otherwise random UUIDs are generated. Set-based: data IDs are interned and datasets inserted with one statement each. A dimension used for the first time gets the value type of its first value here.
Arguments: p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections); then the new data IDs (in data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a transaction creating one of them too, still open, makes this call wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with the call''s first data IDs / ids). A dimension''s first use: see calib._fix_dimensions.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb, jsonb) IS
    'insert_datasets with the data IDs and the ids as JSON array documents (''[{"instrument": "Cam", "detector": 1}]'', ''["<uuid>"]''); same results and errors, KC016 for a document that is not such an array.
Arguments: p_dataset_type text, p_run text, p_data_ids jsonb, p_ids jsonb DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections); then the new data IDs (in data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a transaction creating one of them too, still open, makes this call wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with the call''s first data IDs / ids). A dimension''s first use: see calib._fix_dimensions.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, text, text) IS
    'insert_datasets with every argument as text: data IDs and ids as JSON arrays or PostgreSQL array literals (calib._document).
Arguments: p_dataset_type text, p_run text, p_data_ids text, p_ids text DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections); then the new data IDs (in data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a transaction creating one of them too, still open, makes this call wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with the call''s first data IDs / ids). A dimension''s first use: see calib._fix_dimensions.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.list_collections(text) IS
    'Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any case), by name, with its state (OPEN, APPEND_ONLY, FROZEN) and writer list (NULL: every certifier).
Arguments: p_type text DEFAULT NULL
Locks: none; read-only.
Errors: none of its own.';
COMMENT ON FUNCTION calib.list_dataset_types() IS
    'Every dataset type, by name.
Arguments: none.
Locks: none; read-only.
Errors: none of its own.';
COMMENT ON FUNCTION calib.probe(integer, integer, tstzrange) IS
    'The lookup rule, the one place it is written on PostgreSQL. The collection''s stored search path (calib.search_path: itself, or a chain''s members flattened) is searched in rank order and the first member with any match for the data ID key decides: RUN and TAGGED members match by data ID for all time, CALIBRATION members by certifications overlapping p_span (an instant t is the range [t,t]; a NULL span skips them). One row for the deciding member: its dataset, and ambiguous = it has more than one match (the caller raises KC011); no row when no member matches.
Arguments: p_collection_id and p_data_id_key internal ids (calib.collection, calib.data_id), p_span the time (NULL skips CALIBRATION members).
Locks: none; read-only.
Errors: none of its own (callers resolve names to ids first and raise).';
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb) IS
    'The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a time: for each data ID the first RUN / TAGGED member holding it decides (as find with no time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb containment, e.g. ''{"detector": 3}''). Ordered by data ID (interning order). This is how "certify all biases in this run" picks its datasets.
Arguments: p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.query_datasets(text, text, text) IS
    'query_datasets with the where clause as JSON text (a driver binding text): parsed by calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_where text
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.register_collection(text, text, text) IS
    'Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case). Returns true if it was created, false if it existed with the same type (a no-op; the stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT). The name is stored in Unicode NFC.
Arguments: p_name text, p_type text, p_doc text DEFAULT NULL
Locks: the new name in the unique index collection_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name).
Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.';
COMMENT ON FUNCTION calib.register_dataset_type(text, text[], boolean) IS
    'Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered, distinct names). Returns true if created, false if the same definition existed. Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a data ID, no data ID can outgrow a btree entry).
Arguments: p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true
Locks: the new name in the unique index dataset_type_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait dataset_type_name).
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition; 55P03 lock timeout (kind lock_timeout).';
COMMENT ON FUNCTION calib.register_dataset_type(text, jsonb, boolean) IS
    'register_dataset_type with the dimensions as one JSON array document of names (''["instrument", "detector"]'', calib._names).
Arguments: p_name text, p_dimensions jsonb, p_is_calibration boolean DEFAULT true
Locks: the new name in the unique index dataset_type_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait dataset_type_name).
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition; 55P03 lock timeout (kind lock_timeout).';
COMMENT ON FUNCTION calib.register_dataset_type(text, text, text) IS
    'register_dataset_type with every argument as text: the dimensions a JSON array or a PostgreSQL array literal, is_calibration a boolean''s text.
Arguments: p_name text, p_dimensions text, p_is_calibration text DEFAULT ''true''
Locks: the new name in the unique index dataset_type_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait dataset_type_name).
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition; 55P03 lock timeout (kind lock_timeout).';
COMMENT ON FUNCTION calib.remove_collection(text) IS
    'Remove a TAGGED, CALIBRATION or CHAINED collection with its associations (tags, certifications, chain children); its datasets stay in their RUNs. A RUN may be removed only while it holds no dataset.
Arguments: p_name text
Locks: calib._lock_chains(), then the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown, KC013 still a child of a chain / RUN with datasets.';
COMMENT ON FUNCTION calib.set_chain(text, text[]) IS
    'Replace the children of CHAINED collection p_parent, atomically, by p_children in order (a repeated child is kept at its first position only; an empty array empties the chain).
Arguments: p_parent text, p_children text[]
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_chain(text, jsonb) IS
    'set_chain with the children as one JSON array document of names (calib._names). PL/pgSQL, as the typed form, so that both return the same void value.
Arguments: p_parent text, p_children jsonb
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_chain(text, text) IS
    'set_chain with the children as text: a JSON array or a PostgreSQL array literal.
Arguments: p_parent text, p_children text
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_collection_state(text, text) IS
    'Set the state of collection p_name: OPEN (every change allowed, the default), APPEND_ONLY (certify only at or after the latest begin of each calibration key, tag, insert_datasets, close_open and close_open_range; no decertify, untag, set_chain or removal) or FROZEN (no change at all, from any role, raw SQL included). Case-insensitive. Returns the previous state. Unfreezing (FROZEN to OPEN or APPEND_ONLY) is allowed to whoever may call this function (calib_admin): it is not itself refused by the state, nor by the writer list, which restricts changes of the collection''s content, not its administration.
Arguments: p_name text, p_state text
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections): waits for the writers in flight, and a writer that comes after sees the new state.
Errors: KC002 unknown collection, KC015 NULL or unknown state.';
COMMENT ON FUNCTION calib.set_collection_writers(text, text[]) IS
    'Only members of the roles p_roles (directly or through other roles, as pg_has_role MEMBER says; a superuser always) may change collection p_name from now on; NULL resets to the default, every role allowed to call the mutating functions. A role repeated is kept once, at its first position. Roles are stored by name: a role renamed or dropped later grants nothing (fail-closed); set the list again. Which role is checked: the session''s SET ROLE, else its login (calib._caller). Returns the previous list (NULL for the default). Allowed on a FROZEN collection: the list is the collection''s administration, not its content.
Arguments: p_name text, p_roles text[]
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does not exist.';
COMMENT ON FUNCTION calib.set_collection_writers(text, jsonb) IS
    'set_collection_writers with the roles as one JSON array document of names (calib._names); NULL or JSON null resets to every certifier.
Arguments: p_name text, p_roles jsonb
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does not exist.';
COMMENT ON FUNCTION calib.set_collection_writers(text, text) IS
    'set_collection_writers with the roles as text: a JSON array or a PostgreSQL array literal; NULL resets to every certifier.
Arguments: p_name text, p_roles text
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does not exist.';
COMMENT ON FUNCTION calib.tag(text, uuid[]) IS
    'Add datasets to TAGGED collection p_collection. A TAGGED collection holds at most one dataset per (dataset type, data ID); tagging a dataset already there is a no-op. Returns the number of datasets newly tagged.
Arguments: p_collection text, p_datasets uuid[]
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.tag(text, jsonb) IS
    'tag with the datasets as one JSON array document of UUID strings (calib._uuids).
Arguments: p_collection text, p_datasets jsonb
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.tag(text, text) IS
    'tag with the datasets as text: a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_datasets text
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.untag(text, uuid[]) IS
    'Remove datasets from TAGGED collection p_collection; datasets not tagged there are ignored. Returns the number removed.
Arguments: p_collection text, p_datasets uuid[]
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';
COMMENT ON FUNCTION calib.untag(text, jsonb) IS
    'untag with the datasets as one JSON array document of UUID strings (calib._uuids).
Arguments: p_collection text, p_datasets jsonb
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';
COMMENT ON FUNCTION calib.untag(text, text) IS
    'untag with the datasets as text: a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_datasets text
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';

/* Privileges. Functions run as their owner (SECURITY DEFINER, search_path pinned), so
   callers need EXECUTE, not table rights: every change goes through the functions (and so
   through their checks, locks and, later, the history ledger). No role but calib_owner may
   write a table: the service roles get SELECT at most.
   The roles are this database's (schema/roles.sql: <prefix>_reader, _certifier, _admin,
   prefix from calib.installation), a hierarchy by membership, so each function is granted
   once, to the lowest role that may call it (README "Roles"):
   - reader: lookups and listings, SELECT on every table;
   - certifier: also the changes to collections' content (datasets, tags, certifications,
     copies);
   - admin: also what shapes the registry: collections, dataset types, chains (and states,
     writer lists).
   calib_writer (default prefix only) holds nothing directly: it is a member of
   calib_certifier. Each role's privileges on calibcert's objects are first revoked, then
   granted: the result is exactly these lists, whatever an earlier revision granted (up to
   0011, calib_writer held every mutating function directly; a database given another
   prefix at its upgrade to 0012 keeps nothing for calib_reader and calib_writer). Private helpers (names
   starting with _) are not granted to anyone. Each JSON-document and all-text form of a
   function (README "Calling from another service") gets the grant of its typed form.
   PUBLIC gets nothing: schema/security.sql revokes what PostgreSQL gives it by default and
   hands every object to calib_owner. Role names go through %I; a function signature is
   cast to regprocedure (so a typo fails the install) and printed by PostgreSQL itself. */
DO $$
DECLARE
    v_prefix text := (SELECT i.role_prefix FROM calib.installation AS i);
    v_reader text := v_prefix || '_reader';
    v_certifier text := v_prefix || '_certifier';
    v_admin text := v_prefix || '_admin';
    v_role text;
    v_function regprocedure;
    v_elsewhere text;
BEGIN
    /* This database's roles, and the shared roles of revisions up to 0011 (calib_reader,
       calib_writer) when the database moved to another prefix at its upgrade to 0012. */
    FOR v_role IN SELECT r.rolname FROM pg_catalog.pg_roles AS r
                  WHERE r.rolname IN (v_reader, v_certifier, v_admin, 'calib_reader', 'calib_writer')
                  ORDER BY r.rolname LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL TABLES IN SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM %I', v_role);
    END LOOP;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA calib TO %I', v_reader);
    EXECUTE pg_catalog.format('GRANT SELECT ON ALL TABLES IN SCHEMA calib TO %I', v_reader);

    -- reader: lookups and listings.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.find(text, text, jsonb, timestamptz)',
        'calib.find(text, text, jsonb, tstzrange)',
        'calib.find(text, text, text, text)',
        'calib.find(text, text, jsonb, text)',
        'calib.find_many(text, text, jsonb[], timestamptz[])',
        'calib.find_many(text, text, jsonb[], tstzrange[])',
        'calib.find_many(text, text, jsonb, jsonb)',
        'calib.find_many(text, text, text, text)',
        'calib.certifications(text, text)',
        'calib.query_datasets(text, text, jsonb)',
        'calib.query_datasets(text, text, text)',
        'calib.get_datasets(uuid[])',
        'calib.get_datasets(jsonb)',
        'calib.get_datasets(text)',
        'calib.get_chain(text)',
        'calib.list_collections(text)',
        'calib.list_dataset_types()',
        'calib.probe(integer, integer, tstzrange)',
        'calib.check_integrity()',
        'calib.collection_stats()',
        'calib.collection_digest(text)',
        -- history (revision 0014): epochs, as-of forms, history
        'calib.current_epoch()',
        'calib.epoch_at(timestamptz)',
        'calib.epoch_at(text)',
        'calib.history(text, text, jsonb, bigint, bigint)',
        'calib.history(text, text, text, text, text)',
        'calib.find(text, text, jsonb, timestamptz, bigint)',
        'calib.find(text, text, jsonb, tstzrange, bigint)',
        'calib.find(text, text, jsonb, text, bigint)',
        'calib.find(text, text, text, text, text)',
        'calib.find_many(text, text, jsonb[], timestamptz[], bigint)',
        'calib.find_many(text, text, jsonb[], tstzrange[], bigint)',
        'calib.certifications(text, text, bigint)',
        'calib.get_chain(text, bigint)'
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_reader);
    END LOOP;

    -- certifier: changes to the content of collections.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.insert_datasets(text, text, jsonb[], uuid[])',
        'calib.insert_datasets(text, text, jsonb, jsonb)',
        'calib.insert_datasets(text, text, text, text)',
        'calib.tag(text, uuid[])',
        'calib.tag(text, jsonb)',
        'calib.tag(text, text)',
        'calib.untag(text, uuid[])',
        'calib.untag(text, jsonb)',
        'calib.untag(text, text)',
        'calib.certify(text, uuid[], tstzrange, boolean)',
        'calib.certify(text, jsonb, tstzrange, boolean)',
        'calib.certify(text, text, text, text)',
        'calib.certify_series(text, uuid[], timestamptz[], boolean)',
        'calib.certify_series(text, jsonb, jsonb, boolean)',
        'calib.certify_series(text, text, text, text)',
        'calib.decertify(text, text, tstzrange, jsonb[])',
        'calib.decertify(text, text, tstzrange, jsonb)',
        'calib.decertify(text, text, text, text)',
        'calib.close_open_range(text, text, timestamptz, jsonb[])',
        'calib.close_open_range(text, text, timestamptz, jsonb)',
        'calib.close_open_range(text, text, text, text)',
        'calib.copy_collection(text, text, text)'
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_certifier);
    END LOOP;

    -- admin: the registry's shape.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.register_collection(text, text, text)',
        'calib.remove_collection(text)',
        'calib.set_chain(text, text[])',
        'calib.set_chain(text, jsonb)',
        'calib.set_chain(text, text)',
        'calib.register_dataset_type(text, text[], boolean)',
        'calib.register_dataset_type(text, jsonb, boolean)',
        'calib.register_dataset_type(text, text, text)',
        'calib.set_collection_state(text, text)',
        'calib.set_collection_writers(text, text[])',
        'calib.set_collection_writers(text, jsonb)',
        'calib.set_collection_writers(text, text)'
        -- (later: revert)
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_admin);
    END LOOP;

    /* Two calibcert databases of one cluster installed with the same prefix share their
       roles: a grant of one of them made for either database reaches both. Not an error
       (a database cloned from a template shares them on purpose), but the DBA is told,
       from the shared catalog's record of privileges held in other databases. */
    SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(d.datname), ', ')
    INTO v_elsewhere
    FROM pg_catalog.pg_shdepend AS s
    JOIN pg_catalog.pg_database AS d ON d.oid = s.dbid
    WHERE s.deptype = 'a' AND s.refclassid = 'pg_catalog.pg_authid'::regclass
      AND s.refobjid IN (SELECT r.oid FROM pg_catalog.pg_roles AS r
                         WHERE r.rolname IN (v_reader, v_certifier, v_admin))
      AND d.datname <> pg_catalog.current_database();
    IF v_elsewhere IS NOT NULL THEN
        RAISE WARNING USING
            MESSAGE = pg_catalog.format('calibcert roles %s, %s and %s also hold privileges in '
                'database(s) %s: a grant of these roles reaches both databases',
                v_reader, v_certifier, v_admin, v_elsewhere),
            HINT = 'To grant this database separately, install it with its own role prefix '
                '(SET calib.role_prefix = ''name'', or calibcert db upgrade --role-prefix '
                'name, before the first install; README "Roles").';
    END IF;
END
$$;

/* Ownership and PUBLIC. Runs after every object and grant exists (install.sql), and again at
   the end of every revision that adds objects: each object in schema calib, the schema
   itself included, is handed to calib_owner (roles.sql), and PUBLIC keeps no right on any
   of them. Owner changes keep the grants already made (their grantor becomes calib_owner).
   The rules it follows are the PostgreSQL manual's "Writing SECURITY DEFINER Functions
   Safely"; every function also pins search_path = pg_catalog, pg_temp in its own file.
   The installing role must be able to hand objects over: a superuser, or a member of
   calib_owner. Checked first, so that a refused install says why. */
DO $$
DECLARE
    r record;
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user, 'calib_owner', 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('role %I cannot hand calibcert''s objects to calib_owner',
                                        current_user),
            HINT = pg_catalog.format('Install as a superuser, or first run (as a role with '
                'CREATEROLE): CREATE ROLE calib_owner NOLOGIN; GRANT calib_owner TO %I;',
                current_user);
    END IF;
    EXECUTE 'ALTER SCHEMA calib OWNER TO calib_owner';
    /* Tables, views, sequences not owned by a column (an identity sequence follows its
       table) and composite types of their own; then every function. */
    FOR r IN SELECT c.relname, c.relkind FROM pg_catalog.pg_class AS c
             WHERE c.relnamespace = 'calib'::regnamespace
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS d
                               WHERE d.classid = 'pg_catalog.pg_class'::regclass
                                 AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
             ORDER BY c.relname LOOP
        EXECUTE pg_catalog.format(
            CASE r.relkind WHEN 'S' THEN 'ALTER SEQUENCE calib.%I OWNER TO calib_owner'
                           WHEN 'v' THEN 'ALTER VIEW calib.%I OWNER TO calib_owner'
                           WHEN 'm' THEN 'ALTER MATERIALIZED VIEW calib.%I OWNER TO calib_owner'
                           WHEN 'f' THEN 'ALTER FOREIGN TABLE calib.%I OWNER TO calib_owner'
                           ELSE 'ALTER TABLE calib.%I OWNER TO calib_owner' END,
            r.relname);
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_catalog.pg_type AS t
             WHERE t.typnamespace = 'calib'::regnamespace AND t.typrelid = 0
               AND t.typelem = 0 AND t.typtype IN ('c', 'd', 'e', 'r')
             ORDER BY t.typname LOOP
        EXECUTE pg_catalog.format('ALTER TYPE calib.%I OWNER TO calib_owner', r.typname);
    END LOOP;
    FOR r IN SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
             FROM pg_catalog.pg_proc AS p
             WHERE p.pronamespace = 'calib'::regnamespace
             ORDER BY p.proname, args LOOP
        /* The identity arguments are PostgreSQL's own rendering of the signature (quoted
           where needed); the name goes through %I. */
        EXECUTE pg_catalog.format('ALTER ROUTINE calib.%I(%s) OWNER TO calib_owner',
                                  r.proname, r.args);
    END LOOP;
END
$$;
/* PUBLIC may not use the schema, nor execute any function: neither those that exist now nor
   those that calib_owner creates later (default privileges are per creating role; a
   function that a later revision creates as another role is covered by the REVOKE below,
   which that revision runs again). Functions are granted to the service roles one by one in
   schema/grants.sql. */
REVOKE ALL ON SCHEMA calib FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE calib_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

